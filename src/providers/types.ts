import type { ProviderName } from '../config/types.js';

export type { ProviderName };

/** Contract section 2: the provider-specific reference a close job carries. */
export type PeachConversationRef = { conversationId: number };
export type PeachContactRef = { contact: { name: string; phone_number: string } };
export type PeachRef = PeachConversationRef | PeachContactRef;
export type CallbellRef = { contactUuid: string };
/** With `contactIdentifier` the close goes through Chatwoot's public API, otherwise through the application API. */
export type ChatwootRef = { conversationId: number; contactIdentifier?: string; inboxIdentifier?: string };
export type ConversationRef = PeachRef | CallbellRef | ChatwootRef;

export type ConversationStatus = 'open' | 'pending' | 'closed';

export interface ConversationContact {
  id?: string;
  name?: string | null;
  phoneNumber?: string | null;
  email?: string | null;
  identifier?: string | null;
}

/**
 * A listed conversation, the same for every provider (contract section 4).
 * `ref` closes exactly this conversation, so a list result can be posted to
 * `/v1/close` unchanged.
 */
export interface Conversation<R extends ConversationRef = ConversationRef> {
  account: string;
  provider: ProviderName;
  id: string;
  status: ConversationStatus;
  /** The provider's own word for the status (`awaiting_customer_response`, `snoozed`, ...). */
  providerStatus: string;
  contact: ConversationContact;
  /** ISO 8601; null when the provider does not tell. */
  lastActivityAt: string | null;
  ref: R;
  /** Chatwoot: since when the customer waits for an agent's reply (ISO), null when nobody waits. */
  waitingSince?: string | null;
}

export type CloseOutcome = 'closed' | 'already_closed';

export interface CloseResult {
  outcome: CloseOutcome;
  /** HTTP status of the answer that settled it. */
  status: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** What every provider client offers; none of them knows about queues. */
export interface ProviderClient<R extends ConversationRef = ConversationRef, F = unknown> {
  readonly provider: ProviderName;
  readonly accountId: string;
  close(ref: R, options?: CallOptions): Promise<CloseResult>;
  /** Pages of conversations, from the first to the last; stop iterating to stop paging. */
  listConversations(filter?: F, options?: CallOptions): AsyncGenerator<Conversation<R>[], void, undefined>;
}
