import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { AccountConfig, Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { startWorkers } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * The dispatcher: every account of a process served from one connection,
 * work shared between accounts in turn.
 */
let server: TestRedis;
let sim: PeachSimulator;
let admin: Redis;
const running: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: 'k' });
  admin = new Redis(server.url);
});

afterAll(async () => {
  for (const worker of running) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(running.map((worker) => worker.exited()));
  admin.disconnect();
  await sim.close();
  await server.stop();
});

async function producerFor(config: Config): Promise<Producer> {
  const producer = createProducer(config);
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
  return producer;
}

const accounts = (count: number, prefix = 'acct') => Array.from({ length: count }, (_, i) => peachAccount(sim.url, 'k', `${prefix}-${String(i).padStart(4, '0')}`));
const untilDone = (producer: Producer, batchId: string, timeoutMs = 60_000) =>
  waitUntil(async () => {
    const report = await producer.batch(batchId);
    return report.done ? report : undefined;
  }, { timeoutMs, what: `batch ${batchId}` });

/** Client connections of the worker process: every client but the test's own (named, or this admin one). */
async function workerConnections(): Promise<string[]> {
  const list = (await admin.client('LIST')) as string;
  const self = Number(await admin.client('ID'));
  return list
    .trim()
    .split('\n')
    .filter((line) => Number(/\bid=(\d+)/.exec(line)![1]) !== self && !/ name=closer-(producer|cli)/.test(line))
    .map((line) => /\bname=(\S*)/.exec(line)![1]!);
}

describe('one worker process serving many accounts', () => {
  it('with 1,000 accounts opens at most 16 connections, and closes conversations on 100 of them', async () => {
    const many = accounts(1_000);
    const config = testConfig(server.url, many);
    const worker = spawnWorker(envFor(config));
    running.push(worker);
    await worker.started;
    const connections = await workerConnections();
    expect(connections.length).toBeLessThanOrEqual(16);
    expect(connections.length).toBeGreaterThan(0);

    const producer = await producerFor(config);
    try {
      const ids = sim.seed(300).map((c) => c.id);
      const batches: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        const account = many[i * 10]!.id;
        batches.push((await producer.close({ account, conversations: ids.slice(i * 3, i * 3 + 3).map((conversationId) => ({ conversationId })) })).batchId);
      }
      for (const batchId of batches) expect(await untilDone(producer, batchId)).toMatchObject({ total: 3, completed: 3 });
      expect(ids.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
      // Still bounded once it has worked for 100 accounts.
      expect((await workerConnections()).length).toBeLessThanOrEqual(16);
    } finally {
      await producer.dispose();
      worker.child.kill('SIGTERM');
      expect(await worker.exited()).toBe(0);
    }
  }, 120_000);

  it('shares the work: small accounts that arrive behind a backlog finish before it, not after', async () => {
    const backlog: AccountConfig = { ...peachAccount(sim.url, 'k', 'backlog'), rateLimit: rate('100000/s') };
    const small = accounts(20, 'small');
    const config: Config = testConfig(server.url, [backlog, ...small], { concurrency: 4, accountConcurrency: 4 });
    const workers = await startWorkers(config, createLogger({ level: 'silent' }));
    const producer = await producerFor(config);
    try {
      const backlogIds = sim.seed(3_000).map((c) => c.id);
      const big = await producer.close({ account: 'backlog', conversations: backlogIds.map((conversationId) => ({ conversationId })) });
      await waitUntil(async () => (await producer.batch(big.batchId)).completed > 0, { what: 'the backlog under way' });
      const smallIds = sim.seed(100).map((c) => c.id);
      const smallBatches: string[] = [];
      for (const [index, account] of small.entries()) {
        smallBatches.push((await producer.close({ account: account.id, conversations: smallIds.slice(index * 5, index * 5 + 5).map((conversationId) => ({ conversationId })) })).batchId);
      }
      const bigReport = await untilDone(producer, big.batchId);
      const smallReports = await Promise.all(smallBatches.map((batchId) => untilDone(producer, batchId)));
      // Completion order, from the batches' own timestamps: every small batch ended before the backlog did.
      const later = smallReports.filter((report) => Date.parse(report.finishedAt!) > Date.parse(bigReport.finishedAt!));
      expect(later.map((report) => report.account)).toEqual([]);
      expect(smallReports.every((report) => report.completed === 5)).toBe(true);
    } finally {
      await workers.close();
      await producer.dispose();
    }
  }, 120_000);

  it('serves an account added to the accounts file once the process restarts, with the jobs enqueued meanwhile', async () => {
    const before = accounts(3, 'first');
    const added = peachAccount(sim.url, 'k', 'added-later');
    const oldConfig = testConfig(server.url, before);
    const newConfig: Config = { ...oldConfig, accounts: [...before, added] };
    const worker = spawnWorker(envFor(oldConfig));
    running.push(worker);
    await worker.started;
    const producer = await producerFor(newConfig);
    try {
      const ids = sim.seed(5).map((c) => c.id);
      const { batchId } = await producer.close({ account: 'added-later', conversations: ids.map((conversationId) => ({ conversationId })) });
      worker.child.kill('SIGTERM');
      await worker.exited();
      const restarted = spawnWorker(envFor(newConfig));
      running.push(restarted);
      await restarted.started;
      expect(await untilDone(producer, batchId)).toMatchObject({ total: 5, completed: 5 });
      expect(ids.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
    } finally {
      await producer.dispose();
    }
  }, 60_000);
});
