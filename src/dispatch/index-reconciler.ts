import type { RedisClient } from '../redis/create-redis.js';
import type { AccountViews } from './account-views.js';
import { nextWorkAt } from './next-work.js';
import type { ReadyIndex } from '../queues/ready-index.js';

/** Accounts looked at concurrently: enough to take little time, few enough not to crowd out jobs. */
const CHUNK = 200;

/**
 * Puts every account that has work, or delayed work, in the ready index:
 * at start-up (jobs enqueued before the index existed, or while no process
 * ran) and now and then (a wake-up lost to a crash between two steps). Three
 * reads per account; with `lock`, one process of the deployment does it per
 * period. Never takes an account out: dispatchers do that themselves.
 */
export async function reconcileReadyIndex(options: {
  redis: RedisClient;
  index: ReadyIndex;
  views: AccountViews;
  accountIds: readonly string[];
  lock?: { key: string; seconds: number };
}): Promise<number> {
  const { redis, index, views, accountIds, lock } = options;
  if (lock && (await redis.set(lock.key, String(process.pid), 'EX', lock.seconds, 'NX')) !== 'OK') return 0;
  let found = 0;
  for (let start = 0; start < accountIds.length; start += CHUNK) {
    const chunk = accountIds.slice(start, start + CHUNK);
    // One small transaction per account (its keys share its slot), all of a chunk sent at once.
    const due = await Promise.all(chunk.map(async (accountId) => ({ accountId, atMs: await nextWorkAt(redis, views.get(accountId)) })));
    const entries = due.filter((entry): entry is { accountId: string; atMs: number } => entry.atMs !== undefined);
    await index.touchMany(entries);
    found += entries.length;
  }
  return found;
}
