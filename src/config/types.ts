import type { RateLimit } from './rate.js';

export const PROVIDERS = ['peach', 'callbell', 'chatwoot'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface AutoClosePolicy {
  readonly idleAfterMs: number;
  readonly everyMs: number;
  readonly maxPerRun: number;
  readonly dryRun: boolean;
  /** Chatwoot only: leave conversations whose customer waits for an agent's reply. */
  readonly skipWaiting: boolean;
}

interface AccountBase {
  readonly id: string;
  readonly baseUrl: string;
  readonly rateLimit: RateLimit;
  readonly autoClose?: AutoClosePolicy;
}

export interface PeachAccount extends AccountBase {
  readonly provider: 'peach';
  readonly apiKey: string;
}

export interface CallbellAccount extends AccountBase {
  readonly provider: 'callbell';
  readonly apiToken: string;
}

export interface ChatwootAccount extends AccountBase {
  readonly provider: 'chatwoot';
  /** Application-API user token; without it the account can only close through the public API. */
  readonly apiAccessToken?: string;
  readonly accountId?: number;
  /** Default inbox for public-API closes whose ref names none. */
  readonly inboxIdentifier?: string;
}

export type AccountConfig = PeachAccount | CallbellAccount | ChatwootAccount;

/**
 * What a process may know of an account without its credentials: enough to
 * validate refs, enqueue, report and administer it. Producers (the API, the
 * CLI) work from this; only workers need the credentials. Every
 * AccountConfig is one.
 */
export interface AccountInfo {
  readonly id: string;
  readonly provider: ProviderName;
  readonly baseUrl: string;
  readonly rateLimit: RateLimit;
  readonly autoClose?: AutoClosePolicy;
  readonly accountId?: number;
  readonly inboxIdentifier?: string;
  /** Chatwoot: it has an application-API token. Left out on an AccountConfig, which holds the token itself. */
  readonly applicationApi?: boolean;
}

/** Whether closes and lists can go through Chatwoot's application API (others: always true). */
export function hasApplicationApi(account: AccountInfo): boolean {
  if (account.provider !== 'chatwoot') return true;
  return account.applicationApi ?? (account as ChatwootAccount).apiAccessToken !== undefined;
}

/** An account's credentials left out. */
export function accountInfo(account: AccountConfig): AccountInfo {
  const { id, provider, baseUrl, rateLimit, autoClose } = account;
  const chatwoot = account.provider === 'chatwoot' ? account : undefined;
  return {
    id,
    provider,
    baseUrl,
    rateLimit,
    ...(autoClose ? { autoClose } : {}),
    ...(chatwoot?.accountId !== undefined ? { accountId: chatwoot.accountId } : {}),
    ...(chatwoot?.inboxIdentifier !== undefined ? { inboxIdentifier: chatwoot.inboxIdentifier } : {}),
    ...(chatwoot ? { applicationApi: chatwoot.apiAccessToken !== undefined } : {}),
  };
}

export interface JobSettings {
  /** Attempts per close for retryable failures (429s do not count). */
  readonly attempts: number;
  readonly backoffDelayMs: number;
  readonly backoffMaxMs: number;
  /** Per HTTP request to a provider. */
  readonly httpTimeoutMs: number;
  /** Jobs a worker process runs at once, all accounts together (jobs asleep for their rate-limit slot do not count). */
  readonly concurrency: number;
  /** Jobs of one account a worker process runs at once (asleep or not). */
  readonly accountConcurrency: number;
  /** 401/403 answers (within ten minutes) after which the account's queue is paused. */
  readonly unauthorizedPauseAfter: number;
  /** How long a worker holds a job without renewing its lock; a dead worker's jobs come back after about this long. */
  readonly lockDurationMs: number;
  /** How often failed jobs are swept into the dead letters, for moves a crashed worker could not finish. */
  readonly reconcileEveryMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** REDIS_CLUSTER_NODES: the seed nodes of a Redis Cluster, and what every node takes. */
export interface ClusterTarget {
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

export interface Config {
  /** The standalone Redis; unused when `redisCluster` is set. */
  readonly redisUrl: string;
  /** REDIS_CLUSTER_NODES: a Redis Cluster, which then takes precedence over REDIS_URL. */
  readonly redisCluster?: ClusterTarget;
  /** Replicas that must acknowledge an enqueue before it is answered 202 (Redis WAIT); 0 answers without waiting. */
  readonly enqueueReplicas: number;
  /** HOST: the interface the API and health servers listen on; unset means 0.0.0.0 (the demo: 127.0.0.1). */
  readonly host?: string;
  readonly port: number;
  /** Health and metrics port of worker and scheduler processes. */
  readonly healthPort: number;
  readonly apiToken?: string;
  /** CLOSER_SECRET_KEY (base64 of 32 bytes): seals managed accounts' credentials. */
  readonly secretKey?: string;
  /** CLOSER_SECRET_KEY_PREVIOUS: still opens what the previous key sealed, during a rotation. */
  readonly secretKeyPrevious?: string;
  /** CLOSER_CALLBACK_SECRET (whsec_...): signs callbacks; without it no callback can be asked for. */
  readonly callbackSecret?: string;
  /** CLOSER_CALLBACK_ALLOW_PRIVATE: callbacks may go to loopback and private addresses (tests, the demo). */
  readonly callbackAllowPrivate: boolean;
  /** Basic-auth credentials for /dashboard, accepted besides the API token. */
  readonly dashboardBasicAuth?: { readonly user: string; readonly password: string };
  readonly logLevel: LogLevel;
  /** CLOSER_METRICS_ACCOUNT_LABEL: a Prometheus series per account, or totals only. */
  readonly metricsAccountLabel: 'account' | 'none';
  /** The first part of every key (CLOSER_QUEUE_PREFIX); each account's keys then carry its own hash tag (see queues/names.ts). */
  readonly queuePrefix: string;
  readonly jobs: JobSettings;
  readonly accounts: readonly AccountConfig[];
}
