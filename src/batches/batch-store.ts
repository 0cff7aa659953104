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
  markCompleted(batchId: string, jobId: string, options?: { skipped?: boolean }): Promise<void>;
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

const CHUNK = 1_000;

/**
 * Marks a job completed (and skipped) or dead, and refreshes every key of the
 * batch's expiry, in one round trip. KEYS: batch, jobs, completed, dead,
 * duplicates, skipped. ARGV[1] job id, ARGV[2] ttl s, ARGV[3] 'completed' |
 * 'skipped' | 'dead'.
 */
const MARK_SCRIPT = `
if ARGV[3] == 'dead' then
  redis.call('SADD', KEYS[4], ARGV[1])
else
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('SREM', KEYS[4], ARGV[1])
  if ARGV[3] == 'skipped' then redis.call('SADD', KEYS[6], ARGV[1]) end
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[2]) end
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
  const mark = (batchId: string, jobId: string, how: 'completed' | 'skipped' | 'dead') => redis.closerMarkBatch(...allKeys(batchId), jobId, RETENTION_SECONDS, how);

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
    async markCompleted(batchId, jobId, { skipped = false } = {}) {
      await mark(batchId, jobId, skipped ? 'skipped' : 'completed');
    },
    async markDead(batchId, jobId) {
      await mark(batchId, jobId, 'dead');
    },
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
