import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { apiCall } from '../helpers/api-call.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnProcess, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Accounts managed at run time (issue 20): the accounts API, its propagation
 * to worker processes started before, and removal with and without pending
 * work. API keys and encryption have files of their own.
 */
const SECRET_KEY = randomBytes(32).toString('base64');
const KEY = 'peach-key-0123456789';
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let api: ApiRuntime;
let worker: WorkerProcess;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: KEY });
  // One configured account, to show what stays read-only.
  config = { ...testConfig(server.url, [peachAccount(sim.url, KEY, 'configured')]), secretKey: SECRET_KEY };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  // Started before any managed account exists.
  worker = spawnWorker({ ...envFor(config), CLOSER_SECRET_KEY: SECRET_KEY });
  await worker.started;
  redis = new Redis(server.url);
});

afterAll(async () => {
  if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await worker.exited();
  await api.close();
  redis.disconnect();
  await sim.close();
  await server.stop();
});

const call = (method: string, path: string, body?: unknown) => apiCall(api.url, config.apiToken!, method, path, body);

const peach = (id: string, fields: Record<string, unknown> = {}) => ({ id, provider: 'peach', baseUrl: sim.url, apiKey: KEY, rateLimit: '50/s', ...fields });

const closeAll = async (account: string, ids: number[]) => {
  const answer = await call('POST', '/v1/close', { account, conversations: ids.map((conversationId) => ({ conversationId })) });
  expect(answer.status).toBe(202);
  return answer.body!.batchId as string;
};
const untilDone = (batchId: string) =>
  waitUntil(async () => {
    const { body } = await call('GET', `/v1/batches/${batchId}`);
    return body?.done ? body : undefined;
  }, { what: `batch ${batchId} done` });

