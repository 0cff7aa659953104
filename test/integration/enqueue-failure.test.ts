import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { EnqueueIncompleteError } from '../../src/producer/producer-errors.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import { callbellAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * Redis refusing writes half-way through a bulk enqueue (here: out of memory
 * under noeviction) must be reported with the real count, and the batch must
 * hold exactly the jobs that exist.
 */
describe('a bulk enqueue that fails half-way', () => {
  let server: TestRedis;
  let config: Config;
  let producer: Producer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis({ maxmemory: '4mb' });
    config = testConfig(server.url, [callbellAccount('http://127.0.0.1:9/v1', 't')]);
    producer = createProducer(config);
    redis = new Redis(server.url);
    await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
  });

  afterAll(async () => {
    await producer.dispose();
    await redis.quit();
    await server.stop();
  });

  it('reports how many closes really were enqueued, and the batch agrees', async () => {
    const conversations = Array.from({ length: 10_000 }, (_, i) => ({ contactUuid: `contact${i}` }));
    const error = await producer.close({ account: 'callbell', conversations, batchId: 'too-big' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueIncompleteError);
    const { accepted, notEnqueued } = error as EnqueueIncompleteError;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted + notEnqueued).toBe(10_000);

    const waiting = await redis.llen(`${config.queuePrefix}:${accountQueueName('callbell')}:wait`);
    expect(waiting).toBe(accepted);
    const report = await producer.batch('too-big');
    expect(report).toMatchObject({ total: accepted, pending: accepted, done: false });
  });
});
