import { Gauge } from 'prom-client';
import type { AccountControl } from '../accounts/account-control.js';
import type { AccountQueues } from '../queues/account-queues.js';
import type { Metrics } from './metrics.js';

const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'] as const;

/**
 * Series read from Redis when Prometheus scrapes: job counts by state, dead
 * letters and the age of the oldest, paused accounts. Every process that
 * serves /metrics can export them; they describe Redis, not the process.
 */
export function registerQueueGauges(metrics: Metrics, queues: AccountQueues, control: AccountControl): void {
  const registers = [metrics.registry];
  new Gauge({
    name: 'closer_jobs',
    help: 'Jobs in each account queue by state (dead_lettered: in the dead-letter queue)',
    labelNames: ['account', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const { account, queue, deadLetters } of queues.all()) {
        const counts = await queue.getJobCounts(...STATES);
        for (const state of STATES) this.set({ account: account.id, state }, counts[state] ?? 0);
        this.set({ account: account.id, state: 'dead_lettered' }, await deadLetters.getJobCountByTypes('waiting'));
      }
    },
  });
  new Gauge({
    name: 'closer_dead_letter_oldest_age_seconds',
    help: 'Age of the oldest dead letter of each account (0 when there is none)',
    labelNames: ['account'],
    registers,
    async collect() {
      this.reset();
      for (const { account, deadLetters } of queues.all()) {
        // Ascending order: the first waiting job is the oldest.
        const [oldest] = await deadLetters.getJobs(['waiting'], 0, 0, true);
        this.set({ account: account.id }, oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0);
      }
    },
  });
  new Gauge({
    name: 'closer_account_paused',
    help: 'Whether an account queue is paused (1), with why: manual or unauthorized',
    labelNames: ['account', 'reason'],
    registers,
    async collect() {
      this.reset();
      for (const entry of queues.all()) {
        const reason = await control.pauseReason(entry);
        this.set({ account: entry.account.id, reason: reason ?? 'none' }, reason ? 1 : 0);
      }
    },
  });
}
