import { expect } from '@jest/globals';
import { Queue } from 'bullmq';
import type { Config } from '../../src/config/types.js';
import type { Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import type { PeachSimulator } from '../../src/simulators/index.js';
import { queuePrefixOf } from './test-config.js';

/**
 * The fault scenarios' common verdict for one Peach batch:
 * - every accepted job ended completed or dead-lettered, none pending or failed;
 * - every conversation the simulator closed was closed by a job that completed;
 * - the dead letters hold exactly the permanent failures.
 */
export async function expectNothingLost(options: {
  config: Config;
  producer: Producer;
  sim: PeachSimulator;
  batchId: string;
  ids: readonly number[];
  permanent?: ReadonlySet<number>;
  account?: string;
}): Promise<void> {
  const { config, producer, sim, batchId, ids, permanent = new Set<number>(), account = 'peach' } = options;
  const report = await producer.batch(batchId);
  expect(report).toMatchObject({ total: ids.length, pending: 0, done: true, deadLettered: permanent.size, completed: ids.length - permanent.size });

  const queue = new Queue(accountQueueName(account), { connection: { url: config.redisUrl }, prefix: queuePrefixOf(config, account) });
  try {
    expect(await queue.getJobCountByTypes('failed', 'waiting', 'active', 'delayed', 'prioritized')).toBe(0);
    const completed = new Set((await queue.getCompleted(0, -1)).filter(Boolean).map((job) => (job.data.ref as { conversationId: number }).conversationId));
    const closedBySimulator = ids.filter((id) => sim.statusOf(id) === 'closed');
    expect(closedBySimulator.filter((id) => !completed.has(id))).toEqual([]);
    expect(ids.filter((id) => !permanent.has(id) && !completed.has(id))).toEqual([]);
    expect(ids.filter((id) => !permanent.has(id) && sim.statusOf(id) !== 'closed')).toEqual([]);
  } finally {
    await queue.close();
  }
  const letters = (await producer.deadLetters({ account, limit: 1_000 })).items.filter((item) => item.batchId === batchId);
  expect(letters.map((item) => (item.ref as { conversationId: number }).conversationId).sort((a, b) => a - b)).toEqual([...permanent].sort((a, b) => a - b));
}
