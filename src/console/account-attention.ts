import type { NotableKinds } from '../accounts/notable-accounts.js';

/** Why an account is worth a look, most urgent first. */
export const ATTENTION_KINDS = ['unauthorized', 'paused', 'dead_letters', 'rate_limited', 'backlog', 'running'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export interface AccountAttention {
  kinds: AttentionKind[];
  /** Its most urgent kind's place in ATTENTION_KINDS. */
  rank: number;
  /** Within a rank, higher first: the latest dead letter, the latest 429, the longest-waiting backlog. */
  weight: number;
}

/**
 * Every notable account's attention, from the notable sets and the pause
 * reasons of the paused ones: what sorts all accounts without reading any
 * account's queues.
 */
export function attentionOf(kinds: NotableKinds, pauseReasons: ReadonlyMap<string, string | null>): Map<string, AccountAttention> {
  const found = new Map<string, AccountAttention>();
  const note = (id: string, kind: AttentionKind, weight: number) => {
    const rank = ATTENTION_KINDS.indexOf(kind);
    const entry = found.get(id);
    if (!entry) {
      found.set(id, { kinds: [kind], rank, weight });
      return;
    }
    if (!entry.kinds.includes(kind)) entry.kinds.push(kind);
    if (rank < entry.rank) Object.assign(entry, { rank, weight });
  };
  for (const id of kinds.paused) note(id, pauseReasons.get(id) === 'unauthorized' ? 'unauthorized' : 'paused', 0);
  for (const { id, at } of kinds.deadLettered) note(id, 'dead_letters', at);
  // A 429 in the last hour: the account runs at the provider's limit, or its configured rate is too high.
  for (const { id, at } of kinds.rateLimited) note(id, 'rate_limited', at);
  // The longest waiting first: the earliest due time weighs most.
  for (const { id, since } of kinds.due) note(id, 'backlog', -since);
  for (const id of kinds.active) note(id, 'running', 0);
  for (const entry of found.values()) entry.kinds.sort((a, b) => ATTENTION_KINDS.indexOf(a) - ATTENTION_KINDS.indexOf(b));
  return found;
}
