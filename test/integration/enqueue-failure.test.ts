import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { EnqueueIncompleteError, RedisOutOfMemoryError, RedisUnavailableError } from '../../src/producer/producer-errors.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName, keyNames } from '../../src/queues/names.js';
import { callbellAccount } from '../helpers/accounts.js';
import { startRedisProxy } from '../helpers/redis-proxy.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * What a close request answers when Redis fails under it must be true: every
 * number it states is known, the rest is called uncertain, and the batch
 * counts exactly the jobs that exist.
 */
let server: TestRedis;
let redis: Redis;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await redis.config('SET', 'maxmemory', '0');
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
});

const refs = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ contactUuid: `contact${from + i}` }));

async function producerOn(url: string, options: Parameters<typeof createProducer>[1] = {}, prefixOf?: Config): Promise<{ config: Config; producer: Producer }> {
  const config = { ...testConfig(url, [callbellAccount('http://127.0.0.1:9/v1', 't')]), ...(prefixOf ? { queuePrefix: prefixOf.queuePrefix } : {}) };
  const producer = createProducer(config, options);
  cleanups.push(() => producer.dispose());
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
  return { config, producer };
}

/** Jobs of the batch that exist in Redis, read directly. */
async function jobsOf(config: Config, batchId: string): Promise<number> {
  const keys = await redis.keys(`${queuePrefixOf(config, 'callbell')}:${accountQueueName('callbell')}:${batchId}-*`);
  return keys.filter((key) => !key.endsWith(':lock') && !key.endsWith(':logs')).length;
}

/** Sets maxmemory `headroomBytes` above what Redis uses now (below it when negative: every write is refused). */
async function fillRedis(headroomBytes: number) {
  const info = await redis.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)![1]);
  await redis.config('SET', 'maxmemory', String(used + headroomBytes));
}

