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
