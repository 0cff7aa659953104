import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createApp } from '../../src/api/create-app.js';
import type { Config } from '../../src/config/types.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors/config-error.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { startApi } from '../../src/runtime/start-api.js';
import { randomBytes } from 'node:crypto';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

const auth = { authorization: 'Bearer test-api-token' };
let server: TestRedis;
let config: Config;
let producer: Producer;
let app: FastifyInstance;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  config = testConfig(server.url, [
    peachAccount('http://127.0.0.1:9', 'k'),
    callbellAccount('http://127.0.0.1:9/v1', 't'),
    chatwootAccount('http://127.0.0.1:9', { inboxIdentifier: 'inbox' }, 'chatwoot'),
  ]);
  producer = createProducer(config);
  app = createApp({ producer, apiToken: 'test-api-token', logger: createLogger({ level: 'silent' }) });
  redis = new Redis(server.url);
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await app.close();
  await producer.dispose();
  await redis.quit();
  await server.stop();
});

/** Jobs in every queue: waiting, or any other state a job key can be in. */
const jobKeys = async () => (await redis.keys(`${config.queuePrefix}:*:account-*`)).filter((key) => /:[^:]+-[A-Za-z0-9_-]{32}$/.test(key)).length;

/** Values that look like refs, requests and filters, and plenty that do not. */
const anyJson = fc.jsonValue({ maxDepth: 4 });
const almostRef = fc.oneof(
  fc.record({ conversationId: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)) }, { requiredKeys: [] }),
  fc.record({ contact: fc.record({ name: fc.string(), phone_number: fc.oneof(fc.string(), fc.constant('+13309106533')) }, { requiredKeys: [] }) }),
  fc.record({ contactUuid: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), fc.string()) }),
  fc.record({ conversationId: fc.nat(), contactIdentifier: fc.string(), inboxIdentifier: fc.string() }, { requiredKeys: ['conversationId'] }),
  anyJson,
);
const account = fc.oneof(fc.constantFrom('peach', 'callbell', 'chatwoot', 'nope', ''), fc.string(), fc.integer());
/** Well-formed requests, so every run also exercises acceptance (random ones are almost never valid). */
const validClose = fc.oneof(
  fc.record({ account: fc.constant('peach'), conversations: fc.array(fc.record({ conversationId: fc.integer({ min: 1 }) }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ account: fc.constant('callbell'), conversations: fc.array(fc.record({ contactUuid: fc.stringMatching(/^[0-9a-f]{32}$/) }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ account: fc.constant('chatwoot'), conversations: fc.array(fc.record({ conversationId: fc.integer({ min: 1 }) }), { minLength: 1, maxLength: 8 }) }),
);
const closeBody = fc.oneof(
  fc.record({ account, conversations: fc.array(almostRef, { maxLength: 8 }), batchId: fc.oneof(fc.string(), fc.constant(undefined)) }, { requiredKeys: [] }),
  validClose,
  anyJson,
);

describe('fuzzing (fast-check): never a 5xx, never a partial enqueue', () => {
  it('POST /v1/close', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(closeBody, async (body) => {
        const before = await jobKeys();
        const response = await app.inject({ method: 'POST', url: '/v1/close', payload: JSON.stringify(body), headers: { ...auth, 'content-type': 'application/json' } });
        expect(response.statusCode).toBeLessThan(500);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const after = await jobKeys();
        if (response.statusCode === 202) {
          const accepted = (response.json() as { accepted: number }).accepted;
          expect(after - before).toBe(accepted);
        } else {
          expect(after).toBe(before);
        }
      }),
      { numRuns: 300 },
    );
    // The generators reach both sides: accepted requests and every kind of refusal.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([202, 400, 404]));
  });

  it('POST /v1/list, the dead-letter routes and the account routes', async () => {
    const filter = fc.oneof(
      fc.record({ status: fc.oneof(fc.constantFrom('open', 'closed', 'all', 'x'), fc.integer()), idleFor: fc.oneof(fc.constantFrom('1h', '0s', 'soon'), fc.integer()), inboxId: fc.oneof(fc.nat(), fc.string()), tags: anyJson }, { requiredKeys: [] }),
      anyJson,
    );
    const requests = fc.oneof(
      fc.record({ account, filter, limit: fc.oneof(fc.integer(), fc.string()) }, { requiredKeys: [] }).map((body) => ({ method: 'POST' as const, url: '/v1/list', body })),
      fc.oneof(fc.record({ account, ids: anyJson }, { requiredKeys: [] }), anyJson).map((body) => ({ method: 'POST' as const, url: '/v1/dead-letters/redrive', body })),
      fc.tuple(fc.string(), fc.string(), fc.string()).map(([a, l, o]) => ({ method: 'GET' as const, url: `/v1/dead-letters?account=${encodeURIComponent(a)}&limit=${encodeURIComponent(l)}&offset=${encodeURIComponent(o)}`, body: undefined })),
      fc.string().map((id) => ({ method: 'DELETE' as const, url: `/v1/dead-letters/${encodeURIComponent(id)}`, body: undefined })),
      fc.tuple(fc.string(), fc.constantFrom('pause', 'resume', 'sweep')).map(([id, action]) => ({ method: 'POST' as const, url: `/v1/accounts/${encodeURIComponent(id)}/${action}`, body: undefined })),
      fc.string().map((id) => ({ method: 'GET' as const, url: `/v1/jobs/${encodeURIComponent(id)}`, body: undefined })),
      fc.string().map((id) => ({ method: 'GET' as const, url: `/v1/batches/${encodeURIComponent(id)}`, body: undefined })),
    );
    await fc.assert(
      fc.asyncProperty(requests, async ({ method, url, body }) => {
        const response = await app.inject({
          method,
          url,
          ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { ...auth, 'content-type': 'application/json' } }),
          ...(body === undefined ? { headers: auth } : {}),
        });
        expect(response.statusCode).toBeLessThan(500);
      }),
      { numRuns: 400 },
    );
    // The account routes resumed whatever they paused: leave the accounts as found.
    for (const id of ['peach', 'callbell', 'chatwoot']) await producer.resumeAccount(id);
  });

  it('the routes of managed accounts, API keys, cancel, priority and callbacks', async () => {
    const managed = await startApi({ ...testConfig(server.url, []), secretKey: randomBytes(32).toString('base64'), callbackSecret: `whsec_${randomBytes(32).toString('base64')}` }, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
    try {
      const id = fc.oneof(fc.constantFrom('acme', 'beta', 'Bad Id', ''), fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), fc.string());
      const accountFields = fc.record(
        {
          id,
          provider: fc.oneof(fc.constantFrom('peach', 'callbell', 'chatwoot', 'slack'), fc.string()),
          baseUrl: fc.oneof(fc.constantFrom('http://127.0.0.1:9', 'https://x.test/v1', 'ftp://x', 'http://u:p@x.test'), fc.string()),
          apiKey: fc.oneof(fc.string(), fc.constant(null)),
          apiToken: fc.string(),
          apiAccessToken: fc.string(),
          accountId: fc.oneof(fc.integer(), fc.string()),
          rateLimit: fc.oneof(fc.constantFrom('5/s', '100/500ms', 'fast'), fc.string(), fc.integer()),
          autoClose: fc.oneof(fc.record({ idleAfter: fc.oneof(fc.constantFrom('1h', 'x'), fc.integer()), every: fc.string(), maxPerRun: fc.integer() }, { requiredKeys: [] }), fc.constant(null), anyJson),
        },
        { requiredKeys: [] },
      );
      const requests = fc.oneof(
        fc.oneof(accountFields, anyJson).map((body) => ({ method: 'POST' as const, url: '/v1/accounts', body })),
        fc.tuple(id, fc.oneof(accountFields, anyJson)).map(([account, body]) => ({ method: 'PATCH' as const, url: `/v1/accounts/${encodeURIComponent(String(account))}`, body })),
        fc.tuple(id, fc.oneof(fc.constantFrom('true', 'false', 'maybe'), fc.string())).map(([account, purge]) => ({ method: 'DELETE' as const, url: `/v1/accounts/${encodeURIComponent(String(account))}?purge=${encodeURIComponent(purge)}`, body: undefined })),
        fc.oneof(fc.record({ name: fc.oneof(fc.string(), fc.integer()), accounts: fc.oneof(fc.constant('*'), fc.array(id), anyJson), scopes: fc.oneof(fc.array(fc.constantFrom('close', 'list', 'read', 'admin', 'fly')), anyJson) }, { requiredKeys: [] }), anyJson).map((body) => ({ method: 'POST' as const, url: '/v1/api-keys', body })),
        fc.string().map((key) => ({ method: 'DELETE' as const, url: `/v1/api-keys/${encodeURIComponent(key)}`, body: undefined })),
        fc.string().map((batch) => ({ method: 'POST' as const, url: `/v1/batches/${encodeURIComponent(batch)}/cancel`, body: undefined })),
        fc
          .record({ account: fc.constantFrom('acme', 'beta', 'nope'), conversations: fc.constant([{ conversationId: 1 }]), priority: fc.oneof(fc.constantFrom('high', 'normal'), anyJson), callback: fc.oneof(fc.record({ url: fc.oneof(fc.constantFrom('https://app.test/hook', 'ftp://x'), fc.string()), events: fc.oneof(fc.array(fc.constantFrom('batch.done', 'conversation.closed', 'x')), anyJson) }, { requiredKeys: [] }), anyJson) }, { requiredKeys: ['account', 'conversations'] })
          .map((body) => ({ method: 'POST' as const, url: '/v1/close', body })),
      );
      const statuses = new Set<number>();
      await fc.assert(
        fc.asyncProperty(requests, async ({ method, url, body }) => {
          const response = await managed.app.inject({
            method,
            url,
            headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
            ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
          });
          expect(response.statusCode).toBeLessThan(500);
          expect(response.body).not.toMatch(/\bapiKey":"(?!\*\*\*\*)/);
          statuses.add(response.statusCode);
        }),
        { numRuns: 400 },
      );
      expect([...statuses]).toEqual(expect.arrayContaining([400, 404]));
    } finally {
      await managed.close();
    }
  });

  it('the configuration loader: a Config or one ConfigError, nothing else', () => {
    const names = ['PEACH_API_KEY', 'PEACH_RATE_LIMIT', 'PEACH_BASE_URL', 'PEACH_AUTO_CLOSE_IDLE_AFTER', 'CALLBELL_API_TOKEN', 'CHATWOOT_BASE_URL', 'CHATWOOT_ACCOUNT_ID', 'CHATWOOT_API_ACCESS_TOKEN', 'CHATWOOT_AUTO_CLOSE_IDLE_AFTER', 'PORT', 'REDIS_URL', 'LOG_LEVEL', 'CLOSER_MAX_ATTEMPTS', 'CLOSER_BACKOFF_DELAY', 'CLOSER_ACCOUNTS_FILE', 'CLOSER_DASHBOARD_BASIC_AUTH'];
    const value = fc.oneof(fc.string(), fc.constantFrom('5/s', '3000/60s', '24h', 'https://x.test', '1', '0', 'info', 'redis://r', 'a:b', 'accounts.yaml'));
    const fileText = fc.oneof(anyJson.map((json) => JSON.stringify(json)), fc.string());
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), value), fileText, (env, text) => {
        try {
          const loaded = loadConfig(env, { cwd: '/', readFile: () => text });
          expect(Array.isArray(loaded.accounts)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
