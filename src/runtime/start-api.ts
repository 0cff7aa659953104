import type { FastifyInstance } from 'fastify';
import { createApp } from '../api/create-app.js';
import type { Config } from '../config/types.js';
import { registerDashboard, DASHBOARD_PATH } from '../dashboard/create-dashboard.js';
import { createConsoleData } from '../console/console-data.js';
import { CONSOLE_PATH, registerConsole } from '../console/register-console.js';
import { rateLimitUseReader } from '../rate-limit/rate-limit-use.js';
import { createActivityStore } from '../stats/activity-store.js';
import { ConfigError } from '../errors/config-error.js';
import { allReady, type Readiness } from '../health/redis-readiness.js';
import type { Logger } from '../logger.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { registerQueueGauges } from '../metrics/queue-gauges.js';
import { createProducer, type Producer } from '../producer/producer.js';
import { logConnectionState } from '../redis/connection-log.js';
import { createRedis } from '../redis/create-redis.js';
import { keepPublished } from '../accounts/account-directory.js';
import { createSharedServices } from './shared-services.js';
import { createAccountAdmin } from '../accounts/account-admin.js';
import { apiKeyCallbackSecret, createApiKeys } from '../auth/api-keys.js';
import { keyNames } from '../queues/names.js';
import { connected } from '../redis/connected.js';
import { openRegistry, type RegistryRuntime } from './open-registry.js';
import type { AccountInfo } from '../config/types.js';

export interface ApiRuntime {
  app: FastifyInstance;
  producer: Producer;
  url: string;
  dashboardUrl: string;
  /** The operations console (admin login). */
  consoleUrl: string;
  close(): Promise<void>;
}

export interface ApiOptions {
  host?: string;
  /** Shared with the workers of an all-in-one process. */
  metrics?: Metrics;
  /** More readiness checks (the all-in-one process adds its workers'). */
  readiness?: () => Promise<Readiness>;
}

/**
 * The HTTP API on `config.port` (0 picks a free port), with the dashboard and
 * the metrics, including the queue gauges read from Redis. Refuses to serve
 * without a token.
 */
export async function startApi(config: Config, logger: Logger, options: ApiOptions = {}): Promise<ApiRuntime> {
  if (!config.apiToken) throw new ConfigError(['CLOSER_API_TOKEN: is required to serve the HTTP API (every /v1 route and the dashboard need it)']);
  const metrics = options.metrics ?? createMetrics({ accountLabel: config.metricsAccountLabel });
  const redis = createRedis(config, 'producer', 'closer-api');
  logConnectionState(redis, logger, 'closer-api'); // and surfaced by /readyz and as 503s
  let registry: RegistryRuntime<AccountInfo> | undefined;
  // A start that fails half-way lets go of what it holds, so the caller's process can exit.
  try {
    await connected(redis);
    const opened = await openRegistry(config, redis, keyNames(config.queuePrefix), logger, 'info');
    registry = opened;
    const services = createSharedServices(config, redis, opened.accounts, metrics);
    const producer = createProducer(config, {
      redis,
      metrics,
      services,
      accounts: opened.accounts,
      keyCallbackSecret: (keyId) => apiKeyCallbackSecret(opened.feed, opened.box, keyId),
    });
    const admin = createAccountAdmin({
      redis,
      keys: services.keys,
      store: opened.store,
      accounts: opened.accounts,
      box: opened.box,
      queues: services.queues,
      producer,
      configuredElsewhere: async () => (await services.directory.list().catch(() => [])).map((account) => account.id),
    });
    const apiKeys = createApiKeys(opened.store, opened.feed, opened.accounts, opened.box);
    registerQueueGauges(metrics, services.queues, services.control, services.notable);
    const stopPublishing = keepPublished(services.directory, config.accounts, (error) => logger.debug({ err: error }, 'could not publish the accounts; next round retries'));
    const readiness = options.readiness;
    const app = createApp({
      producer,
      apiToken: config.apiToken,
      logger,
      metrics,
      admin,
      apiKeys,
      readiness: () => allReady([() => producer.readiness(), ...(readiness ? [readiness] : [])]),
    });
    const basicAuth = config.dashboardBasicAuth ? { basicAuth: config.dashboardBasicAuth } : {};
    await registerDashboard(app, { queues: services.queues, notable: services.notable, apiToken: config.apiToken, ...basicAuth, consolePath: CONSOLE_PATH });
    const activity = createActivityStore(redis, services.keys);
    const consoleData = createConsoleData({
      producer,
      queues: services.queues,
      notable: services.notable,
      pauseReasonOf: (accountId) => services.control.recordedPauseReason(accountId),
      activityOf: (accountId, nowMs) => activity.read(accountId, nowMs),
      rateLimitUseOf: rateLimitUseReader(redis, services.keys),
    });
    await registerConsole(app, { data: consoleData, apiToken: config.apiToken, ...basicAuth, dashboardPath: DASHBOARD_PATH });
    const address = await app.listen({ port: config.port, host: options.host ?? '0.0.0.0' });
    const port = (app.server.address() as { port: number }).port;
    logger.info({ address, accounts: config.accounts.map((a) => a.id) }, 'API listening');
    const url = `http://127.0.0.1:${port}`;
    return {
      app,
      producer,
      url,
      dashboardUrl: `${url}${DASHBOARD_PATH}`,
      consoleUrl: `${url}${CONSOLE_PATH}`,
      async close() {
        stopPublishing();
        opened.stop();
        await app.close();
        await producer.dispose();
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  } catch (error) {
    registry?.stop();
    redis.disconnect();
    throw error;
  }
}
