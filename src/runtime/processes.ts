import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { startDemoProviders, type DemoProviders } from '../demo/demo-providers.js';
import { ensureLocalRedis } from '../demo/ensure-redis.js';
import { startHealthServer } from '../health/health-server.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { handleShutdown, type Closeable } from './lifecycle.js';
import { startApi } from './start-api.js';
import { startScheduler } from './start-scheduler.js';
import { startWorkers } from './start-workers.js';

/** `closer worker` / workers/worker.ts: every account's worker, and its health and metrics on CLOSER_HEALTH_PORT. */
export async function runWorkerProcess(config: Config, logger: Logger): Promise<void> {
  const runtime = await startWorkers(config, logger);
  const health = await startHealthServer({ port: config.healthPort, logger, readiness: runtime.readiness, metrics: runtime.metrics });
  logger.info({ health: health.url }, 'worker health and metrics listening');
  handleShutdown([{ name: 'workers', close: runtime.close }, { name: 'health', close: health.close }], logger);
}

/** `closer scheduler` / workers/scheduler.ts: the auto-close job schedulers, and health on CLOSER_HEALTH_PORT. */
export async function runSchedulerProcess(config: Config, logger: Logger): Promise<void> {
  const scheduler = await startScheduler(config, logger);
  const health = await startHealthServer({ port: config.healthPort, logger, readiness: scheduler.readiness });
  handleShutdown([{ name: 'scheduler', close: scheduler.close }, { name: 'health', close: health.close }], logger);
}

/** `closer api` / workers/api.ts: the HTTP API, dashboard and metrics, until SIGTERM. */
export async function runApiProcess(config: Config, logger: Logger): Promise<void> {
  const api = await startApi(config, logger);
  handleShutdown([{ name: 'api', close: api.close }], logger);
}

export interface AllInOne {
  apiUrl: string;
  dashboardUrl: string;
  apiToken: string;
  config: Config;
}

/**
 * `npm start` / `closer start`: API, workers and scheduler in one process,
 * sharing one metrics registry; /readyz covers the workers too. With no
 * provider configured it runs on the built-in simulators, so a fresh clone
 * shows closer working without credentials.
 */
export async function runAllInOne(
  config: Config,
  logger: Logger,
  print: (line: string) => void,
  options: { providers?: DemoProviders; closeables?: Closeable[] } = {},
): Promise<AllInOne> {
  const closeables: Closeable[] = [...(options.closeables ?? [])];
  let effective = config;
  if (config.accounts.length === 0) {
    // A fresh machine may have no Redis running yet: start one if redis-server is installed.
    const redis = await ensureLocalRedis(config.redisUrl);
    if (redis.started) {
      closeables.push({ name: 'redis', close: redis.stop });
      print(`Started a local redis-server for this run at ${config.redisUrl} (in memory).`);
    }
    const demo = options.providers ?? (await startDemoProviders());
    closeables.unshift({ name: 'simulators', close: demo.close });
    effective = { ...config, accounts: demo.accounts, apiToken: config.apiToken ?? randomBytes(16).toString('hex') };
    print('No provider configured: running on built-in simulators of Peach, Callbell and Chatwoot.');
  }
  const metrics = createMetrics();
  const workers = await startWorkers(effective, logger, { metrics });
  const api = await startApi(effective, logger, { metrics, readiness: workers.readiness });
  const scheduler = await startScheduler(effective, logger);
  closeables.unshift({ name: 'api', close: api.close }, { name: 'scheduler', close: scheduler.close }, { name: 'workers', close: workers.close });
  print(`closer is running: API ${api.url}, dashboard ${api.dashboardUrl} (accounts: ${effective.accounts.map((a) => a.id).join(', ')})`);
  if (!config.apiToken) print(`API token for this run (dashboard: any user, this as password): ${effective.apiToken}`);
  handleShutdown(closeables, logger);
  return { apiUrl: api.url, dashboardUrl: api.dashboardUrl, apiToken: effective.apiToken!, config: effective };
}
