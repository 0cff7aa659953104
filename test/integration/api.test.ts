import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createApp } from '../../src/api/create-app.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig } from '../helpers/test-config.js';

const TOKEN = 'test-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let server: TestRedis;
let config: Config;
let producer: Producer;
let app: FastifyInstance;
let redis: Redis;

/** Every job key of every queue of this test's prefix: "nothing enqueued" means this did not grow. */
const jobCount = async () => (await redis.keys(`${config.queuePrefix}:*:account-*:*`)).filter((key) => /:[^:]+-[A-Za-z0-9_-]{32}$/.test(key)).length;

beforeAll(async () => {
  server = await startRedis();
  config = testConfig(server.url, [
    peachAccount('http://127.0.0.1:9', 'k'),
    callbellAccount('http://127.0.0.1:9/v1', 't'),
    chatwootAccount('http://127.0.0.1:9', { inboxIdentifier: 'inbox' }, 'pembalasan'),
  ]);
  redis = new Redis(server.url);
  producer = createProducer(config);
  app = createApp({ producer, apiToken: TOKEN, logger: createLogger({ level: 'silent' }) });
  await waitReady();
});

afterAll(async () => {
  await app.close();
  await producer.dispose();
  await redis.quit();
  await server.stop();
});

async function waitReady() {
  for (let i = 0; i < 100 && !(await producer.readiness()).ready; i += 1) await new Promise((r) => setTimeout(r, 20));
}

const post = (url: string, payload: unknown, headers: Record<string, string> = auth) => app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('auth', () => {
  it.each([
    ['no header', {}],
    ['wrong token', { authorization: 'Bearer nope' }],
    ['wrong scheme', { authorization: `Basic ${TOKEN}` }],
  ])('answers 401 on /v1 with %s and enqueues nothing', async (_name, headers) => {
    const before = await jobCount();
    for (const request of [
      post('/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }] }, headers),
      app.inject({ method: 'GET', url: '/v1/accounts', headers }),
      app.inject({ method: 'GET', url: '/v1/dead-letters', headers }),
      app.inject({ method: 'GET', url: '/v1/batches/x', headers }),
    ]) {
      const response = await request;
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ error: 'unauthorized' });
    }
    expect(await jobCount()).toBe(before);
  });

  it('serves health routes without a token', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });
});

