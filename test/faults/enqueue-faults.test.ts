import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName, keyNames } from '../../src/queues/names.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { spawnApi, type ApiProcess } from '../helpers/api-process.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';
import { spawnWorker, envFor, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Bulk enqueues under faults: whatever Redis does, an answer states only what
 * is known, a refused request leaves nothing or exactly what it says, every
 * batch counts exactly the jobs that exist, and every accepted close runs.
 */
const KEY = 'peach-enqueue-fault-key';
const cleanups: (() => Promise<unknown>)[] = [];
const children: (WorkerProcess | ApiProcess)[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await child.exited();
  }
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(redisOptions: Parameters<typeof startRedis>[0] = {}) {
  const server: TestRedis = await startRedis(redisOptions);
  cleanups.push(() => server.stop());
  const sim = await PeachSimulator.start({ credentials: KEY });
  cleanups.push(() => sim.close());
  const config = testConfig(server.url, [{ ...peachAccount(sim.url, KEY), rateLimit: rate('20000/s') }], { concurrency: 50, lockDurationMs: 5_000 });
  const admin = new Redis(server.url);
  cleanups.push(() => admin.quit());
  return { server, sim, config, admin };
}

/** Jobs of a batch that exist in Redis (no worker has run yet, so none was removed). */
async function jobsOf(admin: Redis, config: Config, batchId: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${queuePrefixOf(config, 'peach')}:${accountQueueName('peach')}:${batchId}-*`, 'COUNT', 5_000);
    cursor = next;
    count += keys.filter((key) => !/:(lock|logs)$/.test(key)).length;
  } while (cursor !== '0');
  return count;
}

type Answer = { status: number; body: Record<string, unknown>; retryAfter: string | null };

/**
 * What an answer says must hold of Redis: a 202's accepted jobs exist; a
 * refusal that enqueued nothing left no job and no batch; a partial answer's
 * certain numbers hold and its uncertain ones are bounded; the batch, if any,
 * counts exactly the jobs that exist.
 */
async function expectAnswerTrue(admin: Redis, config: Config, batchId: string, refs: number, answer: Answer): Promise<number> {
  const existing = await jobsOf(admin, config, batchId);
  const batchExists = (await admin.exists(keyNames(config.queuePrefix).batch('peach', batchId))) === 1;
  const { status, body } = answer;
  if (status === 202) {
    expect(body).toMatchObject({ batchId, total: refs });
    expect(existing).toBe(body.accepted);
  } else if (body.error === 'enqueue_incomplete') {
    const { accepted, notEnqueued, uncertain = 0 } = body as { accepted: number; notEnqueued: number; uncertain?: number };
    expect(accepted + notEnqueued + uncertain).toBe(refs);
    expect(existing).toBeGreaterThanOrEqual(accepted);
    expect(existing).toBeLessThanOrEqual(accepted + uncertain);
  } else {
    // busy, redis_unavailable, redis_out_of_memory: nothing was enqueued.
    expect(['busy', 'redis_unavailable', 'redis_out_of_memory']).toContain(body.error);
    expect(status).toBe(503);
    expect(answer.retryAfter).not.toBeNull();
    expect(existing).toBe(0);
  }
  if (status !== 202) expect(answer.retryAfter).not.toBeNull();
  expect(batchExists).toBe(existing > 0);
  return existing;
}

const refsFrom = (first: number, count: number) => Array.from({ length: count }, (_, i) => ({ conversationId: first + i }));

describe('bulk enqueue under faults', () => {
  it('Redis SIGKILLed during five concurrent 2,000-ref requests (AOF always): every answer true, the batches exact, nothing lost', async () => {
    const { server, sim, config, admin } = await setUp({ appendOnly: true, appendFsync: 'always' });
    const ids = sim.seed(10_000).map((c) => c.id);
    const producer: Producer = createProducer(config);
    cleanups.push(() => producer.dispose());
    await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });

    const requests = Array.from({ length: 5 }, (_, i) => ({ batchId: `killed-${i}`, conversations: ids.slice(i * 2_000, (i + 1) * 2_000).map((conversationId) => ({ conversationId })) }));
    const answers = requests.map(({ batchId, conversations }) =>
      producer.close({ account: 'peach', conversations, batchId }).then(
        (body): Answer => ({ status: 202, body: { ...body }, retryAfter: null }),
        (error: { httpStatus?: number; code?: string; details?: () => Record<string, unknown>; retryAfterSeconds?: number }): Answer => ({
          status: error.httpStatus ?? 500,
          body: { error: error.code, ...(error.details?.() ?? {}) },
          retryAfter: error.retryAfterSeconds === undefined ? null : String(error.retryAfterSeconds),
        }),
      ),
    );
    // Mid-way: the first chunks landed, most are still to come.
    await waitUntil(async () => (await Promise.all(requests.map(({ batchId }) => jobsOf(admin, config, batchId)))).some((count) => count > 0), { what: 'enqueue under way' });
    await server.kill();
    const settled = await Promise.all(answers);
    await server.restart();
    await waitUntil(async () => (await producer.readiness()).ready, { timeoutMs: 30_000, what: 'redis back' });
    await admin.ping();

    const incomplete = settled.filter((answer) => answer.status !== 202);
    expect(incomplete.length).toBeGreaterThan(0); // the kill did land mid-way
    for (const [index, answer] of settled.entries()) await expectAnswerTrue(admin, config, requests[index]!.batchId, 2_000, answer);

    // The client resends what was not accepted (same batch ids: idempotent), then everything runs once.
    for (const [index, answer] of settled.entries()) {
      if (answer.status !== 202) expect(await producer.close({ account: 'peach', ...requests[index]! })).toMatchObject({ total: 2_000 });
    }
    const worker = spawnWorker(envFor(config));
    children.push(worker);
    await worker.started;
    for (const { batchId } of requests) {
      await waitUntil(async () => (await producer.batch(batchId)).done, { timeoutMs: 120_000, what: `batch ${batchId}` });
      expect(await producer.batch(batchId)).toMatchObject({ total: 2_000, completed: 2_000, deadLettered: 0 });
    }
    expect(ids.filter((id) => sim.statusOf(id) !== 'closed')).toEqual([]);
  });

  it('the API process under 8 concurrent 10,000-ref requests, then Redis paused 7 s mid-burst: up throughout, every answer true, nothing lost', async () => {
    const { sim, config, admin } = await setUp();
    const ids = sim.seed(110_000).map((c) => c.id);
    const api = await spawnApi(config);
    children.push(api);
    const post = async (batchId: string, first: number, count: number): Promise<Answer> => {
      const response = await fetch(`${api.url}/v1/close`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ account: 'peach', batchId, conversations: refsFrom(ids[first]!, count) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get('retry-after') };
    };

    const first = Array.from({ length: 8 }, (_, i) => ({ batchId: `load-${i}`, first: i * 10_000, count: 10_000 }));
    const firstAnswers = await Promise.all(first.map(({ batchId, first: from, count }) => post(batchId, from, count)));
    expect(firstAnswers.every((answer) => answer.status === 202 || (answer.status === 503 && answer.retryAfter !== null))).toBe(true);
    expect(firstAnswers.filter((answer) => answer.status === 202).length).toBeGreaterThan(0);

    const second = Array.from({ length: 6 }, (_, i) => ({ batchId: `paused-${i}`, first: 80_000 + i * 5_000, count: 5_000 }));
    const secondAnswers = Promise.all(second.map(({ batchId, first: from, count }) => post(batchId, from, count)));
    await waitUntil(async () => (await jobsOf(admin, config, 'paused-0')) > 0, { what: 'the second burst under way' });
    await admin.client('PAUSE', 7_000);
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    const settled = [...firstAnswers, ...(await secondAnswers)];
    const all = [...first, ...second];

    expect(api.child.exitCode).toBeNull();
    let accepted = 0;
    for (const [index, answer] of settled.entries()) accepted += await expectAnswerTrue(admin, config, all[index]!.batchId, all[index]!.count, answer);

    // Workers run everything accepted; each batch ends with exactly its jobs done.
    const worker = spawnWorker(envFor(config));
    children.push(worker);
    await worker.started;
    let completed = 0;
    for (const [index, { batchId }] of all.entries()) {
      if (settled[index]!.body.error === 'busy' || (settled[index]!.status !== 202 && (await admin.exists(keyNames(config.queuePrefix).batch('peach', batchId))) === 0)) continue;
      const report = await waitUntil(async () => {
        const current = await fetch(`${api.url}/v1/batches/${batchId}`, { headers: { authorization: `Bearer ${api.token}` } }).then((r) => r.json() as Promise<{ done: boolean; completed: number; total: number; deadLettered: number }>);
        return current.done ? current : undefined;
      }, { timeoutMs: 150_000, what: `batch ${batchId}` });
      expect(report.deadLettered).toBe(0);
      expect(report.completed).toBe(report.total);
      completed += report.completed;
    }
    expect(completed).toBe(accepted);
    expect(sim.listConversations().filter((c) => c.status === 'closed').length).toBe(accepted);
    expect(api.output()).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  }, 240_000);
});
