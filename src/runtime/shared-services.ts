import type { Redis } from 'ioredis';
import { createAccountControl, type AccountControl } from '../accounts/account-control.js';
import { createBatchStore, type BatchStore } from '../batches/batch-store.js';
import type { Config } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import { createDeadLetterStore, type DeadLetterStore } from '../dead-letters/dead-letter-store.js';
import { createAccountQueues, type AccountQueues } from '../queues/account-queues.js';
import { keyNames, type KeyNames } from '../queues/names.js';
import { createSweepStore, type SweepStore } from '../sweeps/sweep-store.js';

/** What producers and workers both build on one Redis connection. */
export interface SharedServices {
  keys: KeyNames;
  queues: AccountQueues;
  batches: BatchStore;
  deadLetters: DeadLetterStore;
  control: AccountControl;
  sweeps: SweepStore;
}

/** `metrics` is left out by processes that export none (the CLI). */
export function createSharedServices(config: Config, redis: Redis, metrics?: Metrics): SharedServices {
  const keys = keyNames(config.queuePrefix);
  const queues = createAccountQueues(config.accounts, redis, config.queuePrefix);
  const batches = createBatchStore(redis, keys);
  return {
    keys,
    queues,
    batches,
    deadLetters: createDeadLetterStore(queues, batches, config.jobs, metrics),
    control: createAccountControl(redis, keys, config.jobs.unauthorizedPauseAfter),
    sweeps: createSweepStore(redis, keys),
  };
}
