import { Worker, type Job } from 'bullmq';
import type { RedisClient } from '../redis/create-redis.js';
import type { AccountControl } from '../accounts/account-control.js';
import type { BatchStore } from '../batches/batch-store.js';
import type { AccountConfig, JobSettings } from '../config/types.js';
import type { DeadLetterStore } from '../dead-letters/dead-letter-store.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { createProviderClient } from '../providers/create-provider-client.js';
import type { HttpClient } from '../providers/http/create-http-client.js';
import type { AccountQueue } from '../queues/account-queues.js';
import { BACKOFF_TYPE, CLOSE_JOB, type CloseJobData } from '../queues/close-job.js';
import { LIST_JOB } from '../queues/list-job.js';
import type { KeyNames } from '../queues/names.js';
import { SWEEP_JOB } from '../queues/sweep-job.js';
import { createAccountRateLimiter } from '../rate-limit/account-rate-limiter.js';
import { isConnectionLost } from '../redis/redis-errors.js';
import { loadScriptsFor } from '../redis/slot-connection.js';
import type { SweepStore } from '../sweeps/sweep-store.js';
import { backoffDelay } from './backoff.js';
import { createBatchMarks } from './batch-marks.js';
import { createCloseProcessor } from './close-processor.js';
import type { JobEventListener } from './job-events.js';
import { createListProcessor } from './list-processor.js';
import { createSweepProcessor } from './sweep-processor.js';

export interface AccountWorkerDeps {
  entry: AccountQueue<AccountConfig>;
  /**
   * The connection BullMQ's worker runs its commands on (it duplicates it for
   * the blocking fetch), shared with the limiter and dead letters. `batches`
   * must use it too: a batch mark then reaches Redis before the completion of
   * its job (see batch-marks.ts).
   */
  redis: RedisClient;
  keys: KeyNames;
  jobs: JobSettings;
  http: HttpClient;
  batches: BatchStore;
  deadLetters: DeadLetterStore;
  control: AccountControl;
  sweeps: SweepStore;
  metrics: Metrics;
  logger: Logger;
  events?: JobEventListener;
}

export interface AccountWorker {
  worker: Worker;
  /** Stops fetching, lets active jobs finish (or hands them back at the deadline), then waits for their batch marks. */
  close(): Promise<void>;
}

/**
 * BullMQ honours `worker.rateLimit()` only when a limiter is configured. The
 * account's real limit lives in the account rate limiter (sliding-window
 * exact, across processes); this one never limits by itself, and its counter
 * lives 1 ms, so the dashboard shows "rate limited" only during a 429 pause.
 */
const HONOUR_RATE_LIMIT_CALLS = { max: Number.MAX_SAFE_INTEGER - 1, duration: 1 };
/** A job stalled this often (its worker died each time) fails rather than looping; closes go to the dead letters. */
const MAX_STALLED_COUNT = 3;

/** One account's worker: closes, lists and auto-close sweeps, all through the account's rate limiter. */
export function startAccountWorker(deps: AccountWorkerDeps): AccountWorker {
  const { entry, jobs, logger, metrics } = deps;
  const account = entry.account.id;
  const limiter = createAccountRateLimiter({
    redis: deps.redis,
    key: deps.keys.limiter(account),
    logKey: deps.keys.sendLog(account),
    rate: entry.account.rateLimit,
    leaseSize: jobs.concurrency,
    onWait: (ms) => metrics.rateLimitWait.observe({ account }, ms / 1000),
  });
  const client = createProviderClient(entry.account, {
    http: deps.http.got,
    acquireSend: () => limiter.acquire(),
    observe: (operation, status, seconds) => {
      metrics.providerRequests.inc({ account, operation, status });
      metrics.providerLatency.observe({ account, operation }, seconds);
    },
  });
  // Called only while a job runs, which is after the worker below exists.
  const context = { entry, limiter, control: deps.control, logger, metrics, worker: () => worker, ...(deps.events ? { events: deps.events } : {}) };
  const marks = createBatchMarks({ markCompleted: (batchId, jobIds, options) => deps.batches.markCompleted(account, batchId, jobIds, options) }, logger);
  const processors: Record<string, (job: Job, token?: string) => Promise<unknown>> = {
    [CLOSE_JOB]: createCloseProcessor({ ...context, client, marks }),
    [LIST_JOB]: createListProcessor({ ...context, client }),
    [SWEEP_JOB]: createSweepProcessor({
      ...context,
      client,
      sweeps: deps.sweeps,
      enqueue: { batches: deps.batches, jobs, reloadScripts: (accountKey) => loadScriptsFor(deps.redis, accountKey) },
    }),
  };

  const worker: Worker = new Worker(
    entry.queue.name,
    async (job, token) => {
      const processor = processors[job.name];
      if (!processor) throw new Error(`no processor for job "${job.name}"`);
      return processor(job, token);
    },
    {
      connection: deps.redis,
      prefix: deps.keys.queuePrefix(account),
      concurrency: jobs.concurrency,
      limiter: HONOUR_RATE_LIMIT_CALLS,
      maxStalledCount: MAX_STALLED_COUNT,
      // A killed worker's jobs are found stalled within one lock duration and run again.
      lockDuration: jobs.lockDurationMs,
      stalledInterval: jobs.lockDurationMs,
      settings: {
        backoffStrategy: (attemptsMade: number, type?: string) =>
          type === BACKOFF_TYPE ? backoffDelay(attemptsMade, jobs.backoffDelayMs, jobs.backoffMaxMs) : 0,
      },
    },
  );

  // The failed event is the fast path to the dead letters; the reconciler is the one that cannot be lost.
  const bury = async (job: Job | undefined) => {
    if (!job || job.name !== CLOSE_JOB || !(await job.isFailed())) return;
    await deps.deadLetters.bury(entry, job as Job<CloseJobData>);
  };
  worker.on('failed', (job) => {
    bury(job).catch((error: unknown) => logger.warn({ err: error, jobId: job?.id }, 'dead-letter move failed; the reconciler will retry'));
  });
  // Connection failures are logged once per state change by the connection's owner, not once per retry here.
  worker.on('error', (error) => {
    if (!isConnectionLost(error)) logger.error({ err: error }, 'worker error');
  });

  return {
    worker,
    async close() {
      await worker.close();
      await marks.drain();
    },
  };
}
