import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { apiCall } from '../helpers/api-call.js';
import { spawnApi, type ApiProcess } from '../helpers/api-process.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Scoped API keys (issue 20): a key acts on its accounts within its scopes;
 * everything of another account answers 404 to it; a revoked key gets 401
 * from every API process within 2 s.
 */
const SECRET_KEY = randomBytes(32).toString('base64');
const KEY = 'peach-key-0123456789';
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let api: ApiRuntime;
let other: ApiProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: KEY });
  config = { ...testConfig(server.url, []), secretKey: SECRET_KEY };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  // A second API process: revocation must reach it too.
  other = await spawnApi(config, { CLOSER_SECRET_KEY: SECRET_KEY });
  worker = spawnWorker({ ...envFor(config), CLOSER_SECRET_KEY: SECRET_KEY });
  await worker.started;
  for (const id of ['alpha', 'beta']) {
    expect((await as(config.apiToken!, 'POST', '/v1/accounts', { id, provider: 'peach', baseUrl: sim.url, apiKey: KEY })).status).toBe(201);
  }
});

afterAll(async () => {
  for (const child of [worker.child, other.child]) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all([worker.exited(), other.exited()]);
  await api.close();
  await sim.close();
  await server.stop();
});

const as = (token: string, method: string, path: string, body?: unknown, base = api.url) => apiCall(base, token, method, path, body);
const admin = (method: string, path: string, body?: unknown) => as(config.apiToken!, method, path, body);
const makeKey = async (request: unknown) => {
  const answer = await admin('POST', '/v1/api-keys', request);
  expect(answer.status).toBe(201);
  return answer.body as { id: string; key: string };
};
const untilDone = (batchId: string) =>
  waitUntil(async () => {
    const { body } = await admin('GET', `/v1/batches/${batchId}`);
    return body?.done ? body : undefined;
  }, { what: `batch ${batchId} done` });

