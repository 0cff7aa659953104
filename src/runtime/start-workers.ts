import type { RedisClient } from '../redis/create-redis.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import { watchBlockingConnections } from '../health/blocking-watch.js';
import { allReady, redisReadiness, type Readiness } from '../health/redis-readiness.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { createHttpClient } from '../providers/http/create-http-client.js';
import { logConnectionState } from '../redis/connection-log.js';
import { createRedis } from '../redis/create-redis.js';
import { startAccountWorker, type AccountWorker } from '../worker/account-worker.js';
import type { JobEventListener } from '../worker/job-events.js';
import { keepPublished } from '../accounts/account-directory.js';
import { warnOfLegacyKeys } from '../upgrade/legacy-keys-warning.js';
import { createSharedServices } from './shared-services.js';

export interface WorkerRuntimeOptions {
  /** Shared with the other parts of an all-in-one process; a registry of its own otherwise. */
  metrics?: Metrics;
  /** After this, an unanswered command on a worker's blocking connection makes the process not ready. */
  stuckAfterMs?: number;
  /** Told of rate limits, retries and final failures as they happen (the demo narrates them). */
  onJobEvent?: JobEventListener;
}

export interface WorkerRuntime {
  workers: AccountWorker[];
  metrics: Metrics;
  /** Redis usable and every worker's blocking connection answering. */
  readiness(): Promise<Readiness>;
  /** The connections BullMQ blocks on for jobs, for diagnostics. */
  blockingConnections(): readonly RedisClient[];
  /** Sweeps failed jobs of every account into their dead letters now. */
  reconcile(): Promise<number>;
  close(): Promise<void>;
}

/** Every configured account's worker in this process, plus the dead-letter reconciler. */
export async function startWorkers(config: Config, logger: Logger, options: WorkerRuntimeOptions = {}): Promise<WorkerRuntime> {
  const metrics = options.metrics ?? createMetrics();
  const redis = createRedis(config, 'worker', 'closer-worker');
  logConnectionState(redis, logger, 'closer-worker');
  const blocking = watchBlockingConnections(redis, options.stuckAfterMs);
  const http = createHttpClient({ timeoutMs: config.jobs.httpTimeoutMs, maxSockets: config.jobs.concurrency * 4 });
  const services = createSharedServices(config, redis, metrics);

  const workers = services.queues.all().map((entry) =>
    startAccountWorker({
      entry,
      redis,
      keys: services.keys,
      jobs: config.jobs,
      http,
      batches: services.batches,
      deadLetters: services.deadLetters,
      control: services.control,
      sweeps: services.sweeps,
      metrics,
      logger: logger.child({ account: entry.account.id }),
      ...(options.onJobEvent ? { events: options.onJobEvent } : {}),
    }),
  );

  const reconcile = async () => {
    let buried = 0;
    for (const entry of services.queues.all()) {
      try {
        buried += await services.deadLetters.reconcile(entry);
      } catch (error) {
        logger.warn({ err: error, account: entry.account.id }, 'dead-letter reconcile failed; next round retries');
      }
    }
    if (buried > 0) logger.info({ buried }, 'reconciler moved failed jobs to the dead letters');
    return buried;
  };
  await warnOfLegacyKeys(redis, config.accounts.map((account) => account.id), logger);
  await reconcile();
  const timer = setInterval(() => void reconcile(), config.jobs.reconcileEveryMs);
  timer.unref();
  const stopPublishing = keepPublished(services.directory, config.accounts, (error) => logger.debug({ err: error }, 'could not publish the accounts; next round retries'));

  logger.info({ accounts: workers.map((w) => w.worker.name), concurrency: config.jobs.concurrency }, 'workers started');
  return {
    workers,
    metrics,
    readiness: () => allReady([() => redisReadiness(redis, { keys: services.keys }), async () => blocking.readiness()]),
    blockingConnections: () => blocking.connections(),
    reconcile,
    async close() {
      clearInterval(timer);
      stopPublishing();
      await Promise.all(workers.map((w) => w.close()));
      await services.queues.close();
      http.destroy();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
