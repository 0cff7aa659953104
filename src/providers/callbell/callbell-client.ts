import type { CallbellAccount } from '../../config/types.js';
import { parseAnswer } from '../http/parse-answer.js';
import { untilNextWindow } from '../http/classify-response.js';
import { isoTime } from '../iso-time.js';
import { sendRequest, type Transport } from '../http/send-request.js';
import type { CallbellRef, CallOptions, CloseResult, Conversation, ProviderClient } from '../types.js';
import { callbellCloseAnswer, callbellContactsPage, callbellMessagesPage, newestMessageAt, toConversation } from './callbell-mapping.js';

/**
 * Callbell has no conversation list: contacts carry `closedAt` (null while the
 * conversation is open) and the newest message tells the last activity.
 */
export interface CallbellListFilter {
  /** Client-side on `closedAt`; default `all`. */
  status?: 'open' | 'closed' | 'all';
  source?: string;
  tags?: readonly string[];
  teamUuid?: string;
  /**
   * Read each listed open contact's newest message for `lastActivityAt`: one
   * more request per open contact, so it is off unless asked for.
   */
  withLastActivity?: boolean;
}

export interface CallbellClientOptions extends Pick<Transport, 'http' | 'acquireSend' | 'observe' | 'now'> {
  account: CallbellAccount;
}

export interface CallbellClient extends ProviderClient<CallbellRef, CallbellListFilter> {
  /** When the contact's newest message was sent, or null without messages. */
  lastActivityAt(contactUuid: string, options?: CallOptions): Promise<string | null>;
}

/** Callbell documents its limit per second and no Retry-After: wait for the next second, plus skew. */
const NEXT_SECOND = untilNextWindow(1_000, 100);

export function createCallbellClient({ account, http, acquireSend, observe, now }: CallbellClientOptions): CallbellClient {
  const transport: Transport = {
    provider: 'callbell',
    http,
    baseUrl: account.baseUrl.replace(/\/+$/, ''),
    secrets: [account.apiToken],
    rateLimitFallbackMs: NEXT_SECOND,
    acquireSend,
    observe,
    now,
  };
  const headers = { authorization: `Bearer ${account.apiToken}` };
  const contactPath = (uuid: string) => `/contacts/${encodeURIComponent(uuid)}`;

  async function close(ref: CallbellRef, options?: CallOptions): Promise<CloseResult> {
    const response = await sendRequest(
      transport,
      // No body, but the documented request (seed 001) still says Content-Type: application/json.
      {
        operation: 'close',
        method: 'POST',
        path: `${contactPath(ref.contactUuid)}/conversation/close`,
        headers: { ...headers, 'content-type': 'application/json' },
      },
      options,
    );
    if (response.outcome === 'success') {
      parseAnswer(callbellCloseAnswer, response.body, { provider: 'callbell', operation: 'close', status: response.status });
    }
    return { outcome: response.outcome === 'already_closed' ? 'already_closed' : 'closed', status: response.status };
  }

  async function lastActivityAt(contactUuid: string, options?: CallOptions): Promise<string | null> {
    const response = await sendRequest(
      transport,
      { operation: 'messages', method: 'GET', path: `${contactPath(contactUuid)}/messages`, headers, query: { page: 1 } },
      options,
    );
    const body = parseAnswer(callbellMessagesPage, response.body, { provider: 'callbell', operation: 'messages', status: response.status });
    return newestMessageAt(body.messages);
  }

  async function* listConversations(filter: CallbellListFilter = {}, options?: CallOptions): AsyncGenerator<Conversation<CallbellRef>[]> {
    const status = filter.status ?? 'all';
    const query = { source: filter.source, tags: filter.tags?.join(','), team_uuid: filter.teamUuid };
    // The contacts list has no page count or meta: an empty page is the end.
    for (let page = 1; ; page += 1) {
      const response = await sendRequest(transport, { operation: 'list', method: 'GET', path: '/contacts', headers, query: { ...query, page } }, options);
      const body = parseAnswer(callbellContactsPage, response.body, { provider: 'callbell', operation: 'list', status: response.status });
      if (body.contacts.length === 0) return;
      const conversations: Conversation<CallbellRef>[] = [];
      for (const contact of body.contacts) {
        const open = !contact.closedAt;
        if ((status === 'open' && !open) || (status === 'closed' && open)) continue;
        const activity = open && filter.withLastActivity ? await lastActivityAt(contact.uuid, options) : isoTime(contact.closedAt);
        conversations.push(toConversation(account.id, contact, activity));
      }
      if (conversations.length > 0) yield conversations;
    }
  }

  return { provider: 'callbell', accountId: account.id, close, listConversations, lastActivityAt };
}
