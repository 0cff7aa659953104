import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { createApp } from '../../src/api/create-app.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';

const TOKEN = 'test-api-token';
const auth = { authorization: `Bearer ${TOKEN}` };
let server: TestRedis;
let config: Config;
let producer: Producer;
let app: FastifyInstance;
let redis: Redis;
let port: number;

beforeAll(async () => {
  server = await startRedis();
  config = testConfig(server.url, [{ ...peachAccount('http://127.0.0.1:9', 'k'), autoClose: { idleAfterMs: 3_600_000, everyMs: 300_000, maxPerRun: 10, dryRun: true, skipWaiting: false } }]);
  redis = new Redis(server.url);
  producer = createProducer(config);
  app = createApp({ producer, apiToken: TOKEN, logger: createLogger({ level: 'silent' }), requestTimeoutMs: 1_000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await app.close();
  await producer.dispose();
  await redis.quit();
  await server.stop();
});

/** A raw client: what it was answered, and whether the server closed the socket. */
async function rawRequest(head: string, send: (socket: Socket) => void = () => undefined): Promise<{ text: string; closedByServer: boolean }> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const ended = once(socket, 'end').then(() => true);
  socket.write(head);
  send(socket);
  const closedByServer = await ended;
  socket.destroy();
  return { text, closedByServer };
}

const head = (headers: string[]) => ['POST /v1/close HTTP/1.1', 'Host: localhost', 'Content-Type: application/json', 'Content-Length: 100', ...headers, '', ''].join('\r\n');

describe('request bodies that never finish', () => {
  it('a body trickling one byte at a time: 408 and the socket closed', async () => {
    const { text, closedByServer } = await rawRequest(head([`Authorization: Bearer ${TOKEN}`]), (socket) => {
      const timer = setInterval(() => socket.writable && socket.write('{'), 200);
      socket.once('close', () => clearInterval(timer));
    });
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedByServer).toBe(true);
  });

  it('headers and then nothing: 408 and the socket closed', async () => {
    const { text, closedByServer } = await rawRequest(head([`Authorization: Bearer ${TOKEN}`]));
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedByServer).toBe(true);
  });

  it('unauthenticated: answered 401 and closed at once, the body never read', async () => {
    const { text, closedByServer } = await rawRequest(head([]));
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text).toMatch(/connection: close/i);
    expect(text).not.toContain('408'); // closed before the request timeout could fire
    expect(closedByServer).toBe(true);
  });
});

describe('bodies', () => {
  const post = (url: string, payload: string, headers: Record<string, string> = { ...auth, 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url, payload, headers });

  it('a __proto__ key is named as the field it is, not called invalid JSON', async () => {
    const response = await post('/v1/close', '{"account":"peach","conversations":[{"conversationId":1},{"conversationId":2,"__proto__":{"x":1}}]}');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: 'validation',
      issues: [{ index: 1, path: 'conversations[1].__proto__', message: expect.stringContaining('not allowed') }],
    });
    expect(await redis.keys(`${queuePrefixOf(config, 'peach')}:account-peach:*-*`)).toEqual([]);
  });

  it('still calls broken JSON broken', async () => {
    const response = await post('/v1/close', '{"account":');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'malformed_json' });
  });

  it.each(['pause', 'resume', 'sweep'])('POST /v1/accounts/:id/%s takes an empty JSON body, as many clients send it', async (action) => {
    const response = await post(`/v1/accounts/peach/${action}`, '');
    expect(response.statusCode).toBe(action === 'sweep' ? 202 : 200);
  });

  it.each([
    ['null', 'null', { ...auth, 'content-type': 'application/json' }],
    ['an empty body', '', { ...auth, 'content-type': 'application/json' }],
    ['no body at all', undefined, auth],
  ])('redrive refuses %s: redriving everything must be asked for with {}', async (_name, payload, headers) => {
    const response = await app.inject({ method: 'POST', url: '/v1/dead-letters/redrive', headers, ...(payload === undefined ? {} : { payload }) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'validation', issues: [{ path: '', message: expect.stringContaining('{} redrives every dead letter') }] });
    expect((await post('/v1/dead-letters/redrive', '{}')).json()).toEqual({ redriven: 0 });
  });
});

describe('Redis out of memory', () => {
  it('answers 503 redis_out_of_memory with Retry-After, and /readyz is 503 until Redis takes writes again', async () => {
    const used = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
    await redis.config('SET', 'maxmemory', String(used));
    try {
      const response = await app.inject({ method: 'POST', url: '/v1/close', headers: auth, payload: { account: 'peach', conversations: [{ conversationId: 7 }], batchId: 'oom' } });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('10');
      expect(response.json()).toMatchObject({ error: 'redis_out_of_memory' });
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual({ ready: false, reason: 'redis is out of memory (maxmemory reached) and refuses writes' });
      expect((await app.inject({ method: 'GET', url: '/v1/batches/oom', headers: auth })).statusCode).toBe(404);
    } finally {
      await redis.config('SET', 'maxmemory', '0');
    }
    expect((await app.inject('/readyz')).statusCode).toBe(200);
  });
});
