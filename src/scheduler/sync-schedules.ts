import type { JobSettings } from '../config/types.js';
import type { AccountQueues } from '../queues/account-queues.js';
import { SWEEP_JOB, SWEEP_SCHEDULER_ID, sweepJobOptions, type SweepJobData } from '../queues/sweep-job.js';

/**
 * Makes each account queue's auto-close job scheduler match the configuration:
 * upserted (by a fixed id, so any number of scheduler processes agree on one
 * schedule) where `autoClose` is set, removed where it is not.
 */
export async function syncAutoCloseSchedules(queues: AccountQueues, jobs: JobSettings): Promise<{ scheduled: string[]; removed: string[] }> {
  const scheduled: string[] = [];
  const removed: string[] = [];
  for (const { account, queue } of queues.all()) {
    if (account.autoClose) {
      await queue.upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: account.autoClose.everyMs },
        { name: SWEEP_JOB, data: { account: account.id } satisfies SweepJobData, opts: sweepJobOptions(jobs) },
      );
      scheduled.push(account.id);
    } else if (await queue.removeJobScheduler(SWEEP_SCHEDULER_ID)) {
      removed.push(account.id);
    }
  }
  return { scheduled, removed };
}
