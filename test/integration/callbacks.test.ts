import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { deliverCallback } from '../../src/callbacks/deliver-callback.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { apiCall } from '../helpers/api-call.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Signed callbacks (issue 21): batch.done arrives once per delivery attempt,
 * verifies with the secret and carries the batch's counts; failures are
 * retried; a worker killed before delivering does not lose it; private
 * addresses are refused unless allowed.
 */
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let api: ApiRuntime;
let worker: WorkerProcess;
let receiver: Receiver;

interface Received {
  /** When it arrived (ms since the epoch). */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer with, in turn, by path; 200 once they run out; 'hang' never answers. */
  plan: Map<string, (number | 'hang')[]>;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const plan = new Map<string, (number | 'hang')[]>();
  const hanging: ServerResponse[] = [];
  const http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ at: Date.now(), path: request.url ?? '', headers: request.headers, body });
      const next = plan.get(request.url ?? '')?.shift() ?? 200;
      if (next === 'hang') hanging.push(response);
      else response.writeHead(next).end();
    });
  });
  http.on('close', () => hanging.forEach((response) => response.destroy()));
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return { url: `http://127.0.0.1:${(http.address() as { port: number }).port}`, received, plan, server: http };
}

const SECRET_KEY = randomBytes(32).toString('base64');
const workerEnv = () => ({ ...envFor(config), CLOSER_CALLBACK_SECRET: SECRET, CLOSER_CALLBACK_ALLOW_PRIVATE: 'true', CLOSER_SECRET_KEY: SECRET_KEY });

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: 'k' });
  receiver = await startReceiver();
  // `slow` spreads a batch's ends over seconds, so its conversation events take several deliveries.
  const slow = { ...peachAccount(sim.url, 'k', 'slow'), rateLimit: rate('50/1s') };
  config = { ...testConfig(server.url, [peachAccount(sim.url, 'k', 'peach'), slow], { lockDurationMs: 2_000 }), callbackSecret: SECRET, callbackAllowPrivate: true, secretKey: SECRET_KEY };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  worker = spawnWorker(workerEnv());
  await worker.started;
});

afterAll(async () => {
  if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await worker.exited();
  await api.close();
  receiver.server.closeAllConnections();
  receiver.server.close();
  await sim.close();
  await server.stop();
});

const call = (method: string, path: string, body?: unknown) => apiCall(api.url, config.apiToken!, method, path, body);
const closeWithCallback = async (path: string, count = 5) => {
  const ids = sim.seed(count).map((conversation) => conversation.id);
  const answer = await call('POST', '/v1/close', { account: 'peach', conversations: ids.map((conversationId) => ({ conversationId })), callback: { url: `${receiver.url}${path}` } });
  expect(answer.status).toBe(202);
  return answer.body.batchId as string;
};
const deliveredTo = (path: string) => receiver.received.filter((request) => request.path === path);
const callbackOf = async (batchId: string) => (await call('GET', `/v1/batches/${batchId}`)).body.callback;

