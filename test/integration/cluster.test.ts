import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createApp } from '../../src/api/create-app.js';
import type { AccountConfig, Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { CallbellSimulator, ChatwootSimulator, PeachSimulator } from '../../src/simulators/index.js';
import { callbellAccount, chatwootAccount, peachAccount, rate } from '../helpers/accounts.js';
import { clusterConfig } from '../helpers/cluster-config.js';
import { startRedisCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { startSimulatorProcess, type SimulatorProcess } from '../helpers/simulator-process.js';
import { waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * closer on a 3-master Redis Cluster: 60 accounts (20 per provider) spread
 * over the masters, two worker processes, the API in-process.
 */
const TOKEN = 'test-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const PER_PROVIDER = 20;
const CLOSES_PER_ACCOUNT = 50;
const pad = (n: number) => String(n).padStart(2, '0');

let cluster: TestCluster;
let peach: PeachSimulator;
let callbell: CallbellSimulator;
let chatwoot: ChatwootSimulator;
let strict: SimulatorProcess;
let config: Config;
let producer: Producer;
let app: FastifyInstance;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  peach = await PeachSimulator.start({ credentials: 'pk' });
  callbell = await CallbellSimulator.start({ credentials: 'ct' });
  chatwoot = await ChatwootSimulator.start({ credentials: 'wt', accountId: 1 });
  // One account whose provider enforces its limit, in a process of its own (see worker-processes.test.ts).
  strict = await startSimulatorProcess({ credentials: 'sk', rateLimit: { limit: 20, windowMs: 1_000 } }, 100);
  const accounts: AccountConfig[] = [];
  for (let i = 1; i <= PER_PROVIDER; i += 1) {
    accounts.push(peachAccount(peach.url, 'pk', `peach-${pad(i)}`));
    accounts.push(callbellAccount(callbell.url, 'ct', `callbell-${pad(i)}`));
    accounts.push(chatwootAccount(chatwoot.url, { apiAccessToken: 'wt', accountId: 1 }, `chatwoot-${pad(i)}`));
  }
  accounts.push({ ...peachAccount(strict.url, 'sk', 'strict'), rateLimit: rate('20/s') });
  accounts[0] = { ...accounts[0]!, autoClose: { idleAfterMs: 3_600_000, everyMs: 3_600_000, maxPerRun: 10, dryRun: true, skipWaiting: false } };
  config = clusterConfig(cluster, accounts, { concurrency: 5, lockDurationMs: 5_000 });
  producer = createProducer(config);
  app = createApp({ producer, apiToken: TOKEN, logger: createLogger({ level: 'silent' }) });
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'the producer ready on the cluster' });
  for (let i = 0; i < 2; i += 1) workers.push(spawnWorker(envFor(config)));
  await Promise.all(workers.map((worker) => worker.started));
}, 120_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await Promise.all(workers.map((worker) => worker.exited()));
  await app.close();
  await producer.dispose();
  await Promise.all([peach.close(), callbell.close(), chatwoot.close(), strict.stop()]);
  await cluster.stop();
});

const untilDone = (batchId: string, timeoutMs = 60_000) =>
  waitUntil(async () => {
    const report = await producer.batch(batchId);
    return report.done ? report : undefined;
  }, { timeoutMs, what: `batch ${batchId}` });

