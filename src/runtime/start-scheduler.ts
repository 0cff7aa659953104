import type { Config } from '../config/types.js';
import { redisReadiness, type Readiness } from '../health/redis-readiness.js';
import type { Logger } from '../logger.js';
import { createAccountQueues } from '../queues/account-queues.js';
import { logConnectionState } from '../redis/connection-log.js';
import { createRedis } from '../redis/create-redis.js';
import { keyNames } from '../queues/names.js';
import { createReadyIndex } from '../queues/ready-index.js';
import { syncAutoCloseSchedules } from '../scheduler/sync-schedules.js';
import { openRegistry } from './open-registry.js';

export interface SchedulerRuntime {
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/**
 * Re-sync period: idempotent, and it restores a schedule lost with Redis
 * data. An upsert is a few commands per auto-closing account: every ten
 * minutes keeps 10,000 of them under 100 commands a second.
 */
const RESYNC_EVERY_MS = 600_000;

/**
 * The scheduler: keeps one BullMQ job scheduler per auto-closing account.
 * The sweeps themselves run on the workers, through each account's rate limit.
 */
export async function startScheduler(config: Config, logger: Logger): Promise<SchedulerRuntime> {
  const redis = createRedis(config, 'worker', 'closer-scheduler');
  logConnectionState(redis, logger, 'closer-scheduler');
  const keys = keyNames(config.queuePrefix);
  const registry = await openRegistry(config, redis, keys, logger, 'info');
  const queues = createAccountQueues(registry.accounts, redis, keys);
  const index = createReadyIndex(redis, keys);
  // A managed account made, changed or removed: its schedule follows at once (the periodic sync would in ten minutes).
  registry.accounts.onChange((accountId) => {
    const sync = registry.accounts.get(accountId) ? syncAutoCloseSchedules({ queues, jobs: config.jobs, redis, keys, index }, { only: [accountId], removeStale: true }) : queues.forget(accountId);
    void sync.catch((error: unknown) => logger.warn({ err: error, account: accountId }, 'could not update the auto-close schedule; the next periodic sync retries'));
  });
  const sync = async (first: boolean) => {
    try {
      // At start-up also: schedulers of accounts that no longer auto-close are removed, and each sweep's account is put in the ready index.
      const { scheduled, removed } = await syncAutoCloseSchedules({ queues, jobs: config.jobs, redis, keys, index }, { removeStale: first, touch: first });
      logger.debug({ scheduled, removed }, 'auto-close schedules in sync');
      return { scheduled, removed };
    } catch (error) {
      logger.warn({ err: error }, 'could not sync auto-close schedules; retrying later');
      return undefined;
    }
  };
  const first = await sync(true);
  logger.info({ autoClose: first?.scheduled ?? [], removed: first?.removed ?? [] }, 'scheduler started');
  const timer = setInterval(() => void sync(false), RESYNC_EVERY_MS);
  timer.unref();
  return {
    readiness: () => redisReadiness(redis, { keys }),
    async close() {
      clearInterval(timer);
      registry.stop();
      await queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
