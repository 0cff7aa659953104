import type { PeachAccount } from '../../config/types.js';
import { ProviderRejectedError } from '../../errors/provider-error.js';
import { parseAnswer } from '../http/parse-answer.js';
import { sendRequest, type Transport } from '../http/send-request.js';
import type { CallOptions, CloseResult, Conversation, PeachConversationRef, PeachRef, ProviderClient } from '../types.js';
import { pageOf, peachConversationPage, toConversation } from './peach-mapping.js';

export type PeachStatus = 'open' | 'pending' | 'awaiting_customer_response' | 'closed';

/** Peach's own list filters (seed 002 and the official n8n node). */
export interface PeachListFilter {
  status?: PeachStatus;
  escalated?: boolean;
  activityType?: 'assignment' | 'escalation' | 'message' | 'status_change';
  phoneNumber?: string;
  hasCallPermission?: boolean;
  updatedSince?: Date;
  activitySince?: Date;
  /** Page size; Peach's default is 50. */
  per?: number;
}

export interface PeachClientOptions extends Pick<Transport, 'http' | 'acquireSend' | 'observe' | 'now'> {
  account: PeachAccount;
  /** Wait after a 429 without Retry-After. Peach publishes no limit, so a cautious pause. */
  rateLimitFallbackMs?: number;
}

export type PeachClient = ProviderClient<PeachRef, PeachListFilter>;

/** A guard against a server whose `next` never ends; far above any real account. */
const MAX_PAGES = 100_000;

export function createPeachClient({ account, http, acquireSend, observe, now, rateLimitFallbackMs = 5_000 }: PeachClientOptions): PeachClient {
  const transport: Transport = {
    provider: 'peach',
    http,
    baseUrl: account.baseUrl.replace(/\/+$/, ''),
    secrets: [account.apiKey],
    rateLimitFallbackMs: () => rateLimitFallbackMs,
    acquireSend,
    observe,
    now,
  };
  // Peach takes the raw key, with no scheme (official n8n credential and MCP client).
  const headers = { authorization: account.apiKey };

  async function close(ref: PeachRef, options?: CallOptions): Promise<CloseResult> {
    const response =
      'conversationId' in ref
        ? await sendRequest(
            transport,
            { operation: 'close', method: 'PATCH', path: `/api/v1/conversations/${ref.conversationId}`, headers, json: { status: 'closed' } },
            options,
          )
        : await sendRequest(
            transport,
            {
              operation: 'close_by_contact',
              method: 'POST',
              path: '/api/v1/events',
              headers,
              json: { event_type: 'close_conversation', contact: { name: ref.contact.name, phone_number: ref.contact.phone_number } },
            },
            options,
          );
    return { outcome: response.outcome === 'already_closed' ? 'already_closed' : 'closed', status: response.status };
  }

  async function* listConversations(filter: PeachListFilter = {}, options?: CallOptions): AsyncGenerator<Conversation<PeachConversationRef>[]> {
    const query = {
      status: filter.status,
      escalated: filter.escalated,
      activity_type: filter.activityType,
      phone_number: filter.phoneNumber,
      has_call_permission: filter.hasCallPermission,
      updated_since: filter.updatedSince?.toISOString(),
      activity_since: filter.activitySince?.toISOString(),
      per: filter.per,
    };
    let page: number | undefined = 1;
    const seen = new Set<number>();
    while (page !== undefined) {
      if (seen.has(page) || seen.size >= MAX_PAGES) {
        throw new ProviderRejectedError({ provider: 'peach', operation: 'list' }, `pagination loops back to page ${page}`);
      }
      seen.add(page);
      const response = await sendRequest(transport, { operation: 'list', method: 'GET', path: '/api/v1/conversations', headers, query: { ...query, page } }, options);
      const body = parseAnswer(peachConversationPage, response.body, { provider: 'peach', operation: 'list', status: response.status });
      if (body.conversations.length > 0) yield body.conversations.map((raw) => toConversation(account.id, raw));
      // Only the page number is taken from `next`: following its host could send the key elsewhere.
      page = body.next && body.conversations.length > 0 ? (pageOf(body.next) ?? page + 1) : undefined;
    }
  }

  return { provider: 'peach', accountId: account.id, close, listConversations };
}
