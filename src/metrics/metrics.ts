import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every Prometheus series closer exports (README, "Metrics"). One registry per
 * process, created by the process's composition root; nothing global.
 */
export interface Metrics {
  registry: Registry;
  /** The `account` label an account's series carry: its id, or `all` when CLOSER_METRICS_ACCOUNT_LABEL=none. */
  accountLabel(accountId: string): string;
  providerRequests: Counter<'account' | 'operation' | 'status'>;
  providerLatency: Histogram<'account' | 'operation'>;
  rateLimitWait: Histogram<'account'>;
  rateLimited: Counter<'account'>;
  retries: Counter<'account' | 'job'>;
  closes: Counter<'account' | 'outcome'>;
  enqueueToClose: Histogram<'account'>;
  deadLettersAdded: Counter<'account' | 'reason'>;
  deadLettersRemoved: Counter<'account' | 'how'>;
  sweeps: Counter<'account' | 'dry_run'>;
  sweepConversations: Counter<'account' | 'result'>;
  /** Callback deliveries by outcome: delivered, failed_attempt (retried), gave_up (24 h passed). */
  callbackDeliveries: Counter<'outcome'>;
}

/**
 * Series of one metric with the `account` label folded to `all`: what
 * CLOSER_METRICS_ACCOUNT_LABEL=none asks, so a deployment of 10,000 accounts
 * exports totals instead of tens of thousands of series per metric.
 */
function foldAccounts<T extends Counter<string> | Histogram<string>>(metric: T): T {
  return new Proxy(metric, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if ((property === 'inc' || property === 'observe') && typeof value === 'function') {
        return (labels: unknown, ...rest: unknown[]) =>
          (value as (...args: unknown[]) => unknown).call(target, typeof labels === 'object' && labels !== null && 'account' in labels ? { ...labels, account: 'all' } : labels, ...rest);
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface MetricsOptions {
  processMetrics?: boolean;
  /** `account`: a label value per account (the default); `none`: every account's series together, as account="all". */
  accountLabel?: 'account' | 'none';
}

export function createMetrics({ processMetrics = true, accountLabel = 'account' }: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix: 'closer_' });
  const registers = [registry];
  const fold = <T extends Counter<string> | Histogram<string>>(metric: T) => (accountLabel === 'none' ? foldAccounts(metric) : metric);
  const metrics: Metrics = {
    registry,
    accountLabel: (accountId) => (accountLabel === 'none' ? 'all' : accountId),
    providerRequests: fold(new Counter({
      name: 'closer_provider_requests_total',
      help: 'HTTP requests to providers, by account, operation and HTTP status (or timeout / network)',
      labelNames: ['account', 'operation', 'status'],
      registers,
    })),
    providerLatency: fold(new Histogram({
      name: 'closer_provider_request_duration_seconds',
      help: 'Provider request latency, from sending to the answer',
      labelNames: ['account', 'operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })),
    rateLimitWait: fold(new Histogram({
      name: 'closer_rate_limit_wait_seconds',
      help: "Time a request waited for its slot in the account's rate limit",
      labelNames: ['account'],
      buckets: [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })),
    rateLimited: fold(new Counter({
      name: 'closer_provider_rate_limited_total',
      help: '429 answers from providers (each pauses the account)',
      labelNames: ['account'],
      registers,
    })),
    retries: fold(new Counter({
      name: 'closer_retries_total',
      help: 'Failed attempts that will be retried (network errors, timeouts, 408, 5xx)',
      labelNames: ['account', 'job'],
      registers,
    })),
    closes: fold(new Counter({
      name: 'closer_closes_total',
      help: 'Close jobs completed, by outcome: closed, already_closed, skipped_active',
      labelNames: ['account', 'outcome'],
      registers,
    })),
    enqueueToClose: fold(new Histogram({
      name: 'closer_enqueue_to_close_seconds',
      help: 'From enqueueing a close to its completion',
      labelNames: ['account'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 3600],
      registers,
    })),
    deadLettersAdded: fold(new Counter({
      name: 'closer_dead_letters_added_total',
      help: 'Close jobs moved to the dead letters, by reason code',
      labelNames: ['account', 'reason'],
      registers,
    })),
    deadLettersRemoved: fold(new Counter({
      name: 'closer_dead_letters_removed_total',
      help: 'Dead letters taken out, by how: redriven or deleted',
      labelNames: ['account', 'how'],
      registers,
    })),
    sweeps: fold(new Counter({
      name: 'closer_sweeps_total',
      help: 'Auto-close sweeps run',
      labelNames: ['account', 'dry_run'],
      registers,
    })),
    sweepConversations: fold(new Counter({
      name: 'closer_sweep_conversations_total',
      help: 'Conversations seen by sweeps, by result: scanned, idle, enqueued, skipped',
      labelNames: ['account', 'result'],
      registers,
    })),
    callbackDeliveries: new Counter({
      name: 'closer_callback_deliveries_total',
      help: 'Batch callback deliveries, by outcome: delivered, failed_attempt (retried with backoff), gave_up (not delivered within 24 h)',
      labelNames: ['outcome'],
      registers,
    }),
  };
  return metrics;
}
