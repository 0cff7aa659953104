import { afterEach, describe, expect, it } from '@jest/globals';
import { QueueEvents } from 'bullmq';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { expectNothingLost } from '../helpers/nothing-lost.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

const KEY = 'peach-fault-key';
const cleanups: (() => Promise<unknown>)[] = [];
const running: WorkerProcess[] = [];

afterEach(async () => {
  for (const worker of running.splice(0)) {
    if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await worker.exited();
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(options: { redis?: Parameters<typeof startRedis>[0]; rateLimit?: string; jobs?: Partial<Config['jobs']>; extraAccounts?: Config['accounts'] } = {}) {
  const server: TestRedis = await startRedis(options.redis);
  cleanups.push(() => server.stop());
  const sim = await PeachSimulator.start({ credentials: KEY });
  cleanups.push(() => sim.close());
  const config = testConfig(server.url, [{ ...peachAccount(sim.url, KEY), rateLimit: rate(options.rateLimit ?? '400/s') }, ...(options.extraAccounts ?? [])], options.jobs);
  const producer = createProducer(config);
  cleanups.push(() => producer.dispose());
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
  return { server, sim, config, producer };
}

const startChild = (config: Config) => {
  const worker = spawnWorker(envFor(config));
  running.push(worker);
  return worker;
};

async function inProcessWorkers(config: Config): Promise<WorkerRuntime> {
  const workers = await startWorkers(config, createLogger({ level: 'silent' }));
  cleanups.push(() => workers.close());
  return workers;
}

const closeAll = (producer: Producer, ids: readonly number[], account = 'peach') =>
  producer.close({ account, conversations: ids.map((conversationId) => ({ conversationId })) });

const untilDone = (producer: Producer, batchId: string, timeoutMs = 120_000) =>
  waitUntil(async () => {
    const report = await producer.batch(batchId);
    return report.done ? report : undefined;
  }, { timeoutMs, what: `batch ${batchId}` });

describe('fault injection: every accepted job ends completed or dead-lettered', () => {
  it('SIGKILL of a worker process five times at random moments during a 2,000-close batch', async () => {
    const { sim, config, producer } = await setUp({ jobs: { lockDurationMs: 2_000, reconcileEveryMs: 1_000 } });
    sim.faults.setLatency(3);
    const ids = sim.seed(2_000).map((c) => c.id);
    // A few permanent failures ride along: they must end in the dead letters, and only they.
    const permanent = new Set(ids.filter((_, index) => index % 400 === 7));
    for (const id of permanent) sim.faults.failFor(id, 404);
    let worker = startChild(config);
    await worker.started;
    const { batchId } = await closeAll(producer, ids);
    for (let kill = 1; kill <= 5; kill += 1) {
      const target = Math.floor((kill / 6) * 2_000 * (0.8 + Math.random() * 0.3));
      await waitUntil(async () => (await producer.batch(batchId)).completed >= Math.min(target, 1_900), { timeoutMs: 60_000, what: `${target} closes` });
      worker.child.kill('SIGKILL');
      await worker.exited();
      worker = startChild(config);
      await worker.started;
    }
    await untilDone(producer, batchId);
    await expectNothingLost({ config, producer, sim, batchId, ids, permanent });
  });

  it('Redis restarted mid-batch (AOF on)', async () => {
    const { server, sim, config, producer } = await setUp({ redis: { appendOnly: true }, rateLimit: '200/s', jobs: { lockDurationMs: 3_000, reconcileEveryMs: 1_000 } });
    const ids = sim.seed(1_000).map((c) => c.id);
    const worker = startChild(config);
    await worker.started;
    const { batchId } = await closeAll(producer, ids);
    await waitUntil(async () => (await producer.batch(batchId)).completed >= 300, { what: '300 closes' });
    await server.stop({ keepData: true });
    await server.restart();
    await waitUntil(async () => (await producer.readiness()).ready, { timeoutMs: 30_000, what: 'redis back' });
    await untilDone(producer, batchId);
    await expectNothingLost({ config, producer, sim, batchId, ids });
    expect(worker.child.exitCode).toBeNull(); // the worker rode it out
  });

  it('provider outage: every request 503 for 20 s, then healthy; all complete within the attempt budget', async () => {
    const { sim, config, producer } = await setUp({ jobs: { attempts: 8, backoffDelayMs: 1_000, backoffMaxMs: 10_000 } });
    await inProcessWorkers(config);
    const ids = sim.seed(300).map((c) => c.id);
    sim.faults.failFirst(10_000_000, 503);
    const started = Date.now();
    const { batchId } = await closeAll(producer, ids);
    await waitUntil(() => Date.now() - started >= 20_000, { timeoutMs: 25_000, what: 'the outage' });
    sim.faults.clear();
    await untilDone(producer, batchId);
    expect(sim.requests.filter((r) => r.status === 503).length).toBeGreaterThan(300);
    await expectNothingLost({ config, producer, sim, batchId, ids });
  });

  it('401 storm on one account: it pauses, the other keeps flowing, and after resume its jobs complete', async () => {
    const other = await PeachSimulator.start({ credentials: 'other-key' });
    cleanups.push(() => other.close());
    const { sim, config, producer } = await setUp({ extraAccounts: [peachAccount(other.url, 'other-key', 'other')], jobs: { concurrency: 2 } });
    await inProcessWorkers(config);
    const ids = sim.seed(200).map((c) => c.id);
    const otherIds = other.seed(200).map((c) => c.id);
    sim.faults.failFirst(10_000_000, 401);
    const { batchId } = await closeAll(producer, ids);
    const paused = await waitUntil(async () => (await producer.accounts()).find((a) => a.id === 'peach' && a.paused), { what: 'pause' });
    expect(paused.pausedReason).toBe('unauthorized');
    const otherBatch = await closeAll(producer, otherIds, 'other');
    expect(await untilDone(producer, otherBatch.batchId)).toMatchObject({ completed: 200 });
    const during = await producer.batch(batchId);
    expect(during.pending).toBeGreaterThan(150); // the backlog waited instead of burning
    // The credentials are fixed: resume, and redrive what died of the 401s.
    sim.faults.clear();
    await producer.resumeAccount('peach');
    await producer.redrive({ account: 'peach' });
    await untilDone(producer, batchId);
    await expectNothingLost({ config, producer, sim, batchId, ids });
  });

  it('slow provider: timeouts are retried, no job runs twice at the same time, none is lost', async () => {
    const { sim, config, producer } = await setUp({ jobs: { httpTimeoutMs: 300, attempts: 6, backoffDelayMs: 100, backoffMaxMs: 1_000 } });
    await inProcessWorkers(config);
    const events = new QueueEvents(accountQueueName('peach'), { connection: { url: config.redisUrl }, prefix: queuePrefixOf(config, 'peach') });
    cleanups.push(() => events.close());
    await events.waitUntilReady();
    const running = new Set<string>();
    const overlaps: string[] = [];
    events.on('active', ({ jobId }) => {
      if (running.has(jobId)) overlaps.push(jobId);
      running.add(jobId);
    });
    for (const event of ['completed', 'failed', 'delayed', 'waiting'] as const) events.on(event, ({ jobId }: { jobId: string }) => running.delete(jobId));

    const ids = sim.seed(200).map((c) => c.id);
    sim.faults.hang(1_000, 60); // 60 answers arrive long after the client gave up (the close itself happened)
    const { batchId } = await closeAll(producer, ids);
    await untilDone(producer, batchId);
    expect(sim.requests.length).toBeGreaterThan(200);
    expect(overlaps).toEqual([]);
    await expectNothingLost({ config, producer, sim, batchId, ids });
  });
});
