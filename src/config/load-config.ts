import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/config-error.js';
import { readAccountsFile, type ReadFile } from './accounts-file.js';
import { parseDuration } from './duration.js';
import { readEnvAccounts } from './env-accounts.js';
import { decodeSecretKey } from '../secrets/secret-box.js';
import type { AccountConfig, ClusterTarget, Config, JobSettings, LogLevel } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  readFile?: ReadFile;
  /** Directory a relative CLOSER_ACCOUNTS_FILE is read from. */
  cwd?: string;
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** The general variables loadConfig reads (the provider ones come from accountVariables()). */
export const GENERAL_VARIABLES = [
  'REDIS_URL',
  'REDIS_CLUSTER_NODES',
  'CLOSER_ENQUEUE_REPLICAS',
  'HOST',
  'PORT',
  'CLOSER_API_TOKEN',
  'LOG_LEVEL',
  'CLOSER_ACCOUNTS_FILE',
  'CLOSER_QUEUE_PREFIX',
  'CLOSER_MAX_ATTEMPTS',
  'CLOSER_BACKOFF_DELAY',
  'CLOSER_BACKOFF_MAX',
  'CLOSER_HTTP_TIMEOUT',
  'CLOSER_WORKER_CONCURRENCY',
  'CLOSER_ACCOUNT_CONCURRENCY',
  'CLOSER_UNAUTHORIZED_PAUSE_AFTER',
  'CLOSER_LOCK_DURATION',
  'CLOSER_RECONCILE_EVERY',
  'CLOSER_HEALTH_PORT',
  'CLOSER_DASHBOARD_BASIC_AUTH',
  'CLOSER_METRICS_ACCOUNT_LABEL',
  'CLOSER_SECRET_KEY',
  'CLOSER_SECRET_KEY_PREVIOUS',
  'CLOSER_CALLBACK_SECRET',
  'CLOSER_CALLBACK_ALLOW_PRIVATE',
] as const;
type GeneralVariable = (typeof GENERAL_VARIABLES)[number];

/**
 * Builds the whole configuration from the environment (contract section 1).
 * The only reader of `process.env`: everything else gets the frozen result.
 * Throws one `ConfigError` listing every problem, each naming its variable or
 * file field, so a bad deployment is fixed in one round.
 */
