import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { NotReplicatedError } from '../../src/producer/producer-errors.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/** CLOSER_ENQUEUE_REPLICAS on a single Redis with a replica (the same WAIT as on a cluster's master). */
let primary: TestRedis;
let replica: TestRedis | undefined;
let config: Config;
let producer: Producer;

beforeAll(async () => {
  primary = await startRedis();
  config = { ...testConfig(primary.url, [peachAccount('http://127.0.0.1:9', 'k')]), enqueueReplicas: 1 };
  producer = createProducer(config);
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await producer.dispose();
  await replica?.stop();
  await primary.stop();
});

const refs = (count: number, from = 0) => Array.from({ length: count }, (_, i) => ({ conversationId: from + i + 1 }));

describe('durable acceptance (CLOSER_ENQUEUE_REPLICAS=1)', () => {
  it('without a replica: 503 not_replicated with the batch id; the jobs are there, and a resend is safe', async () => {
    const error = await producer.close({ account: 'peach', conversations: refs(600), batchId: 'alone' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotReplicatedError);
    expect(error).toMatchObject({ code: 'not_replicated', httpStatus: 503, retryAfterSeconds: 1, batchId: 'alone', replicated: 0, required: 1 });
    expect(await producer.batch('alone')).toMatchObject({ total: 600, pending: 600 });
  });

  it('with a replica online: 202, and the replica holds the jobs when the answer comes', async () => {
    replica = await startRedis({ replicaOf: primary.port });
    const reader = new Redis(replica.url);
    try {
      await waitUntil(async () => /master_link_status:up/.test(await reader.info('replication')), { what: 'the replica in sync' });
      expect(await producer.close({ account: 'peach', conversations: refs(600, 1_000), batchId: 'replicated' })).toMatchObject({ accepted: 600 });
      expect(await reader.scard(`${config.queuePrefix}:{peach}:batch:replicated:jobs`)).toBe(600);
      // The request that was refused before: resent, it is answered 202 now, with nothing enqueued twice.
      expect(await producer.close({ account: 'peach', conversations: refs(600), batchId: 'alone' })).toMatchObject({ accepted: 600, duplicates: 0 });
      expect(await producer.batch('alone')).toMatchObject({ total: 600 });
    } finally {
      reader.disconnect();
    }
  });
});
