import type { RedisClient } from '../redis/create-redis.js';
import type { AccountQueue } from '../queues/account-queues.js';
import type { KeyNames } from '../queues/names.js';
import type { NotableAccounts } from './notable-accounts.js';

/** Auth failures are counted over this window: "repeated" means this many within it. */
const AUTH_FAILURE_WINDOW_SECONDS = 600;

export type PauseReason = 'manual' | 'unauthorized';

export interface AccountControl {
  /** Counts a 401/403; pauses the account's queue once `threshold` of them fell within the window. True when it paused. */
  recordUnauthorized(entry: AccountQueue): Promise<boolean>;
  pause(entry: AccountQueue, reason: PauseReason): Promise<void>;
  /** Resumes the queue and forgets the auth failures, so one more 401 does not pause it again at once. */
  resume(entry: AccountQueue): Promise<void>;
  pauseReason(entry: AccountQueue): Promise<PauseReason | null>;
  /** The reason recorded when the account was paused (null when none was), without asking its queue whether it is: one command, no queue made. */
  recordedPauseReason(accountId: string): Promise<PauseReason | null>;
}

export function createAccountControl(redis: RedisClient, keys: KeyNames, threshold: number, notable?: NotableAccounts): AccountControl {
  async function pause(entry: AccountQueue, reason: PauseReason): Promise<void> {
    await redis.set(keys.pauseReason(entry.account.id), reason);
    await entry.queue.pause();
    await notable?.paused(entry.account.id, true);
  }

  const recordedPauseReason = async (accountId: string) => (await redis.get(keys.pauseReason(accountId))) as PauseReason | null;

  return {
    pause,
    async recordUnauthorized(entry) {
      const key = keys.authFailures(entry.account.id);
      const [[, count]] = (await redis.multi().incr(key).expire(key, AUTH_FAILURE_WINDOW_SECONDS).exec()) as [[unknown, number], unknown];
      if (count < threshold || (await entry.queue.isPaused())) return false;
      await pause(entry, 'unauthorized');
      return true;
    },
    async resume(entry) {
      await redis.del(keys.authFailures(entry.account.id), keys.pauseReason(entry.account.id));
      await entry.queue.resume();
      await notable?.paused(entry.account.id, false);
    },
    async pauseReason(entry) {
      if (!(await entry.queue.isPaused())) return null;
      return (await recordedPauseReason(entry.account.id)) ?? 'manual';
    },
    recordedPauseReason,
  };
}
