import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { Config } from '../../src/config/types.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import { PeachSimulator, type PeachSimulatorOptions } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';
import { startSimulatorProcess } from '../helpers/simulator-process.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

const KEY = 'peach-key-processes';
let server: TestRedis;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const worker of running) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(running.map((worker) => worker.exited()));
  await server.stop();
});

async function setUp(rateLimit: string, simulator: Partial<PeachSimulatorOptions> = {}, jobs: Partial<Config['jobs']> = {}) {
  const sim = await PeachSimulator.start({ credentials: KEY, ...simulator });
  const config = testConfig(server.url, [{ ...peachAccount(sim.url, KEY), rateLimit: rate(rateLimit) }], jobs);
  const producer = createProducer(config);
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
  return { sim, config, producer };
}

function start(config: Config): WorkerProcess {
  const worker = spawnWorker(envFor(config));
  running.push(worker);
  return worker;
}

const closeAll = (producer: Producer, ids: number[]) => producer.close({ account: 'peach', conversations: ids.map((conversationId) => ({ conversationId })) });

/** 600 closes at 20/s through three worker processes, against a simulator in a process of its own. */
async function threeWorkersAt20PerSecond() {
  // The provider runs in a process of its own, so its clock is not the test runner's busy event loop,
  // and it enforces the same limit: any overshoot would also show up as a 429.
  const sim = await startSimulatorProcess({ credentials: KEY, rateLimit: { limit: 20, windowMs: 1_000 } }, 600);
  const config = testConfig(server.url, [{ ...peachAccount(sim.url, KEY), rateLimit: rate('20/s') }]);
  const producer = createProducer(config);
  try {
    await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
    const workers = [start(config), start(config), start(config)];
    await Promise.all(workers.map((w) => w.started));
    const { batchId } = await closeAll(producer, sim.ids);
    const report = await waitUntil(async () => {
      const r = await producer.batch(batchId);
      return r.done ? r : undefined;
    }, { timeoutMs: 60_000, what: 'batch of 600' });
    expect(report).toMatchObject({ total: 600, completed: 600, deadLettered: 0 });
    const stats = await sim.stats(1_000);
    const workersExited: (number | null)[] = [];
    for (const worker of workers) {
      worker.child.kill('SIGTERM');
      workersExited.push(await worker.exited());
    }
    const seconds = (stats.lastAt - stats.firstAt) / 1_000;
    const outcome = {
      count: stats.count,
      distinctPaths: stats.distinctPaths,
      statuses: stats.statuses,
      others: stats.others,
      closed: stats.closed,
      maxInWindow: stats.maxInWindow <= 20 ? 'at most 20' : `${stats.maxInWindow} (simulator stalled up to ${stats.longestStallMs} ms)`,
      span: seconds <= 600 / (0.95 * 20) ? 'within 31.6 s' : seconds,
      workersExited,
    };
    return { stats, outcome };
  } finally {
    await producer.dispose();
    await sim.stop();
  }
}