describe('closer on a Redis Cluster', () => {
  it('runs a mixed 3,000-close run to the end: closes, flaky answers retried, unknown ids dead-lettered', async () => {
    const peachIds = peach.seed(PER_PROVIDER * CLOSES_PER_ACCOUNT).map((c) => c.id);
    const uuids = callbell.seed(PER_PROVIDER * CLOSES_PER_ACCOUNT).map((c) => c.uuid);
    const chatwootIds = chatwoot.seed(PER_PROVIDER * CLOSES_PER_ACCOUNT).map((c) => c.id);
    const slice = <T>(items: T[], i: number) => items.slice(i * CLOSES_PER_ACCOUNT, (i + 1) * CLOSES_PER_ACCOUNT);
    const batches: { batchId: string; account: string; dead: number }[] = [];
    for (let i = 0; i < PER_PROVIDER; i += 1) {
      // Per account: one flaky conversation (503 once, then fine) and the last ref unknown to the provider.
      const flaky = [slice(peachIds, i)[0]!, slice(uuids, i)[0]!, slice(chatwootIds, i)[0]!];
      peach.faults.failFor(flaky[0]!, 503, 1);
      callbell.faults.failFor(flaky[1]!, 503, 1);
      chatwoot.faults.failFor(flaky[2]!, 503, 1);
      const requests = [
        { account: `peach-${pad(i + 1)}`, conversations: [...slice(peachIds, i).slice(0, -1).map((conversationId) => ({ conversationId })), { conversationId: 9_000_000 + i }] },
        { account: `callbell-${pad(i + 1)}`, conversations: [...slice(uuids, i).slice(0, -1).map((contactUuid) => ({ contactUuid })), { contactUuid: `missing-${i}` }] },
        { account: `chatwoot-${pad(i + 1)}`, conversations: [...slice(chatwootIds, i).slice(0, -1).map((conversationId) => ({ conversationId })), { conversationId: 9_000_000 + i }] },
      ];
      for (const request of requests) {
        const response = await app.inject({ method: 'POST', url: '/v1/close', headers: auth, payload: request });
        expect(response.statusCode).toBe(202);
        batches.push({ batchId: response.json<{ batchId: string }>().batchId, account: request.account, dead: 1 });
      }
    }
    expect(batches).toHaveLength(60);
    for (const { batchId, account, dead } of batches) {
      expect(await untilDone(batchId)).toMatchObject({ account, total: CLOSES_PER_ACCOUNT, completed: CLOSES_PER_ACCOUNT - dead, deadLettered: dead });
    }
    const closedHere = (ids: (number | string)[], statusOf: (id: never) => string | undefined) => ids.filter((id, index) => index % CLOSES_PER_ACCOUNT !== CLOSES_PER_ACCOUNT - 1 && statusOf(id as never) === 'open');
    expect(closedHere(peachIds, (id) => peach.statusOf(id))).toEqual([]);
    expect(closedHere(uuids, (id) => callbell.statusOf(id))).toEqual([]);
    expect(closedHere(chatwootIds, (id) => chatwoot.statusOf(id))).toEqual([]);
    const letters = await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=100', headers: auth });
    expect(letters.json()).toMatchObject({ total: 60 });
  }, 120_000);

  it('spreads the accounts over the masters: every master holds keys of at least 10 accounts', async () => {
    const tags = new Map<number, Set<string>>();
    for (const port of await cluster.masters()) {
      const node = new Redis(port, '127.0.0.1');
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, found] = await node.scan(cursor, 'MATCH', `${config.queuePrefix}:{*}:*`, 'COUNT', 1_000);
          cursor = next;
          keys.push(...found);
        } while (cursor !== '0');
        tags.set(port, new Set(keys.map((key) => /\{([^}]+)\}/.exec(key)![1]!)));
      } finally {
        node.disconnect();
      }
    }
    const perMaster = [...tags.values()].map((accounts) => accounts.size);
    expect(perMaster).toHaveLength(3);
    for (const count of perMaster) expect(count).toBeGreaterThanOrEqual(10);
    // No account's keys are split over two masters.
    const all = [...tags.values()].flatMap((accounts) => [...accounts]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('holds an account\'s exact limit across both worker processes: never more than 20 in a sliding second, no 429', async () => {
    const { batchId } = await producer.close({ account: 'strict', conversations: strict.ids.map((conversationId) => ({ conversationId })) });
    expect(await untilDone(batchId, 30_000)).toMatchObject({ total: 100, completed: 100 });
    const stats = await strict.stats(1_000);
    expect({ statuses: stats.statuses, others: stats.others }).toEqual({ statuses: { 200: 100 }, others: [] });
    // The simulator stamps requests on its own event loop; a stall longer than the limiter's margin could bunch them.
    if (stats.longestStallMs <= 25) expect(stats.maxInWindow).toBeLessThanOrEqual(20);
  }, 60_000);

  it('serves accounts, batches, dead letters, redrive, pause and resume, list jobs and a sweep', async () => {
    const accounts = (await app.inject({ method: 'GET', url: '/v1/accounts', headers: auth })).json<{ id: string }[]>();
    expect(accounts).toHaveLength(61);

    // A dead letter whose cause is gone: redriven, it closes.
    const [id] = peach.seed(1).map((c) => c.id);
    peach.faults.failFor(id!, 404, 1);
    const { batchId } = await producer.close({ account: 'peach-05', conversations: [{ conversationId: id }] });
    expect(await untilDone(batchId)).toMatchObject({ deadLettered: 1 });
    const letter = (await app.inject({ method: 'GET', url: '/v1/dead-letters?account=peach-05', headers: auth })).json<{ items: { id: string; batchId: string }[] }>().items.find((item) => item.batchId === batchId)!;
    expect((await app.inject({ method: 'POST', url: '/v1/dead-letters/redrive', headers: auth, payload: { ids: [letter.id] } })).json()).toEqual({ redriven: 1 });
    expect(await untilDone(batchId)).toMatchObject({ completed: 1, deadLettered: 0 });
    expect(peach.statusOf(id!)).toBe('closed');

    // Paused, the account keeps its jobs; resumed, it runs them.
    expect((await app.inject({ method: 'POST', url: '/v1/accounts/callbell-07/pause', headers: auth })).json()).toMatchObject({ paused: true, pausedReason: 'manual' });
    const uuids = callbell.seed(5).map((c) => c.uuid);
    const paused = await producer.close({ account: 'callbell-07', conversations: uuids.map((contactUuid) => ({ contactUuid })) });
    expect((await producer.accounts()).find((a) => a.id === 'callbell-07')).toMatchObject({ paused: true, counts: expect.objectContaining({ waiting: 5 }) });
    expect((await app.inject({ method: 'POST', url: '/v1/accounts/callbell-07/resume', headers: auth })).json()).toMatchObject({ paused: false });
    expect(await untilDone(paused.batchId)).toMatchObject({ completed: 5 });

    // A list job and a sweep run in their account's queue, on the account's master.
    const listed = (await app.inject({ method: 'POST', url: '/v1/list', headers: auth, payload: { account: 'chatwoot-03', filter: { status: 'all' }, limit: 5 } })).json<{ jobId: string }>();
    const list = await waitUntil(async () => {
      const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${listed.jobId}`, headers: auth })).json<{ state: string; result?: { conversations: unknown[] } }>();
      return job.state === 'completed' ? job : undefined;
    }, { what: 'the list job' });
    expect(list.result!.conversations).toHaveLength(5);
    const sweep = (await app.inject({ method: 'POST', url: '/v1/accounts/peach-01/sweep', headers: auth })).json<{ jobId: string }>();
    const swept = await waitUntil(async () => {
      const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${sweep.jobId}`, headers: auth })).json<{ state: string; result?: { dryRun: boolean } }>();
      return job.state === 'completed' ? job : undefined;
    }, { what: 'the sweep' });
    expect(swept.result).toMatchObject({ dryRun: true });
    expect(await app.inject('/readyz')).toMatchObject({ statusCode: 200 });
  }, 60_000);
});