describe('a bulk enqueue that fails part-way', () => {
  it('under maxmemory: reports exactly how many closes were enqueued, and the batch agrees', async () => {
    const { config, producer } = await producerOn(server.url);
    await fillRedis(1_500_000);
    const error = await producer.close({ account: 'callbell', conversations: refs(10_000), batchId: 'too-big' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueIncompleteError);
    const { accepted, notEnqueued, uncertain, reason } = error as EnqueueIncompleteError;
    expect(reason).toBe('redis_out_of_memory');
    expect(uncertain).toBe(0);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted + notEnqueued).toBe(10_000);

    expect(await jobsOf(config, 'too-big')).toBe(accepted);
    expect(await producer.batch('too-big')).toMatchObject({ total: accepted, pending: accepted, done: false });
  });

  it('out of memory before anything: 503 redis_out_of_memory, no job, no batch, and not ready', async () => {
    const { config, producer } = await producerOn(server.url);
    // Below what it uses, not at it: used_memory moves by a few KB with client buffers, and at the line a write could pass.
    await fillRedis(-64 * 1024);
    const error = await producer.close({ account: 'callbell', conversations: refs(500), batchId: 'refused' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisOutOfMemoryError);
    expect((error as RedisOutOfMemoryError).code).toBe('redis_out_of_memory');
    expect(await jobsOf(config, 'refused')).toBe(0);
    await expect(producer.batch('refused')).rejects.toMatchObject({ code: 'not_found' });
    expect(await producer.readiness()).toEqual({ ready: false, reason: 'redis is out of memory (maxmemory reached) and refuses writes' });

    await redis.config('SET', 'maxmemory', '0');
    expect(await producer.readiness()).toEqual({ ready: true });
    expect(await producer.close({ account: 'callbell', conversations: refs(500), batchId: 'refused' })).toMatchObject({ accepted: 500 });
  });

  it('answers lost with the connection: counted as uncertain, and the batch holds exactly the jobs that exist', async () => {
    const proxy = await startRedisProxy(server.port);
    const { config, producer } = await producerOn(proxy.url);
    // Redis runs the first chunk's transaction, but its answer (and every later one) never comes back.
    const held = proxy.holdRepliesAfterExec(1);
    const answer = producer.close({ account: 'callbell', conversations: refs(2_000), batchId: 'lost' }).catch((e: unknown) => e);
    await held;
    await waitUntil(async () => (await jobsOf(config, 'lost')) > 0, { what: 'the first chunk in Redis' });
    await proxy.cutOff();

    const error = await answer;
    expect(error).toBeInstanceOf(EnqueueIncompleteError);
    const { accepted, notEnqueued, uncertain } = error as EnqueueIncompleteError;
    expect(accepted + notEnqueued + uncertain).toBe(2_000);
    expect(uncertain).toBeGreaterThanOrEqual(500);
    const existing = await jobsOf(config, 'lost');
    expect(existing).toBeGreaterThanOrEqual(accepted);
    expect(existing).toBeLessThanOrEqual(accepted + uncertain);

    // Once Redis is reachable again, the batch tells the truth the answer could not.
    const { producer: direct } = await producerOn(server.url, {}, config);
    expect(await direct.batch('lost')).toMatchObject({ total: existing, pending: existing, completed: 0, deadLettered: 0 });
    // Resending with the batch id enqueues the rest, once.
    expect(await direct.close({ account: 'callbell', conversations: refs(2_000), batchId: 'lost' })).toMatchObject({ accepted: 2_000 });
    expect(await jobsOf(config, 'lost')).toBe(2_000);
  });

  it('Redis unreachable from the start: 503 redis_unavailable, and no batch left behind', async () => {
    const proxy = await startRedisProxy(server.port);
    const { config, producer } = await producerOn(proxy.url);
    await proxy.cutOff();
    await waitUntil(async () => !(await producer.readiness()).ready, { what: 'the producer to see Redis gone' });
    const error = await producer.close({ account: 'callbell', conversations: refs(2_000), batchId: 'never' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect((error as Error).message).toContain('nothing was enqueued');
    expect(await jobsOf(config, 'never')).toBe(0);
    expect(await redis.exists(keyNames(config.queuePrefix).batch('callbell', 'never'))).toBe(0);
  });

  it('scripts gone from Redis (SCRIPT FLUSH, or a replica promoted after a failover): loaded again, and the enqueue goes through', async () => {
    const { config, producer } = await producerOn(server.url);
    expect(await producer.close({ account: 'callbell', conversations: refs(600), batchId: 'before-flush' })).toMatchObject({ accepted: 600 });
    await redis.script('FLUSH');
    expect(await producer.close({ account: 'callbell', conversations: refs(600, 1_000), batchId: 'after-flush' })).toMatchObject({ accepted: 600, duplicates: 0 });
    expect(await producer.batch('after-flush')).toMatchObject({ total: 600, duplicates: 0 });
    expect(await jobsOf(config, 'after-flush')).toBe(600);
  });

  it('Redis silent past the deadline: the answer says uncertain instead of guessing', async () => {
    const proxy = await startRedisProxy(server.port);
    cleanups.push(() => proxy.cutOff());
    const { config, producer } = await producerOn(proxy.url, { enqueueDeadlineMs: 500 });
    // Redis runs the transactions; their answers never come back.
    void proxy.holdRepliesAfterExec(1);
    const error = await producer.close({ account: 'callbell', conversations: refs(1_000), batchId: 'slow' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnqueueIncompleteError);
    expect(error).toMatchObject({ accepted: 0, reason: 'redis_timeout' });
    const { uncertain, notEnqueued } = error as EnqueueIncompleteError;
    expect(uncertain).toBeGreaterThan(0);
    expect(uncertain + notEnqueued).toBe(1_000);
    // What was sent before the deadline ran; the batch counts exactly that.
    const { producer: direct } = await producerOn(server.url, {}, config);
    expect((await direct.batch('slow')).total).toBe(await jobsOf(config, 'slow'));
    expect(await jobsOf(config, 'slow')).toBeLessThanOrEqual(uncertain);
  });

  it('Redis silent before anything is enqueued: 503 redis_unavailable at the deadline, nothing enqueued', async () => {
    const { config, producer } = await producerOn(server.url, { enqueueDeadlineMs: 500 });
    const pauser = new Redis(server.url);
    cleanups.push(() => pauser.quit());
    await pauser.client('PAUSE', 1_500, 'WRITE');
    const error = await producer.close({ account: 'callbell', conversations: refs(1_000), batchId: 'never-claimed' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    await waitUntil(async () => (await redis.get(keyNames(config.queuePrefix).batchOwner('never-claimed'))) !== null, { what: 'the pause to end' });
    expect(await jobsOf(config, 'never-claimed')).toBe(0);
    await expect(producer.batch('never-claimed')).rejects.toMatchObject({ code: 'not_found' });
  });
});
