import type { Job } from 'bullmq';
import type { AccountConfig, Config } from '../config/types.js';
import { createAccountViews } from '../dispatch/account-views.js';
import { createDispatcher } from '../dispatch/dispatcher.js';
import { reconcileReadyIndex } from '../dispatch/index-reconciler.js';
import type { Logger } from '../logger.js';
import { allReady, redisReadiness, type Readiness } from '../health/redis-readiness.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createHttpClient } from '../providers/http/create-http-client.js';
import { CLOSE_JOB, type CloseJobData } from '../queues/close-job.js';
import { logConnectionState } from '../redis/connection-log.js';
import { createRedis, type RedisClient } from '../redis/create-redis.js';
import { createAccountJobs, type AccountJobs } from '../worker/account-jobs.js';
import { AccountWaitError } from '../worker/account-wait-error.js';
import { backoffDelay } from '../worker/backoff.js';
import type { JobEventListener } from '../worker/job-events.js';
import { BACKOFF_TYPE } from '../queues/close-job.js';
import { keepPublished } from '../accounts/account-directory.js';
import { warnOfLegacyKeys } from '../upgrade/legacy-keys-warning.js';
import { accountQueueName, keyNames } from '../queues/names.js';
import { openRegistry } from './open-registry.js';
import { startCallbackWorker } from '../callbacks/callback-worker.js';
import { apiKeyCallbackSecret } from '../auth/api-keys.js';
import { createSharedServices } from './shared-services.js';
import { createActivityRecorder } from '../stats/activity-recorder.js';
import { createActivityStore } from '../stats/activity-store.js';

export interface WorkerRuntimeOptions {
  /** Shared with the other parts of an all-in-one process; a registry of its own otherwise. */
  metrics?: Metrics;
  /** Told of rate limits, retries and final failures as they happen (the demo narrates them). */
  onJobEvent?: JobEventListener;
  /** How often the per-minute activity counts are written for the console (stats/activity-recorder.ts); tests shorten it. */
  activityFlushMs?: number;
}

export interface WorkerRuntime {
  metrics: Metrics;
  /** Redis usable and the dispatcher going. */
  readiness(): Promise<Readiness>;
  /** The process's connection to Redis (its commands, and BullMQ's), for diagnostics. */
  connection(): RedisClient;
  /** Sweeps failed jobs into their dead letters now: the accounts that had failures lately, or every account. */
  reconcile(scope?: 'recent' | 'all'): Promise<number>;
  close(): Promise<void>;
}

/** A job stalled this often (its worker died each time) fails rather than looping; closes go to the dead letters. */
const MAX_STALLED_COUNT = 3;
/** Accounts whose failed-jobs key is looked at at once, in the sweep over every account. */
const FAILED_CHECK_CHUNK = 1_000;

/**
 * The accounts that have failed jobs, found with one ZCARD each (sent a
 * chunk at a time, so they travel together), before any BullMQ Queue is
 * made for them: a Queue costs about 13 KB and several listeners on the
 * connection, which, made for each of 10,000 accounts, cost seconds and
 * hundreds of MB for nothing.
 */
async function withFailedJobs(redis: RedisClient, accountIds: readonly string[], failedKey: (accountId: string) => string): Promise<string[]> {
  const found: string[] = [];
  for (let start = 0; start < accountIds.length; start += FAILED_CHECK_CHUNK) {
    const chunk = accountIds.slice(start, start + FAILED_CHECK_CHUNK);
    const sizes = await Promise.all(chunk.map((id) => redis.zcard(failedKey(id))));
    chunk.forEach((id, position) => sizes[position]! > 0 && found.push(id));
  }
  return found;
}

/** A job taken just as its account was removed goes back to wait this long (the removal's purge takes it). */
const REMOVED_WAIT_MS = 60_000;
/** How often an unknown account found due makes the process look at the registry before the next poll. */
const UNKNOWN_SYNC_MS = 250;
/** Every account's failed jobs are swept into the dead letters this often, besides those that failed lately (every reconcile). */
const FULL_RECONCILE_EVERY = 20;

