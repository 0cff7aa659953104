import type { JobSettings } from '../config/types.js';
import type { AccountQueues } from '../queues/account-queues.js';
import { accountQueueName, type KeyNames } from '../queues/names.js';
import type { ReadyIndex } from '../queues/ready-index.js';
import { SWEEP_JOB, SWEEP_SCHEDULER_ID, sweepJobOptions, type SweepJobData } from '../queues/sweep-job.js';
import type { RedisClient } from '../redis/create-redis.js';

export interface ScheduleDeps {
  queues: AccountQueues;
  jobs: JobSettings;
  redis: RedisClient;
  keys: KeyNames;
  index: ReadyIndex;
}

/** Accounts looked at concurrently when looking for schedulers to remove. */
const CHUNK = 200;

/**
 * Makes each account queue's auto-close job scheduler match the configuration:
 * upserted (by a fixed id, so any number of scheduler processes agree on one
 * schedule) where `autoClose` is set, and with `touch` the account put in
 * the ready index (its first sweep is a delayed job; later ones are found by
 * the dispatcher as it settles the account). With `removeStale`, also removed where
 * it is not set (one read per account to find them: done at start-up, where
 * 10,000 accounts cost a second, not every round). With `only`, just those
 * accounts (a managed account that changed).
 */
export async function syncAutoCloseSchedules(
  deps: ScheduleDeps,
  { removeStale = false, touch = true, only }: { removeStale?: boolean; touch?: boolean; only?: readonly string[] } = {},
): Promise<{ scheduled: string[]; removed: string[] }> {
  const { queues, jobs, redis, keys, index } = deps;
  const scheduled: string[] = [];
  const removed: string[] = [];
  const stale: string[] = [];
  for (const id of only ?? queues.ids()) {
    const account = queues.accountOf(id);
    // Gone meanwhile: its removal took its queue, schedule and all.
    if (!account) continue;
    if (account.autoClose) {
      await queues.get(id)!.queue.upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: account.autoClose.everyMs },
        { name: SWEEP_JOB, data: { account: id } satisfies SweepJobData, opts: sweepJobOptions(jobs) },
      );
      if (touch) await index.touch(id);
      scheduled.push(id);
    } else if (removeStale) stale.push(id);
  }
  for (let start = 0; start < stale.length; start += CHUNK) {
    const chunk = stale.slice(start, start + CHUNK);
    // The scheduler ids of a queue are a sorted set, `<queue key>:repeat`.
    const found = await Promise.all(chunk.map((id) => redis.zscore(`${keys.queuePrefix(id)}:${accountQueueName(id)}:repeat`, SWEEP_SCHEDULER_ID)));
    for (const [position, id] of chunk.entries()) {
      if (found[position] !== null && (await queues.get(id)!.queue.removeJobScheduler(SWEEP_SCHEDULER_ID))) removed.push(id);
    }
  }
  return { scheduled, removed };
}
