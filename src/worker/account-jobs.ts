import type { Job } from 'bullmq';
import type { AccountControl } from '../accounts/account-control.js';
import type { BatchStore } from '../batches/batch-store.js';
import type { ReadyIndex } from '../queues/ready-index.js';
import type { AccountConfig, JobSettings } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createProviderClient } from '../providers/create-provider-client.js';
import type { HttpClient } from '../providers/http/create-http-client.js';
import type { AccountQueue } from '../queues/account-queues.js';
import { CLOSE_JOB } from '../queues/close-job.js';
import { LIST_JOB } from '../queues/list-job.js';
import type { KeyNames } from '../queues/names.js';
import { SWEEP_JOB } from '../queues/sweep-job.js';
import { createAccountRateLimiter } from '../rate-limit/account-rate-limiter.js';
import type { RedisClient } from '../redis/create-redis.js';
import { loadScriptsFor } from '../redis/slot-connection.js';
import type { ActivityRecorder } from '../stats/activity-recorder.js';
import type { SweepStore } from '../sweeps/sweep-store.js';
import { createBatchMarks, type BatchMarks } from './batch-marks.js';
import { createCloseProcessor } from './close-processor.js';
import type { JobEventListener } from './job-events.js';
import { createListProcessor } from './list-processor.js';
import { createSweepProcessor } from './sweep-processor.js';

export interface AccountJobsDeps {
  entry: AccountQueue<AccountConfig>;
  /**
   * The connection the dispatcher finishes jobs on, shared with the limiter
   * and the batch store: a batch mark then reaches Redis before the
   * completion of its job (see batch-marks.ts).
   */
  redis: RedisClient;
  keys: KeyNames;
  jobs: JobSettings;
  http: HttpClient;
  batches: BatchStore;
  index: ReadyIndex;
  control: AccountControl;
  sweeps: SweepStore;
  metrics: Metrics;
  /** The process's per-minute counts for the console: closes and the provider's 429s are counted here. */
  activity: Pick<ActivityRecorder, 'record'>;
  logger: Logger;
  events?: JobEventListener;
  /** Called when a job goes to sleep for its rate-limit slot (see the dispatcher). */
  onSleep?: () => () => void;
}

export interface AccountJobs {
  /** Runs a job of the account's queue (close, list or sweep); throws as the queue-failure rules say. */
  run(job: Job, token: string): Promise<unknown>;
  /** Sends what marks are queued; waits for those in flight. */
  drain(): Promise<void>;
}

/** One account's processors: closes, lists and auto-close sweeps, all through the account's rate limiter. */
export function createAccountJobs(deps: AccountJobsDeps): AccountJobs {
  const { entry, jobs, logger, metrics } = deps;
  const account = entry.account.id;
  const limiter = createAccountRateLimiter({
    redis: deps.redis,
    key: deps.keys.limiter(account),
    logKey: deps.keys.sendLog(account),
    rate: entry.account.rateLimit,
    leaseSize: jobs.accountConcurrency,
    onWait: (ms) => metrics.rateLimitWait.observe({ account }, ms / 1000),
    ...(deps.onSleep ? { onSleep: deps.onSleep } : {}),
  });
  const client = createProviderClient(entry.account, {
    http: deps.http.got,
    acquireSend: () => limiter.acquire(),
    observe: (operation, status, seconds) => {
      metrics.providerRequests.inc({ account, operation, status });
      metrics.providerLatency.observe({ account, operation }, seconds);
      // Every 429 answer, of closes, lists and sweeps alike: what the provider thinks of the account's rate.
      if (status === '429') deps.activity.record(account, 'rate_limited');
    },
  });
  const context = { entry, limiter, control: deps.control, logger, metrics, ...(deps.events ? { events: deps.events } : {}) };
  const marks: BatchMarks = createBatchMarks({ markCompleted: (batchId, ends, options) => deps.batches.markCompleted(account, batchId, ends, options) }, logger);
  const processors: Record<string, (job: Job, token?: string) => Promise<unknown>> = {
    [CLOSE_JOB]: createCloseProcessor({ ...context, client, marks, activity: deps.activity }),
    [LIST_JOB]: createListProcessor({ ...context, client }),
    [SWEEP_JOB]: createSweepProcessor({
      ...context,
      client,
      sweeps: deps.sweeps,
      enqueue: { batches: deps.batches, index: deps.index, jobs, reloadScripts: (accountKey) => loadScriptsFor(deps.redis, accountKey) },
    }),
  };
  return {
    async run(job, token) {
      const processor = processors[job.name];
      if (!processor) throw new Error(`no processor for job "${job.name}"`);
      return processor(job, token);
    },
    drain: () => marks.drain(),
  };
}
