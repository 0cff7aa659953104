import { z } from 'zod';
import { isoTime } from '../iso-time.js';
import type { CallbellRef, Conversation } from '../types.js';

/** The Contact fields closer reads (docs `object_types/contact.md`). */
export const callbellContact = z.looseObject({
  uuid: z.string(),
  name: z.string().nullish(),
  phoneNumber: z.string().nullish(),
  closedAt: z.string().nullish(),
  createdAt: z.string().nullish(),
});
export type CallbellContact = z.infer<typeof callbellContact>;

/**
 * The close answer's `contact` was an array in the docs until 2025-12 and is an
 * object since; both are accepted (providers.md §2).
 */
export const callbellCloseAnswer = z.looseObject({ contact: z.union([callbellContact, z.array(callbellContact)]) });

export const callbellContactsPage = z.looseObject({ contacts: z.array(callbellContact) });

export const callbellMessagesPage = z.looseObject({ messages: z.array(z.looseObject({ createdAt: z.string().nullish() })) });

export function toConversation(account: string, contact: CallbellContact, lastActivityAt: string | null): Conversation<CallbellRef> {
  return {
    account,
    provider: 'callbell',
    // Callbell has one conversation per contact and no conversation id: the contact is the handle.
    id: contact.uuid,
    status: contact.closedAt ? 'closed' : 'open',
    providerStatus: contact.closedAt ? 'closed' : 'open',
    contact: { id: contact.uuid, name: contact.name ?? null, phoneNumber: contact.phoneNumber ?? null },
    lastActivityAt,
    ref: { contactUuid: contact.uuid },
  };
}

/** Messages come newest first, but the order is only documented, so take the latest date seen. */
export function newestMessageAt(messages: readonly { createdAt?: string | null }[]): string | null {
  const times = messages.map((message) => isoTime(message.createdAt)).filter((time): time is string => time !== null);
  return times.length === 0 ? null : times.reduce((newest, time) => (time > newest ? time : newest));
}