describe('the accounts API', () => {
  it('creates an account from the accounts-file fields and answers it with its credentials masked', async () => {
    const created = await call('POST', '/v1/accounts', peach('acme', { autoClose: { idleAfter: '2h', every: '10m' } }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'acme', provider: 'peach', source: 'api', baseUrl: sim.url, rateLimit: '50/s', paused: false, credentials: { apiKey: '****6789' } });
    expect(created.body!.autoClose).toMatchObject({ idleAfter: '2h', every: '10m' });
    expect(JSON.stringify(created.body)).not.toContain(KEY);
    expect((await call('GET', '/v1/accounts/acme')).body).toMatchObject({ id: 'acme', credentials: { apiKey: '****6789' } });
    expect((await call('GET', '/v1/accounts')).body!.map((account: { id: string }) => account.id)).toEqual(expect.arrayContaining(['configured', 'acme']));
  });

  it('answers 400 naming every invalid field, and makes nothing', async () => {
    const answer = await call('POST', '/v1/accounts', { id: 'Bad Id', provider: 'peach', rateLimit: 'fast', colour: 'red' });
    expect(answer.status).toBe(400);
    expect(answer.body!.error).toBe('validation');
    const paths = answer.body!.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'rateLimit', 'apiKey']));
    expect(answer.body!.issues.some((issue: { message: string }) => issue.message.includes('colour'))).toBe(true);
    expect((await call('POST', '/v1/accounts', { id: 'x', provider: 'slack' })).body!.issues).toEqual([expect.objectContaining({ path: 'provider' })]);
    expect((await call('POST', '/v1/accounts', peach('chat', { provider: 'chatwoot', apiKey: undefined, autoClose: { idleAfter: '1h' } }))).body!.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'autoClose' })]),
    );
    expect((await call('GET', '/v1/accounts/chat')).status).toBe(404);
    expect((await call('POST', '/v1/accounts', [])).status).toBe(400);
  });

  it('answers 409 for an id that exists, managed or configured', async () => {
    await call('POST', '/v1/accounts', peach('taken'));
    expect(await call('POST', '/v1/accounts', peach('taken'))).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect(await call('POST', '/v1/accounts', peach('configured'))).toMatchObject({ status: 409, body: { error: 'conflict' } });
  });

  it('answers 501 secret_key_missing where no CLOSER_SECRET_KEY is set, and makes nothing', async () => {
    // A deployment of its own (another queue prefix), with no managed accounts: such a process starts without the key.
    const keyless = await startApi({ ...testConfig(server.url, []), secretKey: undefined }, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
    try {
      const answer = await apiCall(keyless.url, config.apiToken!, 'POST', '/v1/accounts', peach('keyless'));
      expect(answer).toMatchObject({ status: 501, body: { error: 'secret_key_missing' } });
      expect((await apiCall(keyless.url, config.apiToken!, 'GET', '/v1/accounts/keyless')).status).toBe(404);
    } finally {
      await keyless.close();
    }
  });

  it('changes an account with PATCH, validated as a whole; configured accounts are read-only', async () => {
    await call('POST', '/v1/accounts', peach('patchy'));
    expect(await call('PATCH', '/v1/accounts/patchy', { rateLimit: '20/s' })).toMatchObject({ status: 200, body: { rateLimit: '20/s', credentials: { apiKey: '****6789' } } });
    const invalid = await call('PATCH', '/v1/accounts/patchy', { rateLimit: 'often', provider: 'callbell' });
    expect(invalid).toMatchObject({ status: 400, body: { error: 'validation' } });
    expect(invalid.body!.issues.map((issue: { path: string }) => issue.path)).toEqual(['provider']);
    expect((await call('PATCH', '/v1/accounts/patchy', { rateLimit: 'often' })).body!.issues).toEqual([expect.objectContaining({ path: 'rateLimit' })]);
    expect((await call('PATCH', '/v1/accounts/patchy', { autoClose: { idleAfter: '2h' } })).body!.autoClose).toMatchObject({ idleAfter: '2h' });
    expect((await call('PATCH', '/v1/accounts/patchy', { autoClose: null })).body!.autoClose).toBeNull();
    expect(await call('PATCH', '/v1/accounts/configured', { rateLimit: '1/s' })).toMatchObject({ status: 409, body: { error: 'static_account' } });
    expect(await call('DELETE', '/v1/accounts/configured')).toMatchObject({ status: 409, body: { error: 'static_account' } });
    expect((await call('PATCH', '/v1/accounts/nobody', { rateLimit: '1/s' })).status).toBe(404);
    expect((await call('GET', '/v1/accounts/patchy')).body!.rateLimit).toBe('20/s');
  });

  it('removes an account without pending work; refuses with has_pending while it has some, unless purged', async () => {
    await call('POST', '/v1/accounts', peach('gone'));
    expect((await call('DELETE', '/v1/accounts/gone')).status).toBe(204);
    expect((await call('GET', '/v1/accounts/gone')).status).toBe(404);
    expect((await call('DELETE', '/v1/accounts/gone')).status).toBe(404);

    // A slow limit keeps two of three closes waiting.
    await call('POST', '/v1/accounts', peach('busy', { rateLimit: '1/1h' }));
    const [first, ...rest] = sim.seed(3).map((conversation) => conversation.id);
    await closeAll('busy', [first!, ...rest]);
    await waitUntil(async () => (await call('GET', '/v1/accounts/busy')).body!.counts.completed === 1, { what: 'the first close' });
    const refused = await call('DELETE', '/v1/accounts/busy');
    expect(refused).toMatchObject({ status: 409, body: { error: 'has_pending', pending: { jobs: 2, deadLetters: 0 } } });
    expect((await call('GET', '/v1/accounts/busy')).status).toBe(200);

    const purged = await call('DELETE', '/v1/accounts/busy?purge=true');
    expect(purged.status).toBe(204);
    expect(purged.headers.get('closer-purged-jobs')).toBe('2');
    expect(await redis.keys(`${config.queuePrefix}:{busy}:*`)).toEqual([]);
    expect((await call('DELETE', '/v1/accounts/busy?purge=maybe')).status).toBe(400);
    // Another account's close, enqueued after, is done: the removed one's two closes never ran.
    const other = sim.seed(1)[0]!.id;
    await call('POST', '/v1/accounts', peach('after'));
    await untilDone(await closeAll('after', [other]));
    expect(rest.map((id) => sim.statusOf(id))).toEqual(['open', 'open']);
    expect((await call('POST', '/v1/close', { account: 'busy', conversations: [{ conversationId: 1 }] })).status).toBe(404);
  });
});