/**
 * The worker side of a process: one dispatcher serving every configured
 * account from one connection (see dispatch/dispatcher.ts), the dead-letter
 * reconciler, and the ready index's reconciliation.
 */
export async function startWorkers(config: Config, logger: Logger, options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const metrics = options.metrics ?? createMetrics({ accountLabel: config.metricsAccountLabel });
  const redis = createRedis(config, 'worker', 'closer-worker');
  logConnectionState(redis, logger, 'closer-worker');
  const { jobs } = config;
  const http = createHttpClient({ timeoutMs: jobs.httpTimeoutMs, maxSockets: jobs.concurrency * 4 });
  const registry = await openRegistry(config, redis, keyNames(config.queuePrefix), logger, 'credentials');
  // Closes, dead letters and 429s per account and minute, for the console: counted in memory, written every few seconds.
  const activity = createActivityRecorder({
    store: createActivityStore(redis, keyNames(config.queuePrefix)),
    logger,
    ...(options.activityFlushMs !== undefined ? { flushEveryMs: options.activityFlushMs } : {}),
  });
  const services = createSharedServices(config, redis, registry.accounts, metrics, activity);
  const { keys } = services;
  const { index } = services;
  const views = createAccountViews(redis, keys, {
    lockDurationMs: jobs.lockDurationMs,
    // A killed worker's jobs are found stalled within one lock duration and run again.
    stalledIntervalMs: jobs.lockDurationMs,
    maxStalledCount: MAX_STALLED_COUNT,
    backoffStrategy: (attemptsMade, type) => (type === BACKOFF_TYPE ? backoffDelay(attemptsMade, jobs.backoffDelayMs, jobs.backoffMaxMs) : 0),
  });

  // Each account's processors are made when it first has a job (most of 10,000 accounts may have none for long).
  const accountJobs = new Map<string, AccountJobs>();
  const jobsOf = (accountId: string): AccountJobs => {
    let found = accountJobs.get(accountId);
    if (!found) {
      const entry = services.queues.get(accountId)!;
      found = createAccountJobs({
        entry,
        redis,
        keys,
        jobs,
        http,
        batches: services.batches,
        index: services.index,
        control: services.control,
        sweeps: services.sweeps,
        metrics,
        activity,
        logger: logger.child({ account: accountId }),
        onSleep: () => dispatcher.onSleep(),
        ...(options.onJobEvent ? { events: options.onJobEvent } : {}),
      });
      accountJobs.set(accountId, found);
    }
    return found;
  };

  // A managed account changed: its next job runs with what it is now (credentials, rate limit); one removed is let go.
  registry.accounts.onChange((accountId) => {
    const retired = accountJobs.get(accountId);
    accountJobs.delete(accountId);
    retired?.drain().catch((error: unknown) => logger.warn({ err: error, account: accountId }, 'could not send the batch marks of a changed account'));
    if (!registry.accounts.get(accountId)) {
      void services.queues.forget(accountId);
      // Written after the removal, its counts would make its activity key again.
      activity.forget(accountId);
    }
    dispatcher.wake();
  });
  /** An account due in the index that this process does not know may have been made a moment ago: look, at most every so often. */
  let unknownSyncAt = 0;
  const serves = (accountId: string) => {
    if (services.queues.get(accountId)) return true;
    if (Date.now() - unknownSyncAt >= UNKNOWN_SYNC_MS) {
      unknownSyncAt = Date.now();
      registry.feed.sync().catch(() => undefined);
    }
    return false;
  };

  // The failed path is the fast way to the dead letters; the reconciler is the one that cannot be lost.
  const bury = async (accountId: string, job: Job) => {
    if (job.name !== CLOSE_JOB || !(await job.isFailed())) return;
    await redis.zadd(keys.failedAccounts(), Date.now(), accountId);
    await services.deadLetters.bury(services.queues.get(accountId)!, job as Job<CloseJobData>);
  };

  const dispatcher = createDispatcher({
    redis,
    keys,
    index,
    views,
    serves,
    process: async (accountId, job, token) => {
      // A change announced a moment ago (new credentials, a new limit) is read before the job runs.
      await registry.feed.settled();
      if (!services.queues.get(accountId)) throw new AccountWaitError(REMOVED_WAIT_MS, 'its account was removed');
      return jobsOf(accountId).run(job, token);
    },
    onRegistryChange: () => void registry.feed.sync().catch(() => undefined),
    onFailed: (accountId, job) => {
      bury(accountId, job).catch((error: unknown) => logger.warn({ err: error, jobId: job.id }, 'dead-letter move failed; the reconciler will retry'));
    },
    concurrency: jobs.concurrency,
    accountConcurrency: jobs.accountConcurrency,
    lockDurationMs: jobs.lockDurationMs,
    stalledIntervalMs: jobs.lockDurationMs,
    logger,
  });

  const callbackWorker = startCallbackWorker({ config, redis, keys, batches: services.batches, callbacks: services.callbacks, metrics, logger, keySecret: (keyId) => apiKeyCallbackSecret(registry.feed, registry.box, keyId) });

  let rounds = 0;
  const reconcile = async (scope: 'recent' | 'all' = 'recent') => {
    const failedKey = keys.failedAccounts();
    const recent = scope === 'all' ? await withFailedJobs(redis, services.queues.ids(), (id) => `${keys.queuePrefix(id)}:${accountQueueName(id)}:failed`) : await redis.zrange(failedKey, 0, -1);
    let buried = 0;
    for (const accountId of recent) {
      const entry = services.queues.get(accountId);
      if (!entry) continue;
      try {
        // Out of the list first: a failure recorded meanwhile puts it back for the next round.
        if (scope === 'recent') await redis.zrem(failedKey, accountId);
        buried += await services.deadLetters.reconcile(entry);
      } catch (error) {
        logger.warn({ err: error, account: accountId }, 'dead-letter reconcile failed; next round retries');
        if (scope === 'recent') await redis.zadd(failedKey, Date.now(), accountId).catch(() => undefined);
      }
    }
    if (buried > 0) logger.info({ buried }, 'reconciler moved failed jobs to the dead letters');
    return buried;
  };
  const accounts: readonly AccountConfig[] = config.accounts;
  await warnOfLegacyKeys(redis, services.queues.ids(), logger);
  await reconcile('all');
  // Jobs enqueued before this process (or this version, which keeps the ready index) are found now.
  await reconcileReadyIndex({ redis, index, views, accountIds: services.queues.ids() });
  const timer = setInterval(() => {
    rounds += 1;
    void reconcile(rounds % FULL_RECONCILE_EVERY === 0 ? 'all' : 'recent').catch(() => undefined);
  }, jobs.reconcileEveryMs);
  timer.unref();
  const indexTimer = setInterval(() => {
    void reconcileReadyIndex({ redis, index, views, accountIds: services.queues.ids(), lock: { key: keys.reconcileLock(), seconds: 540 } }).catch((error: unknown) =>
      logger.debug({ err: error }, 'ready-index reconcile failed; next round retries'),
    );
  }, 600_000);
  indexTimer.unref();
  const stopPublishing = keepPublished(services.directory, accounts, (error) => logger.debug({ err: error }, 'could not publish the accounts; next round retries'));

  logger.info({ accounts: services.queues.ids().length, managed: registry.feed.records('account').size, concurrency: jobs.concurrency, accountConcurrency: jobs.accountConcurrency }, 'workers started');
  return {
    metrics,
    readiness: () =>
      allReady([
        () => redisReadiness(redis, { keys }),
        async () => (dispatcher.healthy() ? { ready: true } : { ready: false, reason: 'the dispatcher has not looked for work for 15 s' }),
      ]),
    connection: () => redis,
    reconcile,
    async close() {
      clearInterval(timer);
      clearInterval(indexTimer);
      registry.stop();
      stopPublishing();
      await dispatcher.close();
      await callbackWorker.close();
      await Promise.all([...accountJobs.values()].map((account) => account.drain()));
      // The last seconds' counts, once no job runs: a stopping worker's closes still show in the console.
      await activity.close();
      await views.close();
      await services.queues.close();
      await services.callbacks.close();
      http.destroy();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
