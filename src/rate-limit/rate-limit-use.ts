import type { RateLimit } from '../config/rate.js';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { USE_SCRIPT } from './pace-script.js';

/** How much of an account's rate limit is in use now. */
export interface RateLimitUse {
  /** Requests sent in the last window (as the limiter's send log has them). */
  sent: number;
  max: number;
  windowMs: number;
  /** Milliseconds the account stays paused by a provider's 429; 0 when it is not. */
  blockedForMs: number;
}

type Scripts = { closerRateLimitUse(key: string, log: string, windowUs: number): Promise<[number, number]> };

function withScripts(redis: RedisClient): RedisClient & Scripts {
  if (!('closerRateLimitUse' in redis)) redis.defineCommand('closerRateLimitUse', { numberOfKeys: 2, lua: USE_SCRIPT });
  return redis as RedisClient & Scripts;
}

export type RateLimitUseReader = (accountId: string, rate: RateLimit) => Promise<RateLimitUse>;

/**
 * Reads the use of an account's limit from the limiter's own keys (its
 * schedule hash and send log, account-rate-limiter.ts): one command, a
 * script, because the log is stamped with Redis's clock and only Redis can
 * say which of its entries are within the last window.
 */
export function rateLimitUseReader(redis: RedisClient, keys: KeyNames): RateLimitUseReader {
  const scripts = withScripts(redis);
  return async (accountId, rate) => {
    const [sent, blockedUs] = await scripts.closerRateLimitUse(keys.limiter(accountId), keys.sendLog(accountId), rate.windowMs * 1000);
    return { sent, max: rate.max, windowMs: rate.windowMs, blockedForMs: Math.ceil(blockedUs / 1000) };
  };
}
