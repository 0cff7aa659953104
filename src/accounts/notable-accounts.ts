import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { ACTIVITY_WINDOW_MS } from '../stats/activity-store.js';

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
  /** All of them, by why they are worth a look: five commands, however many accounts there are (the console sorts every account by this). */
  byKind(nowMs: number): Promise<NotableKinds>;
}

export interface NotableKinds {
  /** Accounts with work due by then, the longest waiting first, with when it became due. */
  due: { id: string; since: number }[];
  /** Accounts with jobs taken lately. */
  active: string[];
  /** Accounts with (or lately with) dead letters, the latest first, with the latest one's time. */
  deadLettered: { id: string; at: number }[];
  paused: string[];
  /** Accounts that met a provider's 429 in the last hour, the latest first, with the last one's time (written by the workers' activity flushes). */
  rateLimited: { id: string; at: number }[];
}

/** ZRANGE ... WITHSCORES as pairs. */
const scored = (flat: string[]) => Array.from({ length: flat.length / 2 }, (_, i) => ({ id: flat[2 * i]!, score: Number(flat[2 * i + 1]) }));

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
    async byKind(nowMs) {
      const [due, active, dead, paused, rateLimited] = await Promise.all([
        redis.zrangebyscore(keys.readyAccounts(), '-inf', nowMs, 'WITHSCORES'),
        redis.zrange(keys.activeAccounts(), 0, -1),
        redis.zrevrange(keys.deadLetterAccounts(), 0, -1, 'WITHSCORES'),
        redis.smembers(keys.pausedAccounts()),
        redis.zrevrangebyscore(keys.rateLimitedAccounts(), '+inf', nowMs - ACTIVITY_WINDOW_MS, 'WITHSCORES'),
      ]);
      return {
        due: scored(due).map(({ id, score }) => ({ id, since: score })),
        active,
        deadLettered: scored(dead).map(({ id, score }) => ({ id, at: score })),
        paused,
        rateLimited: scored(rateLimited).map(({ id, score }) => ({ id, at: score })),
      };
    },
  };
}
