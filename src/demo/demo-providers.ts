import type { AccountConfig } from '../config/types.js';
import { rateOf as rate } from '../config/rate.js';
import { CallbellSimulator, ChatwootSimulator, PeachSimulator } from '../simulators/index.js';

export interface DemoProviders {
  accounts: AccountConfig[];
  peach: PeachSimulator;
  callbell: CallbellSimulator;
  chatwoot: ChatwootSimulator;
  close(): Promise<void>;
}

/**
 * The three provider simulators on free loopback ports, seeded with open
 * conversations, and one account per provider pointed at them: what
 * `closer start` and `closer demo` run when no provider is configured.
 */
export async function startDemoProviders(): Promise<DemoProviders> {
  const credentials = { peach: 'demo-peach-key', callbell: 'demo-callbell-token', chatwoot: 'demo-chatwoot-token' };
  const peach = await PeachSimulator.start({ credentials: credentials.peach, rateLimit: { limit: 20, windowMs: 1_000 } });
  const callbell = await CallbellSimulator.start({ credentials: credentials.callbell, rateLimit: { limit: 300, windowMs: 1_000 } });
  const chatwoot = await ChatwootSimulator.start({ credentials: credentials.chatwoot, accountId: 1, inboxIdentifier: 'demo-inbox' });
  peach.seed(60, { activitySpreadMs: 3 * 86_400_000 });
  callbell.seed(60, { activitySpreadMs: 3 * 86_400_000 });
  chatwoot.seed(60, { activitySpreadMs: 3 * 86_400_000 });

  const accounts: AccountConfig[] = [
    { id: 'peach', provider: 'peach', baseUrl: peach.url, apiKey: credentials.peach, rateLimit: rate('10/s') },
    { id: 'callbell', provider: 'callbell', baseUrl: callbell.url, apiToken: credentials.callbell, rateLimit: rate('50/s') },
    {
      id: 'chatwoot',
      provider: 'chatwoot',
      baseUrl: chatwoot.url,
      apiAccessToken: credentials.chatwoot,
      accountId: 1,
      inboxIdentifier: 'demo-inbox',
      rateLimit: rate('20/s'),
    },
  ];
  return {
    accounts,
    peach,
    callbell,
    chatwoot,
    close: async () => {
      await Promise.all([peach.close(), callbell.close(), chatwoot.close()]);
    },
  };
}
