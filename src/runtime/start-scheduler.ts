import type { Config } from '../config/types.js';
import { redisReadiness, type Readiness } from '../health/redis-readiness.js';
import type { Logger } from '../logger.js';
import { createAccountQueues } from '../queues/account-queues.js';
import { logConnectionState } from '../redis/connection-log.js';
import { createRedis } from '../redis/create-redis.js';
import { keyNames } from '../queues/names.js';
import { syncAutoCloseSchedules } from '../scheduler/sync-schedules.js';

export interface SchedulerRuntime {
  readiness(): Promise<Readiness>;
  close(): Promise<void>;
}

/** Re-sync period: cheap and idempotent, and it restores a schedule lost with Redis data. */
const RESYNC_EVERY_MS = 60_000;

/**
 * The scheduler: keeps one BullMQ job scheduler per auto-closing account.
 * The sweeps themselves run on the workers, through each account's rate limit.
 */
export async function startScheduler(config: Config, logger: Logger): Promise<SchedulerRuntime> {
  const redis = createRedis(config, 'worker', 'closer-scheduler');
  logConnectionState(redis, logger, 'closer-scheduler');
  const keys = keyNames(config.queuePrefix);
  const queues = createAccountQueues(config.accounts, redis, keys);
  const sync = async () => {
    try {
      const { scheduled, removed } = await syncAutoCloseSchedules(queues, config.jobs);
      logger.debug({ scheduled, removed }, 'auto-close schedules in sync');
      return { scheduled, removed };
    } catch (error) {
      logger.warn({ err: error }, 'could not sync auto-close schedules; retrying later');
      return undefined;
    }
  };
  const first = await sync();
  logger.info({ autoClose: first?.scheduled ?? [], removed: first?.removed ?? [] }, 'scheduler started');
  const timer = setInterval(() => void sync(), RESYNC_EVERY_MS);
  timer.unref();
  return {
    readiness: () => redisReadiness(redis, { keys }),
    async close() {
      clearInterval(timer);
      await queues.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