describe('propagation to a worker process started before', () => {
  it("runs a created account's closes", async () => {
    await call('POST', '/v1/accounts', peach('newcomer'));
    const ids = sim.seed(5).map((conversation) => conversation.id);
    expect(await untilDone(await closeAll('newcomer', ids))).toMatchObject({ total: 5, completed: 5 });
    expect(ids.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
  });

  it('turns the auto-close schedule on, changes and removes it in a running scheduler process', async () => {
    const scheduler = spawnProcess('scheduler', { ...envFor(config), CLOSER_SECRET_KEY: SECRET_KEY });
    try {
      await scheduler.started;
      await call('POST', '/v1/accounts', peach('swept'));
      const schedulerKey = `${config.queuePrefix}:{swept}:account-swept:repeat`;
      const every = async () => {
        const [id] = await redis.zrange(schedulerKey, 0, -1);
        return id === undefined ? undefined : (await redis.hget(`${schedulerKey}:${id}`, 'every')) ?? 'none';
      };
      expect(await every()).toBeUndefined();
      await call('PATCH', '/v1/accounts/swept', { autoClose: { idleAfter: '1h', every: '7m' } });
      await waitUntil(async () => (await every()) === String(7 * 60_000), { timeoutMs: 2_000, what: 'the sweep scheduled every 7 minutes' });
      await call('PATCH', '/v1/accounts/swept', { autoClose: { idleAfter: '1h', every: '9m' } });
      await waitUntil(async () => (await every()) === String(9 * 60_000), { timeoutMs: 2_000, what: 'the sweep rescheduled every 9 minutes' });
      await call('PATCH', '/v1/accounts/swept', { autoClose: null });
      await waitUntil(async () => (await every()) === undefined, { timeoutMs: 2_000, what: 'the schedule removed' });
    } finally {
      scheduler.child.kill('SIGTERM');
      await scheduler.exited();
    }
  });

  it('applies a new rate limit from the next request, and new credentials between two requests', async () => {
    await call('POST', '/v1/accounts', peach('tuned', { apiKey: 'not-the-key-0000' }));
    const [refused] = sim.seed(1).map((conversation) => conversation.id);
    // A wrong key: the provider answers 401, the close is dead-lettered.
    await untilDone(await closeAll('tuned', [refused!]));
    expect(sim.requests.filter((request) => request.headers.authorization === 'not-the-key-0000').length).toBeGreaterThan(0);

    // Two an hour, of which the refused request took one: one more now.
    expect((await call('PATCH', '/v1/accounts/tuned', { apiKey: KEY, rateLimit: '2/1h' })).status).toBe(200);
    const before = sim.requests.length;
    const ids = sim.seed(3).map((conversation) => conversation.id);
    await closeAll('tuned', ids);
    // One close runs, the other two wait for their slots an hour away.
    await waitUntil(async () => {
      const { counts } = (await call('GET', '/v1/accounts/tuned')).body!;
      return counts.completed === 1 && counts.delayed + counts.waiting === 2;
    }, { what: 'one close done and two waiting for the new limit' });
    expect(ids.filter((id) => sim.statusOf(id) === 'closed')).toHaveLength(1);
    // The one request since the change carried the new key.
    expect(sim.requests.slice(before).map((request) => request.headers.authorization)).toEqual([KEY]);
    await call('DELETE', '/v1/accounts/tuned?purge=true');
  });
});
