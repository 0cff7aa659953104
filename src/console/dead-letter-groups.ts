import type { DeadLetter } from '../dead-letters/dead-letter-store.js';

/** Dead letters that failed the same way: one reason code and HTTP status. */
export interface DeadLetterGroup {
  reason: string;
  status: number | null;
  count: number;
  /** Accounts the group's dead letters belong to. */
  accounts: string[];
  latestAt: string;
  oldestAt: string;
  /** The group's dead letters, the latest first (at most ITEMS_PER_GROUP). */
  items: DeadLetter[];
}

export const ITEMS_PER_GROUP = 50;

export const groupKey = (reason: string, status: number | null): string => `${reason}|${status ?? ''}`;

/** Groups dead letters by reason and status, the largest group first; within one, the latest first. */
export function groupDeadLetters(items: readonly DeadLetter[]): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetterGroup & { all: DeadLetter[] }>();
  for (const item of items) {
    const key = groupKey(item.reason, item.status);
    let group = groups.get(key);
    if (!group) {
      group = { reason: item.reason, status: item.status, count: 0, accounts: [], latestAt: item.failedAt, oldestAt: item.failedAt, items: [], all: [] };
      groups.set(key, group);
    }
    group.count += 1;
    group.all.push(item);
    if (!group.accounts.includes(item.account)) group.accounts.push(item.account);
    if (item.failedAt > group.latestAt) group.latestAt = item.failedAt;
    if (item.failedAt < group.oldestAt) group.oldestAt = item.failedAt;
  }
  return [...groups.values()]
    .map(({ all, ...group }) => ({ ...group, accounts: group.accounts.sort(), items: all.sort((a, b) => (a.failedAt < b.failedAt ? 1 : a.failedAt > b.failedAt ? -1 : 0)).slice(0, ITEMS_PER_GROUP) }))
    .sort((a, b) => b.count - a.count || (a.latestAt < b.latestAt ? 1 : -1));
}