describe('POST /v1/close', () => {
  beforeEach(async () => {
    await redis.flushdb();
  });

  it('accepts valid refs with 202 and enqueues one job each', async () => {
    const response = await post('/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }, { contact: { name: 'Ana', phone_number: '+13309106533' } }] });
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toEqual({ batchId: expect.any(String), total: 2, accepted: 2, duplicates: 0 });
    expect(await jobCount()).toBe(2);
    const batch = await app.inject({ method: 'GET', url: `/v1/batches/${body.batchId}`, headers: auth });
    expect(batch.json()).toMatchObject({ batchId: body.batchId, account: 'peach', total: 2, completed: 0, deadLettered: 0, pending: 2, done: false });
  });

  it('counts a ref already pending, and one repeated in the request, as duplicates', async () => {
    await post('/v1/close', { account: 'callbell', conversations: [{ contactUuid: 'abc123' }], batchId: 'first' });
    const response = await post('/v1/close', { account: 'callbell', conversations: [{ contactUuid: 'abc123' }, { contactUuid: 'def456' }, { contactUuid: 'def456' }], batchId: 'second' });
    expect(response.json()).toEqual({ batchId: 'second', total: 3, accepted: 1, duplicates: 2 });
    expect(await jobCount()).toBe(2);
    expect((await app.inject({ method: 'GET', url: '/v1/batches/second', headers: auth })).json()).toMatchObject({ total: 1, pending: 1, duplicates: 1 });
  });

  it('counts duplicates right in every pipeline of a request too big for one', async () => {
    const refs = (ids: number[]) => ids.map((conversationId) => ({ conversationId: 100_000 + conversationId }));
    const all = Array.from({ length: 3_000 }, (_, i) => i);
    const before = await jobCount();
    await post('/v1/close', { account: 'peach', conversations: refs(all.filter((i) => i % 3 === 0)), batchId: 'thirds' });
    // 3,000 refs are six pipelines of 500, several in flight at once; every third ref is already pending.
    const response = await post('/v1/close', { account: 'peach', conversations: refs(all), batchId: 'everything' });
    expect(response.json()).toEqual({ batchId: 'everything', total: 3_000, accepted: 2_000, duplicates: 1_000 });
    expect(await jobCount()).toBe(before + 3_000);
    expect((await app.inject({ method: 'GET', url: '/v1/batches/everything', headers: auth })).json()).toMatchObject({ total: 2_000, pending: 2_000, duplicates: 1_000 });
  });

  it('is idempotent when the same request is sent again with its batchId', async () => {
    const request = { account: 'peach', conversations: [{ conversationId: 7 }, { conversationId: 8 }], batchId: 'again' };
    expect((await post('/v1/close', request)).json()).toMatchObject({ accepted: 2 });
    expect((await post('/v1/close', request)).json()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(await jobCount()).toBe(2);
    expect((await app.inject({ method: 'GET', url: '/v1/batches/again', headers: auth })).json()).toMatchObject({ total: 2 });
  });

  it('refuses a batch id that belongs to another account (409)', async () => {
    await post('/v1/close', { account: 'peach', conversations: [{ conversationId: 1 }], batchId: 'owned' });
    const response = await post('/v1/close', { account: 'callbell', conversations: [{ contactUuid: 'x1' }], batchId: 'owned' });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: 'batch_conflict' });
    expect(await jobCount()).toBe(1);
  });

  it('lists every invalid ref by index and path, and enqueues nothing', async () => {
    const response = await post('/v1/close', {
      account: 'peach',
      conversations: [
        { conversationId: 1 },
        { conversationId: '2' },
        { contact: { name: 'Bo', phone_number: '0812' } },
        { conversation_id: 3 },
        { conversationId: -4 },
        'five',
      ],
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error).toBe('validation');
    expect(body.issues.map((issue: { index: number }) => issue.index)).toEqual([1, 2, 3, 4, 5]);
    expect(body.issues[1]).toEqual({ index: 2, path: 'conversations[2].contact.phone_number', message: expect.stringContaining('E.164') });
    expect(await jobCount()).toBe(0);
  });

  it.each([
    ['an empty list', { account: 'peach', conversations: [] }, 'conversations'],
    ['a missing list', { account: 'peach' }, 'conversations'],
    ['a list that is not a list', { account: 'peach', conversations: { conversationId: 1 } }, 'conversations'],
    ['a missing account', { conversations: [{ conversationId: 1 }] }, 'account'],
    ['an account that is a number', { account: 5, conversations: [{ conversationId: 1 }] }, 'account'],
    ['a bad batch id', { account: 'peach', conversations: [{ conversationId: 1 }], batchId: 'no spaces allowed' }, 'batchId'],
    ['an unknown field', { account: 'peach', conversations: [{ conversationId: 1 }], priority: 1 }, 'priority'],
    ['over 10,000 refs', { account: 'peach', conversations: Array.from({ length: 10_001 }, (_, i) => ({ conversationId: i + 1 })) }, 'conversations'],
    ['a JSON array body', [{ conversationId: 1 }], ''],
  ])('rejects %s with 400 naming the field', async (_name, body, path) => {
    const response = await post('/v1/close', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'validation', issues: [expect.objectContaining({ path })] });
    expect(await jobCount()).toBe(0);
  });

  it('checks refs against what the account can do (public-only Chatwoot)', async () => {
    const response = await post('/v1/close', { account: 'pembalasan', conversations: [{ conversationId: 1 }, { conversationId: 2, contactIdentifier: 'c' }] });
    expect(response.statusCode).toBe(400);
    expect(response.json().issues).toEqual([{ index: 0, path: 'conversations[0].contactIdentifier', message: expect.stringContaining('no application-API token') }]);
  });

  it('answers 404 for an unknown account', async () => {
    const response = await post('/v1/close', { account: 'nope', conversations: [{ conversationId: 1 }] });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: 'unknown_account', account: 'nope' });
  });

  it('answers 400 for malformed JSON and 415 for another content type', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/v1/close', payload: '{"account": "peach",', headers: { ...auth, 'content-type': 'application/json' } });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error: 'malformed_json' });
    const text = await app.inject({ method: 'POST', url: '/v1/close', payload: 'account=peach', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' } });
    expect(text.statusCode).toBe(415);
    expect(await jobCount()).toBe(0);
  });

  it('answers 413 over the body size limit', async () => {
    const huge = { account: 'peach', conversations: Array.from({ length: 10_000 }, () => ({ contact: { name: 'x'.repeat(900), phone_number: '+13309106533' } })) };
    const response = await post('/v1/close', huge);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: 'payload_too_large' });
    expect(await jobCount()).toBe(0);
  });

  it('enqueues 10,000 refs in one request', async () => {
    const response = await post('/v1/close', { account: 'callbell', conversations: Array.from({ length: 10_000 }, (_, i) => ({ contactUuid: `c${i}` })) });
    expect(response.json()).toMatchObject({ total: 10_000, accepted: 10_000 });
    expect(await redis.llen(`${queuePrefixOf(config, 'callbell')}:${accountQueueName('callbell')}:wait`)).toBe(10_000);
  });
});

