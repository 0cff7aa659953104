import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { apiCall } from '../helpers/api-call.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Cancel and priority (issue 21): a cancelled batch's closes that have not
 * started never run, and its counts add up; a high-priority close overtakes
 * the account's backlog.
 */
const ACCOUNT_CONCURRENCY = 5;
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let api: ApiRuntime;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: 'k' });
  config = testConfig(server.url, [{ ...peachAccount(sim.url, 'k', 'slow'), rateLimit: rate('100/s') }, { ...peachAccount(sim.url, 'k', 'queued'), rateLimit: rate('20/s') }], { accountConcurrency: ACCOUNT_CONCURRENCY });
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  worker = spawnWorker(envFor(config));
  await worker.started;
});

afterAll(async () => {
  if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await worker.exited();
  await api.close();
  await sim.close();
  await server.stop();
});

const call = (method: string, path: string, body?: unknown) => apiCall(api.url, config.apiToken!, method, path, body);
const closedCount = (ids: readonly number[]) => ids.filter((id) => sim.statusOf(id) === 'closed').length;

describe('cancel', () => {
  it('in the middle of a 1,000-close batch: nothing starts after the answer, and completed + deadLettered + cancelled = total', async () => {
    const ids = sim.seed(1_000).map((conversation) => conversation.id);
    const { batchId } = (await call('POST', '/v1/close', { account: 'slow', conversations: ids.map((conversationId) => ({ conversationId })) })).body;
    await waitUntil(async () => (await call('GET', `/v1/batches/${batchId}`)).body.completed >= 100, { what: '100 closes done' });

    const cancelled = await call('POST', `/v1/batches/${batchId}/cancel`);
    const closedAtAnswer = closedCount(ids);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.cancelled).toBeGreaterThan(500);
    expect(cancelled.body.cancelledAt).toEqual(expect.any(String));

    const done = await waitUntil(async () => {
      const { body } = await call('GET', `/v1/batches/${batchId}`);
      return body.done ? body : undefined;
    }, { what: 'the cancelled batch done' });
    expect(done.completed + done.deadLettered + done.cancelled).toBe(done.total);
    expect(done.total).toBe(1_000);
    // Only closes already running when the cancel answered may end after it.
    expect(closedCount(ids) - closedAtAnswer).toBeLessThanOrEqual(ACCOUNT_CONCURRENCY);
    expect(closedCount(ids)).toBe(done.completed);

    // Repeating it changes nothing; the batch takes no new close.
    expect((await call('POST', `/v1/batches/${batchId}/cancel`)).body).toMatchObject({ cancelled: done.cancelled, done: true });
    expect((await call('POST', '/v1/close', { account: 'slow', batchId, conversations: [{ conversationId: ids[0] }] })).body).toMatchObject({ error: 'batch_cancelled' });
    expect((await call('POST', '/v1/batches/nope/cancel')).status).toBe(404);
  });

  it('from the CLI', async () => {
    const ids = sim.seed(200).map((conversation) => conversation.id);
    await call('POST', '/v1/accounts/queued/pause');
    const { batchId } = (await call('POST', '/v1/close', { account: 'queued', conversations: ids.map((conversationId) => ({ conversationId })) })).body;
    const result = await runCli(['batch', 'cancel', batchId, '--json'], envFor(config));
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ batchId, total: 200, cancelled: 200, pending: 0, done: true });
    await call('POST', '/v1/accounts/queued/resume');
  });
});

describe('priority', () => {
  it('a high-priority close overtakes the backlog of its account', async () => {
    const backlog = sim.seed(400).map((conversation) => conversation.id);
    const [urgent] = sim.seed(1).map((conversation) => conversation.id);
    await call('POST', '/v1/close', { account: 'queued', conversations: backlog.map((conversationId) => ({ conversationId })) });
    await waitUntil(() => closedCount(backlog) >= 5, { what: 'the backlog under way' });
    expect((await call('POST', '/v1/close', { account: 'queued', priority: 'urgent', conversations: [{ conversationId: urgent }] })).body.issues).toEqual([expect.objectContaining({ path: 'priority' })]);
    const { batchId } = (await call('POST', '/v1/close', { account: 'queued', priority: 'high', conversations: [{ conversationId: urgent }] })).body;
    await waitUntil(async () => (await call('GET', `/v1/batches/${batchId}`)).body.done, { what: 'the high-priority close' });
    // Done while most of the backlog still waits (first in, first out, it would have come after all 400).
    expect(sim.statusOf(urgent!)).toBe('closed');
    expect(closedCount(backlog)).toBeLessThan(backlog.length / 2);
  });
});
