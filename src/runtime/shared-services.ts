import type { RedisClient } from '../redis/create-redis.js';
import { createAccountControl, type AccountControl } from '../accounts/account-control.js';
import { createAccountDirectory, type AccountDirectory } from '../accounts/account-directory.js';
import { createNotableAccounts, type NotableAccounts } from '../accounts/notable-accounts.js';
import { createBatchStore, type BatchStore } from '../batches/batch-store.js';
import { createCallbackQueue, type CallbackQueue } from '../callbacks/callback-queue.js';
import type { AccountSource } from '../accounts/account-registry.js';
import type { AccountInfo, Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ActivityRecorder } from '../stats/activity-recorder.js';
import { createDeadLetterStore, type DeadLetterStore } from '../dead-letters/dead-letter-store.js';
import { createReadyIndex, type ReadyIndex } from '../queues/ready-index.js';
import { createAccountQueues, type AccountQueues } from '../queues/account-queues.js';
import { keyNames, type KeyNames } from '../queues/names.js';
import { createSweepStore, type SweepStore } from '../sweeps/sweep-store.js';

/** What producers and workers both build on one Redis connection (workers with their accounts' credentials). */
export interface SharedServices<A extends AccountInfo = AccountInfo> {
  keys: KeyNames;
  queues: AccountQueues<A>;
  batches: BatchStore;
  deadLetters: DeadLetterStore;
  control: AccountControl;
  sweeps: SweepStore;
  directory: AccountDirectory;
  /** Accounts with work to take: touched after every add of jobs (see queues/ready-index.ts). */
  index: ReadyIndex;
  notable: NotableAccounts;
  /** The deployment's callbacks queue: a batch's callback job is made with the batch and brought forward when it is done. */
  callbacks: CallbackQueue;
}

/**
 * `accounts`: the process's registry (or configured accounts only); `metrics` is left out by processes that export none (the CLI);
 * `activity`: the workers' per-minute counts, told of each dead letter they make.
 */
export function createSharedServices<A extends AccountInfo>(config: Config, redis: RedisClient, accounts: AccountSource<A>, metrics?: Metrics, activity?: Pick<ActivityRecorder, 'record'>): SharedServices<A> {
  const keys = keyNames(config.queuePrefix);
  const queues = createAccountQueues(accounts, redis, keys);
  const callbacks = createCallbackQueue(redis, keys);
  const batches = createBatchStore(redis, keys, {
    onDone: (_account, batchId) => void callbacks.promote(batchId).catch(() => undefined),
    // A lost add is made up by the batch's callback job, which looks for the events job before batch.done (callback-worker.ts).
    onEvents: (account, batchId, arm) => void callbacks.gather(account, batchId, arm).catch(() => undefined),
  });
  const index = createReadyIndex(redis, keys);
  const notable = createNotableAccounts(redis, keys);
  return {
    index,
    notable,
    callbacks,
    keys,
    queues,
    batches,
    deadLetters: createDeadLetterStore(queues, batches, config.jobs, {
      ...(metrics ? { metrics } : {}),
      jobsAdded: (accountId) => index.touch(accountId),
      deadLettered: (accountId) => notable.deadLettered(accountId),
      ...(activity ? { counted: (accountId: string) => activity.record(accountId, 'dead_lettered') } : {}),
    }),
    control: createAccountControl(redis, keys, config.jobs.unauthorizedPauseAfter, notable),
    sweeps: createSweepStore(redis, keys),
    directory: createAccountDirectory(redis, keys),
  };
}
