import { z } from 'zod';
import { isoTime } from '../iso-time.js';
import type { ChatwootRef, Conversation, ConversationContact, ConversationStatus } from '../types.js';

const unixTime = z.number().nullish();

const sender = z.looseObject({
  id: z.number().nullish(),
  name: z.string().nullish(),
  phone_number: z.string().nullish(),
  email: z.string().nullish(),
  identifier: z.string().nullish(),
});

/** Application-API conversation (view `_conversation.json.jbuilder`): times are unix seconds, `id` is the display id. */
export const chatwootConversation = z.looseObject({
  id: z.number().int(),
  status: z.string(),
  last_activity_at: unixTime,
  timestamp: unixTime,
  waiting_since: unixTime,
  meta: z.looseObject({ sender: sender.nullish() }).nullish(),
});

export const chatwootConversationPage = z.looseObject({
  data: z.looseObject({ payload: z.array(chatwootConversation) }),
});

export const chatwootToggleAnswer = z.looseObject({
  payload: z.looseObject({ current_status: z.string() }),
});

/** Public-API conversation (`public_conversation` in the spec): no last activity, so its messages tell it. */
export const chatwootPublicConversation = z.looseObject({
  id: z.number().int(),
  status: z.string(),
  messages: z.array(z.looseObject({ created_at: unixTime })).nullish(),
  contact: sender.nullish(),
});

export const chatwootPublicConversationList = z.array(chatwootPublicConversation);

/** Snoozed conversations reopen by themselves, so they are neither open nor closed: pending. */
const STATUS: Record<string, ConversationStatus> = { open: 'open', pending: 'pending', snoozed: 'pending', resolved: 'closed' };

function toContact(raw: z.infer<typeof sender> | null | undefined): ConversationContact {
  return {
    ...(raw?.id != null ? { id: String(raw.id) } : {}),
    name: raw?.name ?? null,
    phoneNumber: raw?.phone_number ?? null,
    email: raw?.email ?? null,
    identifier: raw?.identifier ?? null,
  };
}

export function fromApplication(account: string, raw: z.infer<typeof chatwootConversation>): Conversation<ChatwootRef> {
  return {
    account,
    provider: 'chatwoot',
    id: String(raw.id),
    status: STATUS[raw.status] ?? 'open',
    providerStatus: raw.status,
    contact: toContact(raw.meta?.sender),
    lastActivityAt: isoTime(raw.last_activity_at ?? raw.timestamp),
    ref: { conversationId: raw.id },
    waitingSince: isoTime(raw.waiting_since),
  };
}

export function fromPublic(
  account: string,
  raw: z.infer<typeof chatwootPublicConversation>,
  where: { contactIdentifier: string; inboxIdentifier: string },
): Conversation<ChatwootRef> {
  const newest = Math.max(0, ...(raw.messages ?? []).map((message) => message.created_at ?? 0));
  return {
    account,
    provider: 'chatwoot',
    id: String(raw.id),
    status: STATUS[raw.status] ?? 'open',
    providerStatus: raw.status,
    contact: toContact(raw.contact),
    lastActivityAt: isoTime(newest),
    ref: { conversationId: raw.id, contactIdentifier: where.contactIdentifier, inboxIdentifier: where.inboxIdentifier },
  };
}
