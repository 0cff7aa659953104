import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { clusterConfig } from '../helpers/cluster-config.js';
import { startRedisCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { waitUntil } from '../helpers/test-config.js';
import { envFor, spawnWorker } from '../helpers/worker-process.js';

/**
 * The dispatcher on a 3-master Redis Cluster: a worker process opens the
 * same connections to each master whether it serves 10 accounts or 1,000.
 */
let cluster: TestCluster;
let sim: PeachSimulator;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 });
  sim = await PeachSimulator.start({ credentials: 'k' });
}, 60_000);

afterAll(async () => {
  await sim.close();
  await cluster.stop();
});

const accounts = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => peachAccount(sim.url, 'k', `${prefix}-${String(i).padStart(4, '0')}`));

/** Connections on each master (by port) from clients other than this test's own admin connection and the producer's. */
async function connectionsPerMaster(): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const port of await cluster.masters()) {
    const admin = new Redis(port, '127.0.0.1');
    try {
      const self = Number(await admin.client('ID'));
      const list = ((await admin.client('LIST')) as string).trim().split('\n');
      counts.set(port, list.filter((line) => Number(/\bid=(\d+)/.exec(line)![1]) !== self && !/ name=closer-(producer|cli)/.test(line)).length);
    } finally {
      admin.disconnect();
    }
  }
  return counts;
}

async function producerFor(config: Config): Promise<Producer> {
  const producer = createProducer(config);
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'the producer on the cluster' });
  return producer;
}

/** Starts a worker process for `config`, closes one conversation on each of `closeOn`, and gives its connections per master. */
async function connectionsOfAWorker(config: Config, closeOn: string[]): Promise<Map<number, number>> {
  const worker = spawnWorker(envFor(config));
  try {
    await worker.started;
    const producer = await producerFor(config);
    try {
      const ids = sim.seed(closeOn.length).map((c) => c.id);
      const batches = await Promise.all(closeOn.map((account, i) => producer.close({ account, conversations: [{ conversationId: ids[i]! }] })));
      for (const { batchId } of batches) {
        await waitUntil(async () => (await producer.batch(batchId)).done, { timeoutMs: 60_000, what: `batch ${batchId}` });
      }
      expect(ids.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
    } finally {
      await producer.dispose();
    }
    return await connectionsPerMaster();
  } finally {
    worker.child.kill('SIGTERM');
    expect(await worker.exited()).toBe(0);
  }
}

describe('one worker process on a Redis Cluster', () => {
  it('opens at most a handful of connections per master, with 1,000 accounts as with 10', async () => {
    const few = accounts(10, 'few');
    const many = accounts(1_000, 'many');
    const withFew = await connectionsOfAWorker(clusterConfig(cluster, few), few.map((account) => account.id));
    // Once the first worker's connections are gone: only the next one's are counted.
    await waitUntil(async () => [...(await connectionsPerMaster()).values()].every((count) => count === 0), { what: 'the first worker gone' });
    // Closes on 30 accounts, whose hash tags spread them over the three masters.
    const withMany = await connectionsOfAWorker(clusterConfig(cluster, many), many.filter((_, i) => i % 33 === 0).map((account) => account.id));
    // The same small bound per master for both: the cluster clients connect to a master as their commands first need it,
    // so which masters a run reaches (and the total, 5 to 8 here) varies with timing, never with the number of accounts.
    for (const counts of [withFew, withMany]) for (const count of counts.values()) expect(count).toBeLessThanOrEqual(4);
    // Closes on accounts of every master: the worker reached each of them.
    expect([...withMany.values()].every((count) => count > 0)).toBe(true);
  }, 180_000);
});
