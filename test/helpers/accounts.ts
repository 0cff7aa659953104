import { rateOf } from '../../src/config/rate.js';
import type { CallbellAccount, ChatwootAccount, PeachAccount } from '../../src/config/types.js';

export const rate = rateOf;

/** Accounts as loadConfig returns them, pointed at a simulator; fast enough that the limiter stays out of the way. */
const fast = rate('1000/1s');

export const peachAccount = (baseUrl: string, apiKey: string, id = 'peach'): PeachAccount => ({ id, provider: 'peach', baseUrl, apiKey, rateLimit: fast });

export const callbellAccount = (baseUrl: string, apiToken: string, id = 'callbell'): CallbellAccount => ({
  id,
  provider: 'callbell',
  baseUrl,
  apiToken,
  rateLimit: fast,
});

export const chatwootAccount = (baseUrl: string, extra: Partial<ChatwootAccount> = {}, id = 'chatwoot'): ChatwootAccount => ({
  id,
  provider: 'chatwoot',
  baseUrl,
  rateLimit: fast,
  ...extra,
});