export function loadConfig(env: Env = process.env, options: LoadConfigOptions = {}): Config {
  const problems: string[] = [];
  const value = (name: GeneralVariable): string | undefined => {
    const text = env[name]?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const integer = (name: GeneralVariable, fallback: number, min: number, max: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const parsed = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(parsed >= min && parsed <= max)) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  };
  const duration = (name: GeneralVariable, fallback: number): number => {
    const text = value(name);
    if (text === undefined) return fallback;
    const parsed = parseDuration(text);
    if (!parsed.ok) {
      problems.push(`${name}: ${parsed.error}`);
      return fallback;
    }
    return parsed.value;
  };

  const host = value('HOST');
  if (host !== undefined && !/^[A-Za-z0-9.:[\]_-]+$/.test(host)) problems.push('HOST: must be an interface address such as 0.0.0.0, 127.0.0.1 or ::');
  const port = integer('PORT', 3000, 0, 65_535);
  const healthPort = integer('CLOSER_HEALTH_PORT', 3001, 0, 65_535);
  const basicAuth = value('CLOSER_DASHBOARD_BASIC_AUTH');
  const dashboardBasicAuth = basicAuth === undefined ? undefined : /^([^:]+):(.+)$/.exec(basicAuth);
  if (basicAuth !== undefined && !dashboardBasicAuth) problems.push('CLOSER_DASHBOARD_BASIC_AUTH: must be user:password');
  const redisUrl = value('REDIS_URL') ?? 'redis://127.0.0.1:6379';
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  const clusterNodes = value('REDIS_CLUSTER_NODES');
  const redisCluster = clusterNodes === undefined ? undefined : parseClusterNodes(clusterNodes);
  if (redisCluster && 'error' in redisCluster) problems.push(`REDIS_CLUSTER_NODES: ${redisCluster.error}`);
  const enqueueReplicas = integer('CLOSER_ENQUEUE_REPLICAS', 0, 0, 16);

  const metricsAccountLabel = value('CLOSER_METRICS_ACCOUNT_LABEL') ?? 'account';
  if (metricsAccountLabel !== 'account' && metricsAccountLabel !== 'none') problems.push('CLOSER_METRICS_ACCOUNT_LABEL: must be account (a series per account) or none (totals, account="all")');
  const logLevel = (value('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')}`);

  const queuePrefix = value('CLOSER_QUEUE_PREFIX') ?? 'closer';
  if (/^\{.*\}$/.test(queuePrefix)) {
    problems.push(
      `CLOSER_QUEUE_PREFIX: ${queuePrefix} is the layout before accounts had hash tags of their own; set a plain name such as closer, and move existing keys with: closer migrate-keys --from '${queuePrefix}' (see README, "Upgrading")`,
    );
  } else if (queuePrefix.length > 64 || !/^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$/.test(queuePrefix)) {
    problems.push('CLOSER_QUEUE_PREFIX: must be 1-64 letters, digits, "_", "." or "-", parts joined by ":" (no braces: each account\'s keys get a hash tag of their own)');
  }

  const secretKey = value('CLOSER_SECRET_KEY');
  const secretKeyPrevious = value('CLOSER_SECRET_KEY_PREVIOUS');
  for (const [name, text] of [['CLOSER_SECRET_KEY', secretKey], ['CLOSER_SECRET_KEY_PREVIOUS', secretKeyPrevious]] as const) {
    // The value is never echoed: it is a key.
    if (text !== undefined && !decodeSecretKey(text)) problems.push(`${name}: must be 32 random bytes in base64 (make one with: openssl rand -base64 32)`);
  }
  if (secretKeyPrevious !== undefined && secretKey === undefined) problems.push('CLOSER_SECRET_KEY_PREVIOUS: is set without CLOSER_SECRET_KEY; during a rotation both are set (the new key, and the old one as previous)');

  const callbackSecret = value('CLOSER_CALLBACK_SECRET');
  const secretBytes = callbackSecret === undefined ? 0 : /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(callbackSecret) ? Buffer.from(callbackSecret.slice(6), 'base64').length : -1;
  if (callbackSecret !== undefined && (secretBytes < 24 || secretBytes > 64)) {
    problems.push('CLOSER_CALLBACK_SECRET: must be a Standard Webhooks secret: "whsec_" and 24 to 64 random bytes in base64 (make one with: echo whsec_$(openssl rand -base64 32))');
  }
  const allowPrivate = (value('CLOSER_CALLBACK_ALLOW_PRIVATE') ?? 'false').toLowerCase();
  if (allowPrivate !== 'true' && allowPrivate !== 'false') problems.push('CLOSER_CALLBACK_ALLOW_PRIVATE: must be true or false');

  const jobs: JobSettings = {
    attempts: integer('CLOSER_MAX_ATTEMPTS', 8, 1, 100),
    backoffDelayMs: duration('CLOSER_BACKOFF_DELAY', 1_000),
    backoffMaxMs: duration('CLOSER_BACKOFF_MAX', 300_000),
    httpTimeoutMs: duration('CLOSER_HTTP_TIMEOUT', 10_000),
    concurrency: integer('CLOSER_WORKER_CONCURRENCY', 20, 1, 1_000),
    accountConcurrency: integer('CLOSER_ACCOUNT_CONCURRENCY', 10, 1, 1_000),
    unauthorizedPauseAfter: integer('CLOSER_UNAUTHORIZED_PAUSE_AFTER', 3, 1, 1_000),
    lockDurationMs: duration('CLOSER_LOCK_DURATION', 30_000),
    reconcileEveryMs: duration('CLOSER_RECONCILE_EVERY', 30_000),
  };
  if (jobs.backoffMaxMs < jobs.backoffDelayMs) problems.push('CLOSER_BACKOFF_MAX: must not be shorter than CLOSER_BACKOFF_DELAY');

  const fromEnv = readEnvAccounts(env);
  problems.push(...fromEnv.problems);
  const sources = new Map<string, string>();
  const accounts: AccountConfig[] = [];
  const addAccount = (account: AccountConfig, source: string) => {
    const earlier = sources.get(account.id);
    if (earlier) problems.push(`${source}: account id "${account.id}" is already defined by ${earlier}`);
    else {
      sources.set(account.id, source);
      accounts.push(account);
    }
  };
  for (const { provider, value: account } of fromEnv.accounts) {
    addAccount(account as AccountConfig, `the ${provider.toUpperCase()}_* environment variables`);
  }

  const file = value('CLOSER_ACCOUNTS_FILE');
  if (file !== undefined) {
    const fromFile = readAccountsFile(file, env, options.readFile ?? ((path) => readFileSync(path, 'utf8')), options.cwd ?? process.cwd());
    problems.push(...fromFile.problems);
    for (const { index, value: account } of fromFile.accounts) {
      addAccount(account as AccountConfig, `CLOSER_ACCOUNTS_FILE (${file}): accounts[${index}].id`);
    }
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze({
    redisUrl,
    ...(redisCluster && !('error' in redisCluster) ? { redisCluster } : {}),
    enqueueReplicas,
    ...(host !== undefined ? { host } : {}),
    port,
    healthPort,
    apiToken: value('CLOSER_API_TOKEN'),
    ...(secretKey !== undefined ? { secretKey } : {}),
    ...(secretKeyPrevious !== undefined ? { secretKeyPrevious } : {}),
    ...(callbackSecret !== undefined ? { callbackSecret } : {}),
    callbackAllowPrivate: allowPrivate === 'true',
    ...(dashboardBasicAuth ? { dashboardBasicAuth: { user: dashboardBasicAuth[1]!, password: dashboardBasicAuth[2]! } } : {}),
    logLevel,
    metricsAccountLabel: metricsAccountLabel as 'account' | 'none',
    queuePrefix,
    jobs,
    accounts,
  });
}

/**
 * `host:port,host:port,...`, each may also be a redis:// or rediss:// URL; the
 * user, password and TLS of the first URL apply to every node (a cluster has
 * one of each).
 */
function parseClusterNodes(text: string): ClusterTarget | { error: string } {
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return { error: 'must list at least one seed node as host:port' };
  const nodes: ClusterTarget['nodes'][number][] = [];
  let auth: Pick<ClusterTarget, 'username' | 'password' | 'tls'> | undefined;
  for (const entry of entries) {
    const url = /^rediss?:\/\//.test(entry) ? URL.parse(entry) : URL.parse(`redis://${entry}`);
    const port = Number(url?.port);
    if (!url || !url.hostname || !Number.isInteger(port) || port < 1 || port > 65_535) return { error: `"${entry.replace(/\/\/[^@/]*@/, '//***@')}" is not host:port` };
    nodes.push({ host: url.hostname.replace(/^\[|\]$/g, ''), port });
    if (!auth && /^rediss?:\/\//.test(entry)) {
      auth = { tls: url.protocol === 'rediss:', ...(url.username ? { username: decodeURIComponent(url.username) } : {}), ...(url.password ? { password: decodeURIComponent(url.password) } : {}) };
    }
  }
  return { nodes, tls: false, ...auth };
}

function deepFreeze<T>(object: T): T {
  if (object && typeof object === 'object') {
    for (const item of Object.values(object)) deepFreeze(item);
    Object.freeze(object);
  }
  return object;
}
