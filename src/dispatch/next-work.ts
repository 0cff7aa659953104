import type { RedisClient } from '../redis/create-redis.js';
import type { AccountView } from './account-views.js';

/**
 * When the account's queue has something to take: now (waiting or
 * prioritized jobs), its first delayed job's time, or never (empty, or
 * paused: BullMQ 6 keeps a paused queue's jobs in wait and flags its meta;
 * resuming it touches the ready index). One transaction in the account's slot.
 */
export async function nextWorkAt(redis: RedisClient, view: AccountView): Promise<number | undefined> {
  const { keys } = view.backend;
  const [[, paused], [, waiting], [, prioritized], [, delayed]] = (await redis
    .multi()
    .hexists(keys.meta!, 'paused')
    .llen(keys.wait!)
    .zcard(keys.prioritized!)
    .zrange(keys.delayed!, 0, 0, 'WITHSCORES')
    .exec()) as [[unknown, number], [unknown, number], [unknown, number], [unknown, string[]]];
  if (paused === 1) return undefined;
  if (waiting + prioritized > 0) return Date.now();
  // BullMQ scores a delayed job by its time (ms) times 4096, plus a counter.
  if (delayed.length === 2) return Math.floor(Number(delayed[1]) / 0x1000);
  return undefined;
}
