import type { AccountConfig } from '../config/types.js';
import { createCallbellClient, type CallbellClient } from './callbell/callbell-client.js';
import { createChatwootClient, type ChatwootClient } from './chatwoot/chatwoot-client.js';
import type { Transport } from './http/send-request.js';
import { createPeachClient, type PeachClient } from './peach/peach-client.js';

export type AnyProviderClient = PeachClient | CallbellClient | ChatwootClient;

export type ProviderClientDeps = Pick<Transport, 'http' | 'acquireSend' | 'observe' | 'now'>;

/** The client for one configured account. */
export function createProviderClient(account: AccountConfig, deps: ProviderClientDeps): AnyProviderClient {
  switch (account.provider) {
    case 'peach':
      return createPeachClient({ account, ...deps });
    case 'callbell':
      return createCallbellClient({ account, ...deps });
    case 'chatwoot':
      return createChatwootClient({ account, ...deps });
  }
}
