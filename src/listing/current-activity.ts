import type { AccountInfo } from '../config/types.js';
import type { CallbellClient } from '../providers/callbell/callbell-client.js';
import type { ChatwootClient } from '../providers/chatwoot/chatwoot-client.js';
import type { AnyProviderClient } from '../providers/create-provider-client.js';
import type { PeachClient } from '../providers/peach/peach-client.js';
import type { CallbellRef, ChatwootRef, ConversationRef, PeachConversationRef } from '../providers/types.js';

/**
 * A conversation's last activity read again from the provider, just before a
 * sweep's close: Peach through a list filtered by the contact's phone number,
 * Chatwoot through `conversations#show` (or the contact's public list),
 * Callbell through the contact's newest message. Undefined when the provider
 * cannot tell (then the close goes ahead, as the sweep decided).
 */
export async function currentActivity(
  client: AnyProviderClient,
  account: AccountInfo,
  ref: ConversationRef,
  hint: { phoneNumber?: string },
): Promise<string | null | undefined> {
  switch (account.provider) {
    case 'peach': {
      const conversationId = 'conversationId' in ref ? (ref as PeachConversationRef).conversationId : undefined;
      if (conversationId === undefined || !hint.phoneNumber) return undefined;
      for await (const page of (client as PeachClient).listConversations({ phoneNumber: hint.phoneNumber })) {
        const found = page.find((conversation) => Number(conversation.id) === conversationId);
        if (found) return found.lastActivityAt;
      }
      return undefined;
    }
    case 'callbell':
      return (client as CallbellClient).lastActivityAt((ref as CallbellRef).contactUuid);
    case 'chatwoot': {
      const chatwoot = client as ChatwootClient;
      const { conversationId, contactIdentifier, inboxIdentifier } = ref as ChatwootRef;
      if (contactIdentifier === undefined) return (await chatwoot.getConversation(conversationId)).lastActivityAt;
      const found = (await chatwoot.listContactConversations(contactIdentifier, inboxIdentifier)).find((c) => c.ref.conversationId === conversationId);
      return found?.lastActivityAt;
    }
  }
}
