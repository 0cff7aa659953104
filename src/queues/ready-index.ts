import type { KeyNames } from './names.js';
import type { RedisClient } from '../redis/create-redis.js';

/**
 * Which accounts have work to take, and from when: one sorted set for the
 * deployment, account id → due time (ms since the epoch). Producers touch it
 * after they add jobs; the dispatchers read the due ones and take an account
 * out once its queue has nothing left to take now (see settle()).
 *
 * A wake-up is never lost to a race: a producer touches the index after its
 * jobs exist, and a dispatcher takes an account out before it looks at the
 * queue a last time, putting it back if anything is there. So an add either
 * happened before that look (seen) or its touch comes after the removal
 * (kept). What a crash between two steps could still lose, the periodic
 * reconcile finds.
 */
export interface ReadyIndex {
  /** The account has work from `atMs` on (now by default); an earlier time already there wins. Wakes idle dispatchers. */
  touch(accountId: string, atMs?: number): Promise<void>;
  /** Several accounts in one round trip, without the wake-up (the reconciler's repairs). */
  touchMany(entries: readonly { accountId: string; atMs: number }[]): Promise<void>;
  /** Up to `limit` accounts due by `nowMs`, the longest waiting first. */
  due(nowMs: number, limit: number): Promise<string[]>;
  /** When the next account is due, or undefined when none has work. */
  nextDueAt(): Promise<number | undefined>;
  /** Takes the account out; `recheck` then tells whether (and from when) it has work after all, and puts it back if so. */
  settle(accountId: string, recheck: () => Promise<number | undefined>): Promise<number | undefined>;
  /**
   * Calls `onWake` whenever an account gets work, and `onSignal` with any
   * other message of the channel (they start with a dot, which no account id
   * holds: the registry's changes); returns the unsubscribe.
   */
  subscribe(onWake: (accountId: string) => void, onSignal?: (signal: string) => void): Promise<() => Promise<void>>;
}

export function createReadyIndex(redis: RedisClient, keys: KeyNames): ReadyIndex {
  const key = keys.readyAccounts();
  const channel = keys.wakeChannel();
  return {
    async touch(accountId, atMs = Date.now()) {
      // LT: only ever brings the due time earlier; an absent account is added.
      await redis.zadd(key, 'LT', atMs, accountId);
      if (atMs <= Date.now()) await redis.publish(channel, accountId);
    },
    async touchMany(entries) {
      for (let start = 0; start < entries.length; start += 1_000) {
        const chunk = entries.slice(start, start + 1_000);
        if (chunk.length > 0) await redis.zadd(key, 'LT', ...chunk.flatMap(({ accountId, atMs }) => [atMs, accountId]));
      }
    },
    due: (nowMs, limit) => redis.zrangebyscore(key, '-inf', nowMs, 'LIMIT', 0, limit),
    async nextDueAt() {
      const [, score] = await redis.zrange(key, 0, 0, 'WITHSCORES');
      return score === undefined ? undefined : Number(score);
    },
    async settle(accountId, recheck) {
      await redis.zrem(key, accountId);
      const dueAt = await recheck();
      if (dueAt !== undefined) await redis.zadd(key, 'LT', dueAt, accountId);
      return dueAt;
    },
    async subscribe(onWake, onSignal) {
      const subscriber = redis.duplicate();
      subscriber.on('error', () => undefined); // a lost subscription only delays wake-ups to the next look
      subscriber.on('message', (_channel: string, message: string) => (message.startsWith('.') ? onSignal?.(message) : onWake(message)));
      await subscriber.subscribe(channel);
      return async () => {
        await subscriber.quit().catch(() => subscriber.disconnect());
      };
    },
  };
}
