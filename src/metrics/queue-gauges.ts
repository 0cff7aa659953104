import { Gauge } from 'prom-client';
import type { AccountControl } from '../accounts/account-control.js';
import type { NotableAccounts } from '../accounts/notable-accounts.js';
import type { AccountQueue, AccountQueues } from '../queues/account-queues.js';
import type { Metrics } from './metrics.js';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;
/** Accounts read per scrape at most: those with work, jobs running, dead letters or a pause come first (see NotableAccounts). */
export const MOST_ACCOUNTS_PER_SCRAPE = 1_000;

interface AccountReading {
  id: string;
  counts: Record<(typeof STATES)[number] | 'dead_lettered', number>;
  oldestDeadLetterSeconds: number;
  pauseReason: string | null;
}

/**
 * Series read from Redis when Prometheus scrapes: job counts by state, dead
 * letters and the age of the oldest, paused accounts. Every process that
 * serves /metrics can export them; they describe Redis, not the process.
 * Only notable accounts are read (all three gauges from one reading per
 * scrape): an account with no work, nothing running, no dead letter and no
 * pause has nothing but zeros to report, and with 10,000 accounts reading
 * each would cost tens of thousands of commands per scrape.
 */
export function registerQueueGauges(metrics: Metrics, queues: AccountQueues, control: AccountControl, notable: NotableAccounts): void {
  const registers = [metrics.registry];
  let reading: Promise<AccountReading[]> | undefined;
  /**
   * One reading shared by the gauges of one scrape: prom-client starts every
   * collect in the same turn, so they all join the reading in flight, and the
   * next scrape reads afresh.
   */
  const read = () => {
    reading ??= readNotable().finally(() => (reading = undefined));
    return reading;
  };
  async function readOne(entry: AccountQueue): Promise<AccountReading> {
    const [counts, deadLettered, [oldest], pauseReason] = await Promise.all([
      entry.queue.getJobCounts(...STATES),
      entry.deadLetters.getJobCountByTypes('waiting'),
      // Ascending order: the first waiting job is the oldest.
      entry.deadLetters.getJobs(['waiting'], 0, 0, true),
      control.pauseReason(entry),
    ]);
    if (deadLettered === 0) await notable.noDeadLetters(entry.account.id);
    return {
      id: entry.account.id,
      counts: { ...Object.fromEntries(STATES.map((state) => [state, counts[state] ?? 0])), dead_lettered: deadLettered } as AccountReading['counts'],
      oldestDeadLetterSeconds: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0,
      pauseReason,
    };
  }
  async function readNotable(): Promise<AccountReading[]> {
    const ids = await notable.list(MOST_ACCOUNTS_PER_SCRAPE);
    const entries = ids.map((id) => queues.get(id)).filter((entry): entry is AccountQueue => entry !== undefined);
    return Promise.all(entries.map(readOne));
  }
  const label = (id: string) => metrics.accountLabel(id);

  new Gauge({
    name: 'closer_jobs',
    help: 'Jobs in each account queue by state (dead_lettered: in the dead-letter queue); accounts with none are left out',
    labelNames: ['account', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const { id, counts } of await read()) {
        for (const [state, count] of Object.entries(counts)) this.inc({ account: label(id), state }, count);
      }
    },
  });
  new Gauge({
    name: 'closer_dead_letter_oldest_age_seconds',
    help: 'Age of the oldest dead letter of each account with dead letters',
    labelNames: ['account'],
    registers,
    async collect() {
      this.reset();
      // Several accounts under one label (CLOSER_METRICS_ACCOUNT_LABEL=none): the oldest of all.
      const oldest = new Map<string, number>();
      for (const { id, oldestDeadLetterSeconds } of await read()) {
        if (oldestDeadLetterSeconds > 0) oldest.set(label(id), Math.max(oldest.get(label(id)) ?? 0, oldestDeadLetterSeconds));
      }
      for (const [account, seconds] of oldest) this.set({ account }, seconds);
    },
  });
  new Gauge({
    name: 'closer_account_paused',
    help: 'Accounts paused (by manual or unauthorized): 1 per account, or how many under one label',
    labelNames: ['account', 'reason'],
    registers,
    async collect() {
      this.reset();
      for (const { id, pauseReason } of await read()) if (pauseReason) this.inc({ account: label(id), reason: pauseReason }, 1);
    },
  });
}
