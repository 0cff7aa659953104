import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

/**
 * The accounts worth a look: with work to take or jobs running (the ready
 * and active indexes), with dead letters, or paused. Metrics and the
 * dashboard read these, not every account: with 10,000 accounts, reading
 * each on every scrape or refresh would cost Redis tens of thousands of
 * commands, to report mostly zeros.
 */
export interface NotableAccounts {
  deadLettered(accountId: string): Promise<void>;
  /** The account's dead letters are all gone (found by a reader). */
  noDeadLetters(accountId: string): Promise<void>;
  paused(accountId: string, paused: boolean): Promise<void>;
  /** Up to `limit` of them, those with work first. */
  list(limit: number): Promise<string[]>;
}

export function createNotableAccounts(redis: RedisClient, keys: KeyNames): NotableAccounts {
  return {
    async deadLettered(accountId) {
      await redis.zadd(keys.deadLetterAccounts(), Date.now(), accountId);
    },
    async noDeadLetters(accountId) {
      await redis.zrem(keys.deadLetterAccounts(), accountId);
    },
    async paused(accountId, paused) {
      await (paused ? redis.sadd(keys.pausedAccounts(), accountId) : redis.srem(keys.pausedAccounts(), accountId));
    },
    async list(limit) {
      const [ready, active, dead, paused] = await Promise.all([
        redis.zrange(keys.readyAccounts(), 0, limit - 1),
        redis.zrange(keys.activeAccounts(), 0, limit - 1),
        redis.zrevrange(keys.deadLetterAccounts(), 0, limit - 1),
        redis.srandmember(keys.pausedAccounts(), limit),
      ]);
      return [...new Set([...ready, ...active, ...paused, ...dead])].slice(0, limit);
    },
  };
}