describe('batch.done callbacks', () => {
  it('arrive once, signed the Standard Webhooks way, with the batch counts', async () => {
    const batchId = await closeWithCallback('/once');
    const state = await waitUntil(async () => ((await callbackOf(batchId))?.state === 'delivered' ? callbackOf(batchId) : undefined), { what: 'the callback delivered' });
    expect(state).toMatchObject({ url: `${receiver.url}/once`, events: ['batch.done'], state: 'delivered', attempts: 1, lastStatus: 200 });
    const [delivery, ...more] = deliveredTo('/once');
    expect(more).toHaveLength(0);
    const verified = new Webhook(SECRET).verify(delivery!.body, delivery!.headers as Record<string, string>);
    expect(verified).toEqual({ type: 'batch.done', batchId, account: 'peach', total: 5, completed: 5, deadLettered: 0, skipped: 0, duplicates: 0, cancelled: 0 });
    expect(delivery!.headers['webhook-id']).toBe(`batch.done_${batchId}`);
    expect(() => new Webhook(`whsec_${randomBytes(32).toString('base64')}`).verify(delivery!.body, delivery!.headers as Record<string, string>)).toThrow();
  });

  it('work for a batch id of digits only (BullMQ refuses integer-like job ids)', async () => {
    const [id] = sim.seed(1).map((conversation) => conversation.id);
    const answer = await call('POST', '/v1/close', { account: 'peach', batchId: '424242', conversations: [{ conversationId: id }], callback: { url: `${receiver.url}/digits` } });
    expect(answer.status).toBe(202);
    await waitUntil(async () => (await callbackOf('424242'))?.state === 'delivered', { what: 'the callback delivered' });
    expect(deliveredTo('/digits')).toHaveLength(1);
  });

  it("are signed with the API key's own secret for the batches it enqueued", async () => {
    const made = await call('POST', '/v1/api-keys', { name: 'app', accounts: ['peach'], scopes: ['close', 'read'] });
    expect(made.body.callbackSecret).toMatch(/^whsec_/);
    expect(JSON.stringify((await call('GET', '/v1/api-keys')).body)).not.toContain(made.body.callbackSecret);
    const [id] = sim.seed(1).map((conversation) => conversation.id);
    const { batchId } = (await apiCall(api.url, made.body.key, 'POST', '/v1/close', { account: 'peach', conversations: [{ conversationId: id }], callback: { url: `${receiver.url}/own` } })).body;
    await waitUntil(async () => (await callbackOf(batchId))?.state === 'delivered', { what: 'the callback delivered' });
    const [delivery] = deliveredTo('/own');
    const headers = delivery!.headers as Record<string, string>;
    expect(new Webhook(made.body.callbackSecret).verify(delivery!.body, headers)).toMatchObject({ type: 'batch.done', batchId });
    expect(() => new Webhook(SECRET).verify(delivery!.body, headers)).toThrow();
  });

  it('are retried with backoff: a receiver failing twice gets the event on the third attempt', async () => {
    receiver.plan.set('/flaky', [500, 503]);
    const batchId = await closeWithCallback('/flaky');
    await waitUntil(async () => (await callbackOf(batchId))?.state === 'delivered', { what: 'the third attempt' });
    const deliveries = deliveredTo('/flaky');
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((delivery) => delivery.headers['webhook-id']))).toEqual(new Set([`batch.done_${batchId}`]));
    expect(await callbackOf(batchId)).toMatchObject({ attempts: 3, lastStatus: 200 });
  });

  it('are delivered by another worker when the one delivering is killed', async () => {
    receiver.plan.set('/killed', ['hang']);
    const batchId = await closeWithCallback('/killed');
    await waitUntil(() => deliveredTo('/killed').length === 1, { what: 'the first delivery under way' });
    worker.child.kill('SIGKILL');
    await worker.exited();
    worker = spawnWorker(workerEnv());
    await worker.started;
    await waitUntil(async () => (await callbackOf(batchId))?.state === 'delivered', { what: 'the delivery by the new worker' });
    expect(deliveredTo('/killed')).toHaveLength(2);
  });

  it('are validated with the request, and refused without a secret to sign them', async () => {
    const bad = await call('POST', '/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }], callback: { url: 'ftp://example.com/x', events: ['batch.done', 'nope'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.issues.map((issue: { path: string }) => issue.path)).toEqual(['callback.url', 'callback.events[1]']);
    const unsigned = await startApi({ ...config, callbackSecret: undefined }, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
    try {
      const answer = await apiCall(unsigned.url, config.apiToken!, 'POST', '/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }], callback: { url: `${receiver.url}/x` } });
      expect(answer).toMatchObject({ status: 501, body: { error: 'callback_secret_missing' } });
    } finally {
      await unsigned.close();
    }
  });
});

describe('conversation events', () => {
  it('are gathered per batch into signed deliveries at most one a second, each end once, retried as they were, before batch.done', async () => {
    const ids = sim.seed(150).map((conversation) => conversation.id);
    const missing = [990_001, 990_002, 990_003];
    const conversations = [...ids.slice(0, 75), ...missing, ...ids.slice(75)].map((conversationId) => ({ conversationId }));
    receiver.plan.set('/events', [500]);
    const answer = await call('POST', '/v1/close', { account: 'slow', conversations, callback: { url: `${receiver.url}/events`, events: ['batch.done', 'conversation.closed', 'conversation.dead_lettered'] } });
    expect(answer.status).toBe(202);
    const { batchId } = answer.body;
    await waitUntil(async () => (await callbackOf(batchId))?.state === 'delivered', { timeoutMs: 60_000, what: 'batch.done after the events' });

    const deliveries = deliveredTo('/events').map((delivery) => ({ ...delivery, payload: new Webhook(SECRET).verify(delivery.body, delivery.headers as Record<string, string>) as Record<string, unknown> }));
    // The first attempt was answered 500: the retry carries the same events under the same id.
    expect(deliveries[1]!.headers['webhook-id']).toBe(deliveries[0]!.headers['webhook-id']);
    expect(deliveries[1]!.body).toBe(deliveries[0]!.body);
    const accepted = deliveries.slice(1);
    expect(accepted.at(-1)!.payload).toMatchObject({ type: 'batch.done', total: 153, completed: 150, deadLettered: 3 });
    const events = accepted.slice(0, -1);
    expect(events.length).toBeGreaterThan(1);
    for (const [index, delivery] of events.entries()) {
      expect(delivery.payload).toMatchObject({ batchId, account: 'slow' });
      // At most one request a second per batch (the retry waited out its backoff as well).
      if (index > 0) expect(delivery.at - events[index - 1]!.at).toBeGreaterThanOrEqual(990);
    }
    expect(new Set(events.map((delivery) => delivery.headers['webhook-id'])).size).toBe(events.length);
    const listed = (type: string) => events.filter((delivery) => delivery.payload.type === type).flatMap((delivery) => delivery.payload.conversations as { ref: { conversationId: number }; outcome?: string; reason?: string; at: string }[]);
    const closed = listed('conversation.closed');
    expect(closed.map((item) => item.ref.conversationId).sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect(closed.every((item) => item.outcome === 'closed' && !Number.isNaN(Date.parse(item.at)))).toBe(true);
    const dead = listed('conversation.dead_lettered');
    expect(dead).toHaveLength(missing.length);
    expect(dead).toEqual(expect.arrayContaining(missing.map((conversationId) => ({ ref: { conversationId }, reason: 'PROVIDER_NOT_FOUND', at: expect.any(String) }))));
    expect((await callbackOf(batchId)).conversationEvents).toEqual({ delivered: 153, waiting: 0, failed: 0 });
  }, 90_000);

  it('are refused when the events named are unknown, and batch.done alone gathers none', async () => {
    const bad = await call('POST', '/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }], callback: { url: `${receiver.url}/x`, events: ['conversation.opened'] } });
    expect(bad).toMatchObject({ status: 400, body: { issues: [{ path: 'callback.events[0]' }] } });
    const batchId = await closeWithCallback('/plain', 3);
    await waitUntil(async () => (await callbackOf(batchId))?.state === 'delivered', { what: 'batch.done' });
    expect(deliveredTo('/plain')).toHaveLength(1);
    expect((await callbackOf(batchId)).conversationEvents).toBeUndefined();
  });
});

describe('callback addresses', () => {
  it('are refused at send time when they are loopback or private, by address or by name, unless allowed', async () => {
    const before = receiver.received.length;
    const port = new URL(receiver.url).port;
    for (const url of [`http://127.0.0.1:${port}/ssrf`, `http://localhost:${port}/ssrf`, `http://[::1]:${port}/ssrf`, 'http://169.254.169.254/latest/meta-data', 'http://10.1.2.3/x']) {
      const outcome = await deliverCallback({ url, id: 'x', payload: {} }, { secret: SECRET, allowPrivate: false });
      expect(outcome).toMatchObject({ ok: false, status: null });
      expect(outcome.error).toMatch(/private, loopback or link-local/);
    }
    expect(receiver.received.length).toBe(before);
    expect(await deliverCallback({ url: `http://localhost:${port}/allowed`, id: 'x', payload: {} }, { secret: SECRET, allowPrivate: true })).toMatchObject({ ok: true, status: 200 });
  });
});
