import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer } from '../../src/producer/producer.js';
import { DEAD_LETTER_JOB } from '../../src/queues/close-job.js';
import { startWorkers } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor } from '../helpers/worker-process.js';

const OLD = '{closer}';

let server: TestRedis;
let redis: Redis;
let sim: PeachSimulator;
let config: Config;

/** What an installation of the single-slot layout left in Redis: queued closes of a batch, a dead letter, a pause, a limiter log. */
async function writeOldLayout(ids: number[]) {
  const queue = new Queue('account-peach', { connection: redis, prefix: OLD });
  const deadLetters = new Queue('account-peach-dlq', { connection: redis, prefix: OLD });
  for (const id of ids) await queue.add('close', { account: 'peach', ref: { conversationId: id }, batchId: 'old-batch' }, { jobId: `old-batch-${id}`, attempts: 3 });
  const dead = { account: 'peach', ref: { conversationId: 777 }, reason: 'PROVIDER_NOT_FOUND', status: 404, message: 'not found', bodyExcerpt: null, attempts: 1, failedAt: new Date().toISOString(), enqueuedAt: new Date().toISOString(), batchId: 'old-batch', sourceJobId: 'old-batch-777' };
  await deadLetters.add(DEAD_LETTER_JOB, dead, { jobId: 'old-batch-777', removeOnComplete: false, removeOnFail: false });
  await redis.hset(`${OLD}:batch:old-batch`, 'account', 'peach', 'createdAt', new Date().toISOString());
  await redis.sadd(`${OLD}:batch:old-batch:jobs`, ...ids.map((id) => `old-batch-${id}`), 'old-batch-777');
  await redis.sadd(`${OLD}:batch:old-batch:dead`, 'old-batch-777');
  await redis.zadd(`${OLD}:sent:peach`, Date.now(), 'one-send');
  await redis.set(`${OLD}:readiness-probe`, '1');
  await queue.close();
  await deadLetters.close();
}

const closer = (args: string[]) => runCli(args, envFor(config));

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  sim = await PeachSimulator.start({ credentials: 'k' });
  config = testConfig(server.url, [peachAccount(sim.url, 'k')]);
});

afterAll(async () => {
  await sim.close();
  await redis.quit();
  await server.stop();
});

describe('closer migrate-keys: from the single-slot layout to per-account hash tags', () => {
  it('moves queued jobs, dead letters, batches and limiter logs; the new version then serves them', async () => {
    const ids = sim.seed(3).map((c) => c.id);
    await writeOldLayout(ids);
    const oldKeys = await redis.keys(`${OLD}:*`);

    const dry = await closer(['migrate-keys', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would move');
    expect(await redis.keys(`${OLD}:*`)).toEqual(expect.arrayContaining(oldKeys));

    const migrated = await closer(['migrate-keys']);
    expect(migrated.code).toBe(0);
    expect(migrated.stdout).toMatch(new RegExp(`^moved ${oldKeys.length - 1} key\\(s\\) of 1 account\\(s\\) \\(peach\\) and 1 batch\\(es\\) from \\{closer\\} to ${config.queuePrefix}`));
    expect(migrated.stdout).toContain('dropped 1 key(s) the new version rebuilds');
    expect(await redis.keys(`${OLD}:*`)).toEqual([]);
    expect(await redis.zcard(`${config.queuePrefix}:{peach}:sent`)).toBe(1);

    const producer = createProducer(config);
    const workers = await startWorkers(config, createLogger({ level: 'silent' }));
    try {
      await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
      expect((await producer.deadLetters({ account: 'peach' })).items).toEqual([expect.objectContaining({ id: 'peach.old-batch-777', reason: 'PROVIDER_NOT_FOUND' })]);
      const report = await waitUntil(async () => {
        const batch = await producer.batch('old-batch');
        return batch.done ? batch : undefined;
      }, { what: 'the old batch to finish' });
      expect(report).toMatchObject({ account: 'peach', total: 4, completed: 3, deadLettered: 1 });
      expect(ids.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
    } finally {
      await workers.close();
      await producer.dispose();
    }
  });

  it('refuses while closer processes are connected, unless forced', async () => {
    const other = new Redis(server.url, { connectionName: 'closer-worker' });
    try {
      await other.ping();
      const refused = await closer(['migrate-keys']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('closer processes are still connected (closer-worker): stop them first, or pass --force');
      expect((await closer(['migrate-keys', '--force'])).code).toBe(0);
    } finally {
      other.disconnect();
    }
  });
});
