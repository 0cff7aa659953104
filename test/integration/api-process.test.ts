import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { peachAccount } from '../helpers/accounts.js';
import { spawnApi, type ApiProcess } from '../helpers/api-process.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/test-config.js';

/** The built API process, as deployed: it must outlive a Redis that stops answering for longer than its timeouts. */
let server: TestRedis;
let config: Config;
let api: ApiProcess;
let admin: Redis;

beforeAll(async () => {
  server = await startRedis();
  config = testConfig(server.url, [peachAccount('http://127.0.0.1:9', 'k')]);
  admin = new Redis(server.url);
  // Ready, so its connection is up: a connection still starting does not finish its handshake during a pause.
  api = await spawnApi(config);
});

afterAll(async () => {
  if (api.child.exitCode === null) api.child.kill('SIGKILL');
  await api.exited();
  await admin.quit();
  await server.stop();
});

const close = (conversations: unknown[], batchId: string) =>
  fetch(`${api.url}/v1/close`, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'peach', conversations, batchId }),
  });

describe('the API process while Redis is paused for 7 s', () => {
  it('stays up, keeps answering health checks, and enqueues once Redis resumes', async () => {
    // Longer than the producer's 5 s read timeout: a timer nobody awaited used to crash the process here.
    await admin.client('PAUSE', 7_000);
    const answer = close(Array.from({ length: 500 }, (_, i) => ({ conversationId: i + 1 })), 'paused');
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    const read = await fetch(`${api.url}/v1/batches/other`, { headers: { authorization: `Bearer ${api.token}` } });
    expect(read.status).toBe(503); // a read gives up after its timeout, with a reason
    expect(await read.json()).toMatchObject({ error: 'redis_unavailable' });

    const response = await answer;
    expect(await response.json()).toEqual({ batchId: 'paused', total: 500, accepted: 500, duplicates: 0 });
    expect(response.status).toBe(202);
    expect(api.child.exitCode).toBeNull();
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    expect(api.output()).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  }, 30_000);
});
