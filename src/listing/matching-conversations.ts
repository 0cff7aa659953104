import type { AccountInfo } from '../config/types.js';
import type { CallbellClient } from '../providers/callbell/callbell-client.js';
import type { ChatwootClient } from '../providers/chatwoot/chatwoot-client.js';
import type { AnyProviderClient } from '../providers/create-provider-client.js';
import type { PeachClient, PeachStatus } from '../providers/peach/peach-client.js';
import type { Conversation } from '../providers/types.js';
import type { ListQuery, ListStatus } from './list-query.js';

export interface MatchOptions {
  /** "now" for idleFor, fixed by the caller so one run uses one cut-off. */
  now: number;
  /** Sweeps of Chatwoot: leave conversations whose customer waits for an agent's reply. */
  skipWaiting?: boolean;
  /** Counts every conversation the provider returned, matching or not. */
  scanned?: { count: number };
}

const PEACH_STATUSES: Record<ListStatus, (PeachStatus | undefined)[]> = {
  open: ['open', 'awaiting_customer_response'],
  pending: ['pending'],
  closed: ['closed'],
  all: [undefined],
};
const CHATWOOT_STATUSES: Record<ListStatus, ('open' | 'pending' | 'snoozed' | 'resolved' | 'all')[]> = {
  open: ['open'],
  pending: ['pending', 'snoozed'],
  closed: ['resolved'],
  all: ['all'],
};

/**
 * Conversations of one account that match a list query, one by one, paging
 * through the provider as it goes (so a caller that stops early stops the
 * paging). Each provider is asked in the way it supports best.
 */
export async function* matchingConversations(client: AnyProviderClient, account: AccountInfo, query: ListQuery, options: MatchOptions): AsyncGenerator<Conversation> {
  const idleBefore = query.idleForMs !== undefined ? options.now - query.idleForMs : undefined;
  const activeSince = query.updatedSince ? Date.parse(query.updatedSince) : undefined;
  const scanned = options.scanned ?? { count: 0 };
  const matches = (conversation: Conversation): boolean => {
    const activity = conversation.lastActivityAt ? Date.parse(conversation.lastActivityAt) : undefined;
    if (idleBefore !== undefined && (activity === undefined || activity >= idleBefore)) return false;
    if (activeSince !== undefined && account.provider !== 'peach' && (activity === undefined || activity < activeSince)) return false;
    if (options.skipWaiting && conversation.waitingSince) return false;
    return true;
  };
  const statusOf = (conversation: Conversation) => query.status === 'all' || conversation.status === query.status;

  switch (account.provider) {
    case 'peach': {
      const peach = client as PeachClient;
      // Peach filters on update time itself; idleness is on last activity, which it cannot filter.
      for (const status of PEACH_STATUSES[query.status]) {
        const filter = { ...query.native, ...(status ? { status } : {}), ...(activeSince !== undefined ? { updatedSince: new Date(activeSince) } : {}) };
        for await (const page of peach.listConversations(filter)) {
          for (const conversation of page) {
            scanned.count += 1;
            if (matches(conversation)) yield conversation;
          }
        }
      }
      return;
    }
    case 'callbell': {
      const callbell = client as CallbellClient;
      if (query.status === 'pending') return; // Callbell has open and closed only
      const { withLastActivity, ...native } = query.native as { withLastActivity?: boolean };
      const needsActivity = Boolean(withLastActivity) || idleBefore !== undefined || activeSince !== undefined;
      const filter = { ...native, status: query.status === 'all' ? ('all' as const) : query.status, withLastActivity: needsActivity };
      for await (const page of callbell.listConversations(filter)) {
        for (const conversation of page) {
          scanned.count += 1;
          if (matches(conversation)) yield conversation;
        }
      }
      return;
    }
    case 'chatwoot': {
      const chatwoot = client as ChatwootClient;
      const { contactIdentifier, inboxIdentifier, ...native } = query.native as { contactIdentifier?: string; inboxIdentifier?: string };
      if (contactIdentifier !== undefined) {
        for (const conversation of await chatwoot.listContactConversations(contactIdentifier, inboxIdentifier)) {
          scanned.count += 1;
          if (statusOf(conversation) && matches(conversation)) yield conversation;
        }
        return;
      }
      for (const status of CHATWOOT_STATUSES[query.status]) {
        // Oldest activity first when looking for idle ones, so paging stops at the cut-off.
        const sortBy = idleBefore !== undefined ? ('last_activity_at_asc' as const) : undefined;
        pages: for await (const page of chatwoot.listConversations({ ...native, status, ...(sortBy ? { sortBy } : {}) })) {
          for (const conversation of page) {
            scanned.count += 1;
            const activity = conversation.lastActivityAt ? Date.parse(conversation.lastActivityAt) : undefined;
            if (sortBy && idleBefore !== undefined && activity !== undefined && activity >= idleBefore) break pages;
            if (matches(conversation)) yield conversation;
          }
        }
      }
      return;
    }
  }
}