describe('worker processes on one Redis', () => {
  it('three processes never exceed 20/s in any sliding second, get no 429 and run at >= 95% of the rate', async () => {
    // The simulator stamps requests on its own event loop. Stalled longer than the limiter's margin for jitter
    // (25 ms at 20/s), it stamps requests that waited as if they came together: such a run cannot tell an
    // overshoot from a stalled instrument, so it is run again. A run whose instrument kept time must be clean.
    const marginMs = 25;
    for (let attempt = 1; ; attempt += 1) {
      const { stats, outcome } = await threeWorkersAt20PerSecond();
      const clean = stats.maxInWindow <= 20 && stats.others.length === 0;
      if (!clean && stats.longestStallMs > marginMs && attempt < 3) {
        process.stderr.write(`attempt ${attempt}: simulator stalled ${stats.longestStallMs} ms and saw ${stats.maxInWindow} in a second; running again\n`);
        continue;
      }
      // One object, so a failure prints the whole picture (the most in a second, the odd requests) at once.
      expect(outcome).toEqual({
        count: 600,
        distinctPaths: 600,
        statuses: { 200: 600 },
        others: [],
        closed: 600,
        maxInWindow: 'at most 20',
        span: 'within 31.6 s',
        workersExited: [0, 0, 0],
      });
      return;
    }
  }, 240_000);

  it('a worker killed with SIGKILL mid-batch loses nothing once one is restarted', async () => {
    const { sim, config, producer } = await setUp('400/s', { latencyMs: 5 }, { lockDurationMs: 2_000, reconcileEveryMs: 1_000 });
    const queue = new Queue(accountQueueName('peach'), { connection: { url: server.url }, prefix: queuePrefixOf(config, 'peach') });
    try {
      const ids = sim.seed(1_000).map((c) => c.id);
      const first = start(config);
      await first.started;
      const { batchId } = await closeAll(producer, ids);
      await waitUntil(async () => (await producer.batch(batchId)).completed >= 300, { what: '300 closes' });
      first.child.kill('SIGKILL');
      await first.exited();
      const killedAt = await producer.batch(batchId);
      expect(killedAt.done).toBe(false);

      const second = start(config);
      await second.started;
      const report = await waitUntil(async () => {
        const r = await producer.batch(batchId);
        return r.done ? r : undefined;
      }, { timeoutMs: 60_000, what: 'batch of 1000 after restart' });
      expect(report).toMatchObject({ total: 1_000, completed: 1_000, deadLettered: 0, pending: 0 });
      expect(ids.filter((id) => sim.statusOf(id) !== 'closed')).toEqual([]);
      // A job whose close landed just before the kill is counted in the batch but still active in BullMQ
      // under the dead worker's lock; the stalled check hands it back and the rerun is a no-op close.
      await waitUntil(async () => (await queue.getJobCountByTypes('failed', 'waiting', 'active', 'delayed')) === 0, {
        timeoutMs: 30_000,
        what: 'stalled jobs rerun',
      });
      expect(await producer.batch(batchId)).toMatchObject({ total: 1_000, completed: 1_000, deadLettered: 0, pending: 0 });
      expect((await producer.deadLetters({ account: 'peach' })).total).toBe(0);
      second.child.kill('SIGTERM');
      expect(await second.exited()).toBe(0);
    } finally {
      await queue.close();
      await producer.dispose();
      await sim.close();
    }
  }, 90_000);

  it('SIGTERM stops taking jobs and exits 0; another worker finishes the batch', async () => {
    const { sim, config, producer } = await setUp('50/s', { latencyMs: 20 });
    try {
      const ids = sim.seed(200).map((c) => c.id);
      const first = start(config);
      await first.started;
      const { batchId } = await closeAll(producer, ids);
      await waitUntil(async () => (await producer.batch(batchId)).completed >= 20, { what: '20 closes' });
      first.child.kill('SIGTERM');
      expect(await first.exited()).toBe(0);
      expect(first.output()).toContain('stopped');
      const atStop = await producer.batch(batchId);
      expect(atStop.done).toBe(false);
      const second = start(config);
      await second.started;
      // Each worker process serves its own health and metrics.
      const health = await waitUntil(() => /"health":"(http:\/\/[^"]+)"/.exec(second.output())?.[1], { what: 'health url' });
      expect(await (await fetch(`${health}/readyz`)).json()).toEqual({ ready: true });
      expect(await (await fetch(`${health}/metrics`)).text()).toContain('closer_provider_requests_total');
      const report = await waitUntil(async () => {
        const r = await producer.batch(batchId);
        return r.done ? r : undefined;
      }, { timeoutMs: 60_000, what: 'batch after SIGTERM' });
      expect(report).toMatchObject({ completed: 200, deadLettered: 0 });
      second.child.kill('SIGTERM');
      expect(await second.exited()).toBe(0);
    } finally {
      await producer.dispose();
      await sim.close();
    }
  }, 90_000);
});
