import type { ChatwootAccount } from '../../config/types.js';
import { ProviderRejectedError, UnsupportedRefError } from '../../errors/provider-error.js';
import { untilNextWindow } from '../http/classify-response.js';
import { parseAnswer } from '../http/parse-answer.js';
import { sendRequest, type Transport } from '../http/send-request.js';
import type { CallOptions, ChatwootRef, CloseResult, Conversation, ProviderClient } from '../types.js';
import {
  chatwootConversation,
  chatwootConversationPage,
  chatwootPublicConversation,
  chatwootPublicConversationList,
  chatwootToggleAnswer,
  fromApplication,
  fromPublic,
} from './chatwoot-mapping.js';

/** Application-API list filters: the spec's, plus `sort_by`, which the server reads but the spec omits. */
export interface ChatwootListFilter {
  status?: 'open' | 'resolved' | 'pending' | 'snoozed' | 'all';
  assigneeType?: 'me' | 'unassigned' | 'assigned' | 'all';
  inboxId?: number;
  teamId?: number;
  labels?: readonly string[];
  q?: string;
  sortBy?: 'last_activity_at_asc' | 'last_activity_at_desc' | 'created_at_asc' | 'created_at_desc';
}

export interface ChatwootClientOptions extends Pick<Transport, 'http' | 'acquireSend' | 'observe' | 'now'> {
  account: ChatwootAccount;
  /** rack-attack's throttle period: its windows are aligned to the epoch and a 429 names no wait. */
  rateLimitWindowMs?: number;
}

export interface ChatwootClient extends ProviderClient<ChatwootRef, ChatwootListFilter> {
  /** One conversation through the application API (`conversations#show`), e.g. to re-check its activity. */
  getConversation(conversationId: number, options?: CallOptions): Promise<Conversation<ChatwootRef>>;
  /** Every conversation of one contact through the public API (no paging there), each with its close ref. */
  listContactConversations(contactIdentifier: string, inboxIdentifier?: string, options?: CallOptions): Promise<Conversation<ChatwootRef>[]>;
}

export function createChatwootClient({ account, http, acquireSend, observe, now, rateLimitWindowMs = 60_000 }: ChatwootClientOptions): ChatwootClient {
  const transport: Transport = {
    provider: 'chatwoot',
    http,
    baseUrl: account.baseUrl.replace(/\/+$/, ''),
    secrets: account.apiAccessToken ? [account.apiAccessToken] : [],
    rateLimitFallbackMs: untilNextWindow(rateLimitWindowMs, 500),
    acquireSend,
    observe,
    now,
  };
  const segment = encodeURIComponent;

  function application(operation: string): { headers: Record<string, string>; root: string } {
    if (account.apiAccessToken === undefined || account.accountId === undefined) {
      throw new UnsupportedRefError(
        { provider: 'chatwoot', operation },
        `account "${account.id}" has no application-API token and account id; give the ref a contactIdentifier to close through the public API`,
      );
    }
    return { headers: { api_access_token: account.apiAccessToken }, root: `/api/v1/accounts/${account.accountId}` };
  }

  function publicRoot(operation: string, contactIdentifier: string, inboxIdentifier: string | undefined) {
    const inbox = inboxIdentifier ?? account.inboxIdentifier;
    if (inbox === undefined) {
      throw new UnsupportedRefError({ provider: 'chatwoot', operation }, `no inbox identifier in the ref and none configured for account "${account.id}"`);
    }
    return { inbox, path: `/public/api/v1/inboxes/${segment(inbox)}/contacts/${segment(contactIdentifier)}/conversations` };
  }

  async function close(ref: ChatwootRef, options?: CallOptions): Promise<CloseResult> {
    if (ref.contactIdentifier !== undefined) {
      // The public toggle only ever resolves, and answers 200 unchanged when already resolved: safe to repeat.
      const { path } = publicRoot('close', ref.contactIdentifier, ref.inboxIdentifier);
      const response = await sendRequest(transport, { operation: 'close', method: 'POST', path: `${path}/${ref.conversationId}/toggle_status` }, options);
      if (response.outcome === 'already_closed') return { outcome: 'already_closed', status: response.status };
      const body = parseAnswer(chatwootPublicConversation, response.body, { provider: 'chatwoot', operation: 'close', status: response.status });
      return settled(body.status, response.status);
    }
    // Without an explicit status the application toggle really toggles, and a retry would reopen the conversation.
    const { headers, root } = application('close');
    const response = await sendRequest(
      transport,
      { operation: 'close', method: 'POST', path: `${root}/conversations/${ref.conversationId}/toggle_status`, headers, json: { status: 'resolved' } },
      options,
    );
    if (response.outcome === 'already_closed') return { outcome: 'already_closed', status: response.status };
    const body = parseAnswer(chatwootToggleAnswer, response.body, { provider: 'chatwoot', operation: 'close', status: response.status });
    return settled(body.payload.current_status, response.status);
  }

  function settled(currentStatus: string, status: number): CloseResult {
    if (currentStatus !== 'resolved') {
      throw new ProviderRejectedError({ provider: 'chatwoot', operation: 'close', status }, `conversation is "${currentStatus}" after the close`);
    }
    return { outcome: 'closed', status };
  }

  async function* listConversations(filter: ChatwootListFilter = {}, options?: CallOptions): AsyncGenerator<Conversation<ChatwootRef>[]> {
    const { headers, root } = application('list');
    const query = {
      status: filter.status,
      assignee_type: filter.assigneeType,
      inbox_id: filter.inboxId,
      team_id: filter.teamId,
      'labels[]': filter.labels,
      q: filter.q,
      sort_by: filter.sortBy,
    };
    // No page count comes back (and the page size is a server setting): an empty or short page is the end.
    let fullPage = 0;
    for (let page = 1; ; page += 1) {
      const response = await sendRequest(transport, { operation: 'list', method: 'GET', path: `${root}/conversations`, headers, query: { ...query, page } }, options);
      const { payload } = parseAnswer(chatwootConversationPage, response.body, { provider: 'chatwoot', operation: 'list', status: response.status }).data;
      if (payload.length > 0) yield payload.map((raw) => fromApplication(account.id, raw));
      if (payload.length === 0 || payload.length < fullPage) return;
      fullPage = Math.max(fullPage, payload.length);
    }
  }

  async function getConversation(conversationId: number, options?: CallOptions): Promise<Conversation<ChatwootRef>> {
    const { headers, root } = application('get');
    const response = await sendRequest(transport, { operation: 'get', method: 'GET', path: `${root}/conversations/${conversationId}`, headers }, options);
    return fromApplication(account.id, parseAnswer(chatwootConversation, response.body, { provider: 'chatwoot', operation: 'get', status: response.status }));
  }

  async function listContactConversations(contactIdentifier: string, inboxIdentifier?: string, options?: CallOptions): Promise<Conversation<ChatwootRef>[]> {
    const { inbox, path } = publicRoot('list_contact', contactIdentifier, inboxIdentifier);
    const response = await sendRequest(transport, { operation: 'list_contact', method: 'GET', path }, options);
    const body = parseAnswer(chatwootPublicConversationList, response.body, { provider: 'chatwoot', operation: 'list_contact', status: response.status });
    return body.map((raw) => fromPublic(account.id, raw, { contactIdentifier, inboxIdentifier: inbox }));
  }

  return { provider: 'chatwoot', accountId: account.id, close, listConversations, getConversation, listContactConversations };
}
