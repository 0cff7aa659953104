import { z } from 'zod';
import { isoTime } from '../iso-time.js';
import type { Conversation, ConversationStatus, PeachConversationRef } from '../types.js';

/** The fields of Peach's conversation that closer reads (seed 002, "List conversations"). */
export const peachConversation = z.looseObject({
  id: z.number().int(),
  status: z.string(),
  subscriber: z.looseObject({ id: z.number().nullish(), name: z.string().nullish(), phone_number: z.string().nullish() }).nullish(),
  last_activity_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

/** `next`/`prev` are documented as the path of the neighbouring page; some Peach endpoints say `previous`. */
export const peachConversationPage = z.looseObject({
  count: z.number().nullish(),
  next: z.string().nullish(),
  prev: z.string().nullish(),
  previous: z.string().nullish(),
  conversations: z.array(peachConversation),
});

/**
 * `awaiting_customer_response` means the agent answered and the customer has
 * not: a live conversation, and the typical idle one, so it counts as open.
 */
const STATUS: Record<string, ConversationStatus> = {
  open: 'open',
  awaiting_customer_response: 'open',
  pending: 'pending',
  closed: 'closed',
};

export function toConversation(account: string, raw: z.infer<typeof peachConversation>): Conversation<PeachConversationRef> {
  const subscriber = raw.subscriber ?? undefined;
  return {
    account,
    provider: 'peach',
    id: String(raw.id),
    status: STATUS[raw.status] ?? 'open',
    providerStatus: raw.status,
    contact: {
      ...(subscriber?.id != null ? { id: String(subscriber.id) } : {}),
      name: subscriber?.name ?? null,
      phoneNumber: subscriber?.phone_number ?? null,
    },
    lastActivityAt: isoTime(raw.last_activity_at ?? raw.updated_at),
    ref: { conversationId: raw.id },
  };
}

/** The page number `next` points at, whether it is a path or a full URL; undefined when it names none. */
export function pageOf(next: string): number | undefined {
  try {
    const page = Number(new URL(next, 'http://peach.invalid').searchParams.get('page'));
    return Number.isSafeInteger(page) && page > 0 ? page : undefined;
  } catch {
    return undefined;
  }
}