describe('API keys', () => {
  it('are made once (the key shown only then), listed without secrets, and validated field by field', async () => {
    const made = await makeKey({ name: 'alpha app', accounts: ['alpha'], scopes: ['close', 'read'] });
    expect(made.key).toMatch(/^ck_[a-f0-9]{16}_/);
    const listed = await admin('GET', '/v1/api-keys');
    expect(listed.body).toEqual(expect.arrayContaining([{ id: made.id, name: 'alpha app', accounts: ['alpha'], scopes: ['close', 'read'], createdAt: expect.any(String) }]));
    expect(JSON.stringify(listed.body)).not.toContain(made.key.slice(-20));

    const invalid = await admin('POST', '/v1/api-keys', { name: '', accounts: ['nobody'], scopes: ['fly'], extra: 1 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues.map((issue: { path: string }) => issue.path)).toEqual(expect.arrayContaining(['name', 'scopes[0]']));
    expect((await admin('POST', '/v1/api-keys', { name: 'n', accounts: ['nobody'], scopes: ['read'] })).body.issues).toEqual([expect.objectContaining({ path: 'accounts[0]' })]);
    expect((await admin('POST', '/v1/api-keys', { name: 'n', scopes: ['read'] })).body.issues).toEqual([expect.objectContaining({ path: 'accounts' })]);
    expect((await admin('DELETE', '/v1/api-keys/nope')).status).toBe(404);
  });

  it("act on their own accounts only: another account's batch, job, dead letters and account answer 404", async () => {
    const { key } = await makeKey({ name: 'alpha only', accounts: ['alpha'], scopes: ['close', 'list', 'read'] });
    const [a, b] = sim.seed(2).map((conversation) => conversation.id);
    const alphaBatch = (await as(key, 'POST', '/v1/close', { account: 'alpha', conversations: [{ conversationId: a }] })).body.batchId as string;
    const betaBatch = (await admin('POST', '/v1/close', { account: 'beta', conversations: [{ conversationId: b }] })).body.batchId as string;
    const betaJob = (await admin('POST', '/v1/list', { account: 'beta', filter: {} })).body.jobId as string;
    await untilDone(alphaBatch);
    await untilDone(betaBatch);

    expect((await as(key, 'GET', `/v1/batches/${alphaBatch}`)).body).toMatchObject({ account: 'alpha', completed: 1 });
    expect(await as(key, 'GET', `/v1/batches/${betaBatch}`)).toMatchObject({ status: 404, body: { error: 'not_found' } });
    // Answered as a batch that does not exist: the key learns nothing of beta's.
    expect((await as(key, 'GET', '/v1/batches/no-such-batch')).body.error).toBe('not_found');
    expect((await as(key, 'GET', `/v1/jobs/${betaJob}`)).status).toBe(404);
    expect((await as(key, 'POST', '/v1/close', { account: 'beta', conversations: [{ conversationId: 1 }] })).body).toMatchObject({ error: 'unknown_account' });
    expect((await as(key, 'POST', '/v1/list', { account: 'beta', filter: {} })).status).toBe(404);
    expect((await as(key, 'GET', '/v1/dead-letters?account=beta')).status).toBe(404);
    expect((await as(key, 'POST', '/v1/dead-letters/redrive', { account: 'beta' })).status).toBe(404);
    expect((await as(key, 'DELETE', '/v1/dead-letters/beta.1')).status).toBe(404);
    expect((await as(key, 'GET', '/v1/accounts/beta')).status).toBe(404);
    expect((await as(key, 'GET', '/v1/accounts/alpha')).body).toMatchObject({ id: 'alpha' });
    expect((await as(key, 'GET', '/v1/accounts')).body.map((account: { id: string }) => account.id)).toEqual(['alpha']);
    expect((await as(key, 'GET', '/v1/dead-letters')).body).toEqual({ total: 0, items: [] });
  });

  it('act within their scopes (403 naming the scope), and only admin keys over every account manage accounts and keys', async () => {
    const reader = (await makeKey({ name: 'reader', accounts: '*', scopes: ['read'] })).key;
    const denied = await as(reader, 'POST', '/v1/close', { account: 'alpha', conversations: [{ conversationId: 1 }] });
    expect(denied).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect(denied.body.message).toContain('"close"');
    expect((await as(reader, 'GET', '/v1/accounts')).body.map((account: { id: string }) => account.id)).toEqual(['alpha', 'beta']);
    expect((await as(reader, 'POST', '/v1/accounts', { id: 'x', provider: 'peach', apiKey: 'k' })).status).toBe(403);
    expect((await as(reader, 'GET', '/v1/api-keys')).status).toBe(403);

    const narrowAdmin = (await makeKey({ name: 'alpha admin', accounts: ['alpha'], scopes: ['admin', 'read'] })).key;
    expect((await as(narrowAdmin, 'POST', '/v1/api-keys', { name: 'wider', accounts: '*', scopes: ['admin'] })).status).toBe(403);
    expect((await as(narrowAdmin, 'PATCH', '/v1/accounts/alpha', { rateLimit: '40/s' })).body).toMatchObject({ rateLimit: '40/s' });
    expect((await as(narrowAdmin, 'PATCH', '/v1/accounts/beta', { rateLimit: '40/s' })).status).toBe(404);

    const root = (await makeKey({ name: 'root', accounts: '*', scopes: ['admin', 'read'] })).key;
    expect((await as(root, 'POST', '/v1/accounts', { id: 'gamma', provider: 'peach', baseUrl: sim.url, apiKey: KEY })).status).toBe(201);
    expect((await as(root, 'GET', '/v1/api-keys')).status).toBe(200);
    expect((await as(root, 'DELETE', '/v1/accounts/gamma')).status).toBe(204);
  });

  it('never open the dashboard, which takes admin credentials only', async () => {
    const { key } = await makeKey({ name: 'admin key', accounts: '*', scopes: ['admin', 'read'] });
    for (const path of ['/dashboard', '/dashboard/api/queues']) {
      expect((await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
      expect((await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${config.apiToken}` } })).status).toBe(200);
    }
  });

  it('revoked, get 401 from every API process within 2 s', async () => {
    const { id, key } = await makeKey({ name: 'short-lived', accounts: '*', scopes: ['read'] });
    // The other process learns of the new key on its own (it syncs when it meets an id it does not know).
    expect((await as(key, 'GET', '/v1/accounts', undefined, other.url)).status).toBe(200);
    expect((await admin('DELETE', `/v1/api-keys/${id}`)).status).toBe(204);
    const revokedAt = Date.now();
    expect((await as(key, 'GET', '/v1/accounts')).status).toBe(401);
    await waitUntil(async () => (await as(key, 'GET', '/v1/accounts', undefined, other.url)).status === 401, { timeoutMs: 2_000, what: 'the other API process to refuse the revoked key' });
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    expect((await as(key, 'GET', '/v1/batches/x')).status).toBe(401);
    expect((await as(`${key.slice(0, -1)}x`, 'GET', '/v1/accounts')).status).toBe(401);
  });
});
