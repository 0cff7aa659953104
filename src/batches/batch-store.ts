import type { Redis } from 'ioredis';
import type { KeyNames } from '../queues/names.js';

/** Batches are kept for a week after their last change. */
const RETENTION_SECONDS = 7 * 24 * 3600;

export interface BatchReport {
  batchId: string;
  account: string;
  /** Jobs this batch enqueued (refs that were duplicates of pending closes are counted apart). */
  total: number;
  completed: number;
  deadLettered: number;
  pending: number;
  done: boolean;
  /** Refs not enqueued because a close for them was already pending. */
  duplicates: number;
  /** Of the completed: closes an auto-close sweep skipped because the conversation became active again. */
  skipped: number;
  createdAt: string;
}

/**
 * Per-batch bookkeeping as Redis sets of job ids, so every update is
 * idempotent: a job re-run after a crash, a retried request or a repeated
 * dead-letter move cannot count twice. A job in both `completed` and `dead`
 * (redriven, then closed) counts as completed.
 */
export interface BatchStore {
  /** Ties the batch to an account; false when the id already belongs to another account. */
  claim(batchId: string, account: string): Promise<boolean>;
  addJobs(batchId: string, jobIds: readonly string[]): Promise<void>;
  removeJobs(batchId: string, jobIds: readonly string[]): Promise<void>;
  addDuplicates(batchId: string, refKeys: readonly string[]): Promise<void>;
  /** Several jobs of one batch in one round trip (a worker's closes that ended together). */
  markCompleted(batchId: string, jobIds: readonly string[], options?: { skipped?: boolean }): Promise<void>;
  markDead(batchId: string, jobId: string): Promise<void>;
  unmarkDead(batchId: string, jobId: string): Promise<void>;
  get(batchId: string): Promise<BatchReport | undefined>;
}

const CLAIM_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'account')
if owner and owner ~= ARGV[1] then return 0 end
if not owner then redis.call('HSET', KEYS[1], 'account', ARGV[1], 'createdAt', ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

/** Members per command; also keeps a mark script's unpacked job ids far below Lua's limit (about 8,000). */
const CHUNK = 1_000;

/**
 * Marks jobs completed (and skipped) or dead, and refreshes every key of the
 * batch's expiry, in one round trip. KEYS: batch, jobs, completed, dead,
 * duplicates, skipped. ARGV[1] ttl s, ARGV[2] 'completed' | 'skipped' |
 * 'dead', ARGV[3...] job ids (at most CHUNK).
 */
const MARK_SCRIPT = `
if ARGV[2] == 'dead' then
  redis.call('SADD', KEYS[4], unpack(ARGV, 3))
else
  redis.call('SADD', KEYS[3], unpack(ARGV, 3))
  redis.call('SREM', KEYS[4], unpack(ARGV, 3))
  if ARGV[2] == 'skipped' then redis.call('SADD', KEYS[6], unpack(ARGV, 3)) end
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[1]) end
return 1
`;

type MarkScript = { closerMarkBatch(...args: (string | number)[]): Promise<number> };

export function createBatchStore(connection: Redis, keys: KeyNames): BatchStore {
  const redis = connection as Redis & MarkScript;
  if (!('closerMarkBatch' in connection)) connection.defineCommand('closerMarkBatch', { numberOfKeys: 6, lua: MARK_SCRIPT });
  const allKeys = (batchId: string) => [
    keys.batch(batchId),
    keys.batchJobs(batchId),
    keys.batchCompleted(batchId),
    keys.batchDead(batchId),
    keys.batchDuplicates(batchId),
    keys.batchSkipped(batchId),
  ];
  async function mark(batchId: string, jobIds: readonly string[], how: 'completed' | 'skipped' | 'dead'): Promise<void> {
    const marked: Promise<number>[] = [];
    // Every chunk is sent before the first answer is awaited, so all of them reach Redis in this order at once.
    for (let start = 0; start < jobIds.length; start += CHUNK) {
      marked.push(redis.closerMarkBatch(...allKeys(batchId), RETENTION_SECONDS, how, ...jobIds.slice(start, start + CHUNK)));
    }
    await Promise.all(marked);
  }

  async function addToSet(key: string, batchId: string, members: readonly string[]): Promise<void> {
    for (let start = 0; start < members.length; start += CHUNK) {
      await redis.sadd(key, ...members.slice(start, start + CHUNK));
    }
    await redis.multi(allKeys(batchId).map((name) => ['expire', name, RETENTION_SECONDS])).exec();
  }

  return {
    async claim(batchId, account) {
      const result = await redis.eval(CLAIM_SCRIPT, 1, keys.batch(batchId), account, new Date().toISOString(), RETENTION_SECONDS);
      return result === 1;
    },
    addJobs: (batchId, jobIds) => addToSet(keys.batchJobs(batchId), batchId, jobIds),
    addDuplicates: (batchId, refKeys) => addToSet(keys.batchDuplicates(batchId), batchId, refKeys),
    async removeJobs(batchId, jobIds) {
      for (let start = 0; start < jobIds.length; start += CHUNK) await redis.srem(keys.batchJobs(batchId), ...jobIds.slice(start, start + CHUNK));
    },
    markCompleted: (batchId, jobIds, { skipped = false } = {}) => mark(batchId, jobIds, skipped ? 'skipped' : 'completed'),
    markDead: (batchId, jobId) => mark(batchId, [jobId], 'dead'),
    async unmarkDead(batchId, jobId) {
      await redis.srem(keys.batchDead(batchId), jobId);
    },
    async get(batchId) {
      const results = await redis
        .multi()
        .hgetall(keys.batch(batchId))
        .scard(keys.batchJobs(batchId))
        .scard(keys.batchCompleted(batchId))
        .scard(keys.batchDead(batchId))
        .sintercard(2, keys.batchDead(batchId), keys.batchCompleted(batchId))
        .scard(keys.batchDuplicates(batchId))
        .scard(keys.batchSkipped(batchId))
        .exec();
      const [meta, total, completed, dead, deadAndCompleted, duplicates, skipped] = (results ?? []).map(([error, value]) => {
        if (error) throw error;
        return value;
      }) as [Record<string, string>, number, number, number, number, number, number];
      if (!meta.account) return undefined;
      const deadLettered = dead - deadAndCompleted;
      const pending = Math.max(0, total - completed - deadLettered);
      return { batchId, account: meta.account, total, completed, deadLettered, pending, done: pending === 0, duplicates, skipped, createdAt: meta.createdAt ?? '' };
    },
  };
}