describe('batches, dead letters and accounts', () => {
  it('answers 404 for an unknown batch and an unknown dead letter', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/batches/unknown', headers: auth })).json()).toMatchObject({ error: 'not_found' });
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/dead-letters/peach.none', headers: auth });
    expect(deleted.statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/v1/dead-letters/garbage', headers: auth })).statusCode).toBe(404);
  });

  it('lists dead letters (empty) and validates the query', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/dead-letters?account=peach&limit=10&offset=0', headers: auth })).json()).toEqual({ total: 0, items: [] });
    const bad = await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=lots&offset=-1', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((i: { path: string }) => i.path)).toEqual(['limit', 'offset']);
    expect((await app.inject({ method: 'GET', url: '/v1/dead-letters?limit=5000', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/v1/dead-letters?account=nope', headers: auth })).statusCode).toBe(404);
  });

  it('validates a redrive request', async () => {
    expect((await post('/v1/dead-letters/redrive', {})).json()).toEqual({ redriven: 0 });
    const bad = await post('/v1/dead-letters/redrive', { ids: 'peach.x', extra: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues.map((i: { path: string }) => i.path).sort()).toEqual(['extra', 'ids']);
    expect((await post('/v1/dead-letters/redrive', { account: 'nope' })).statusCode).toBe(404);
  });

  it('lists accounts, and pauses and resumes one', async () => {
    const list = (await app.inject({ method: 'GET', url: '/v1/accounts', headers: auth })).json();
    expect(list.map((a: { id: string }) => a.id)).toEqual(['peach', 'callbell', 'pembalasan']);
    expect(list[0]).toMatchObject({ provider: 'peach', rateLimit: '1000/1s', paused: false, counts: expect.objectContaining({ waiting: expect.any(Number), deadLettered: 0 }), autoClose: null });
    const paused = await post('/v1/accounts/peach/pause', undefined);
    expect(paused.json()).toMatchObject({ id: 'peach', paused: true, pausedReason: 'manual' });
    expect((await post('/v1/accounts/peach/resume', undefined)).json()).toMatchObject({ id: 'peach', paused: false });
    expect((await post('/v1/accounts/nope/pause', undefined)).statusCode).toBe(404);
  });

  it('answers 404 for unknown routes', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/nothing', headers: auth })).json()).toMatchObject({ error: 'not_found' });
  });
});

describe('Redis down', () => {
  it('answers 503 on every route that needs Redis, and /readyz says why', async () => {
    const own = await startRedis();
    const ownConfig = testConfig(own.url, config.accounts as never);
    const ownProducer = createProducer(ownConfig);
    const ownApp = createApp({ producer: ownProducer, apiToken: TOKEN, logger: createLogger({ level: 'silent' }) });
    try {
      for (let i = 0; i < 100 && !(await ownProducer.readiness()).ready; i += 1) await new Promise((r) => setTimeout(r, 20));
      await own.stop({ keepData: true });
      const responses = await Promise.all([
        ownApp.inject({ method: 'POST', url: '/v1/close', payload: { account: 'peach', conversations: [{ conversationId: 1 }] }, headers: auth }),
        ownApp.inject({ method: 'GET', url: '/v1/batches/x', headers: auth }),
        ownApp.inject({ method: 'GET', url: '/v1/accounts', headers: auth }),
        ownApp.inject({ method: 'GET', url: '/v1/dead-letters', headers: auth }),
        ownApp.inject({ method: 'POST', url: '/v1/dead-letters/redrive', payload: {}, headers: auth }),
      ]);
      for (const response of responses) {
        expect(response.statusCode).toBe(503);
        expect(response.json()).toMatchObject({ error: 'redis_unavailable' });
      }
      const ready = await ownApp.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ ready: false, reason: expect.stringContaining('redis') });
      // Validation still comes first: a bad request is a 400 even while Redis is down.
      expect((await ownApp.inject({ method: 'POST', url: '/v1/close', payload: { account: 'peach', conversations: [] }, headers: auth })).statusCode).toBe(400);
    } finally {
      await ownApp.close();
      await ownProducer.dispose();
      await own.stop();
    }
  });

  it('/readyz fails when Redis may evict keys', async () => {
    const evicting = await startRedis({ maxmemoryPolicy: 'allkeys-lru' });
    const evictingProducer = createProducer(testConfig(evicting.url, []));
    try {
      for (let i = 0; i < 100 && (await evictingProducer.readiness()).reason?.startsWith('redis connection'); i += 1) await new Promise((r) => setTimeout(r, 20));
      expect(await evictingProducer.readiness()).toEqual({ ready: false, reason: expect.stringContaining('allkeys-lru') });
    } finally {
      await evictingProducer.dispose();
      await evicting.stop();
    }
  });
});
