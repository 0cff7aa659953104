import { randomBytes } from 'node:crypto';
import type { Config } from '../config/types.js';
import { startDemoProviders, type DemoProviders } from '../demo/demo-providers.js';
import { ensureLocalRedis } from '../demo/ensure-redis.js';
import { startHealthServer } from '../health/health-server.js';
import type { Logger } from '../logger.js';
import { createMetrics } from '../metrics/metrics.js';
import { checkRedisReachable } from '../redis/check-redis-reachable.js';
import { ConfigError } from '../errors/config-error.js';
import type { JobEventListener } from '../worker/job-events.js';
import { handleShutdown, type Closeable } from './lifecycle.js';
import { startApi } from './start-api.js';
import { startScheduler } from './start-scheduler.js';
import { startWorkers } from './start-workers.js';

/**
 * What must hold before any part starts, all checked at once: a process that
 * fails half-way through starting has already moved jobs or opened ports.
 */
async function checkBeforeStart(config: Config, { api = false, redisNote }: { api?: boolean; redisNote?: string } = {}): Promise<void> {
  const problems: string[] = [];
  if (api && !config.apiToken) problems.push('CLOSER_API_TOKEN: is required to serve the HTTP API (every /v1 route and the dashboard need it)');
  if (problems.length > 0) throw new ConfigError(problems);
  await checkRedisReachable(config, { ...(redisNote ? { note: redisNote } : {}) });
}

/** `closer worker` / workers/worker.ts: every account's worker, and its health and metrics on CLOSER_HEALTH_PORT. */
export async function runWorkerProcess(config: Config, logger: Logger): Promise<void> {
  await checkBeforeStart(config);
  const runtime = await startWorkers(config, logger);
  const health = await startHealthServer({ port: config.healthPort, host: config.host, logger, readiness: runtime.readiness, metrics: runtime.metrics });
  logger.info({ health: health.url }, 'worker health and metrics listening');
  handleShutdown([{ name: 'workers', close: runtime.close }, { name: 'health', close: health.close }], logger);
}

/** `closer scheduler` / workers/scheduler.ts: the auto-close job schedulers, and health on CLOSER_HEALTH_PORT. */
export async function runSchedulerProcess(config: Config, logger: Logger): Promise<void> {
  await checkBeforeStart(config);
  const scheduler = await startScheduler(config, logger);
  const health = await startHealthServer({ port: config.healthPort, host: config.host, logger, readiness: scheduler.readiness });
  handleShutdown([{ name: 'scheduler', close: scheduler.close }, { name: 'health', close: health.close }], logger);
}

/** `closer api` / workers/api.ts: the HTTP API, dashboard and metrics, until SIGTERM. */
export async function runApiProcess(config: Config, logger: Logger): Promise<void> {
  await checkBeforeStart(config, { api: true });
  const api = await startApi(config, logger, { host: config.host });
  handleShutdown([{ name: 'api', close: api.close }], logger);
}

export interface AllInOne {
  apiUrl: string;
  consoleUrl: string;
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
  options: { providers?: DemoProviders; closeables?: Closeable[]; host?: string; onJobEvent?: JobEventListener } = {},
): Promise<AllInOne> {
  const closeables: Closeable[] = [...(options.closeables ?? [])];
  let effective = config;
  let redisNote: string | undefined;
  if (config.accounts.length === 0) {
    // A fresh machine may have no Redis running yet: start one if redis-server is installed (a cluster is never made up).
    const redis = config.redisCluster ? { started: false, stop: async () => undefined } : await ensureLocalRedis(config.redisUrl);
    redisNote = redis.note;
    if (redis.started) {
      closeables.push({ name: 'redis', close: redis.stop });
      print(`Started a local redis-server for this run at ${config.redisUrl} (in memory).`);
    }
    const demo = options.providers ?? (await startDemoProviders());
    closeables.unshift({ name: 'simulators', close: demo.close });
    // Simulators and a token printed on the terminal are for this machine only, unless HOST says otherwise.
    effective = { ...config, accounts: demo.accounts, apiToken: config.apiToken ?? randomBytes(16).toString('hex'), host: config.host ?? '127.0.0.1' };
  }
  await checkBeforeStart(effective, { api: true, ...(redisNote ? { redisNote } : {}) });
  if (effective !== config) print('No provider configured: running on built-in simulators of Peach, Callbell and Chatwoot.');
  const metrics = createMetrics({ accountLabel: config.metricsAccountLabel });
  const workers = await startWorkers(effective, logger, { metrics, ...(options.onJobEvent ? { onJobEvent: options.onJobEvent } : {}) });
  const api = await startApi(effective, logger, { metrics, readiness: workers.readiness, host: options.host ?? effective.host });
  const scheduler = await startScheduler(effective, logger);
  closeables.unshift({ name: 'api', close: api.close }, { name: 'scheduler', close: scheduler.close }, { name: 'workers', close: workers.close });
  print(`closer is running: API ${api.url}, console ${api.consoleUrl}, dashboard ${api.dashboardUrl} (accounts: ${effective.accounts.map((a) => a.id).join(', ')})`);
  if (!config.apiToken) print(`API token for this run (dashboard: any user, this as password): ${effective.apiToken}`);
  handleShutdown(closeables, logger);
  return { apiUrl: api.url, consoleUrl: api.consoleUrl, dashboardUrl: api.dashboardUrl, apiToken: effective.apiToken!, config: effective };
}
