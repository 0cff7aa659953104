import type { Redis } from 'ioredis';
import type { BatchStore } from '../batches/batch-store.js';
import type { JobSettings } from '../config/types.js';
import type { ConversationRef } from '../providers/types.js';
import type { AccountQueue } from '../queues/account-queues.js';
import { CLOSE_JOB, closeJobOptions, type CloseJobData } from '../queues/close-job.js';
import { refKey } from '../refs/ref-key.js';
import { BatchConflictError, EnqueueIncompleteError } from './producer-errors.js';

export interface CloseAccepted {
  batchId: string;
  /** Refs asked for. */
  total: number;
  /** New close jobs. */
  accepted: number;
  /** Refs whose close was already pending (or repeated in the request): counted, not enqueued again. */
  duplicates: number;
}

export interface EnqueueDeps {
  redis: Redis;
  prefix: string;
  batches: BatchStore;
  jobs: JobSettings;
}

/** Jobs per addBulk pipeline: big enough to be fast, small enough that a failure loses little. */
const CHUNK = 500;

/**
 * Enqueues one batch of already validated refs. One job per distinct ref;
 * its id derives from the batch and the ref, so resending the same request is
 * idempotent, and a ref with a close pending anywhere is deduplicated.
 * `extra` adds job data per ref (the sweep's re-check).
 */
export async function enqueueCloses(
  deps: EnqueueDeps,
  entry: AccountQueue,
  batchId: string,
  refs: readonly ConversationRef[],
  extra: (ref: ConversationRef) => Partial<CloseJobData> = () => ({}),
): Promise<CloseAccepted> {
  const unique = new Map<string, ConversationRef>();
  for (const ref of refs) if (!unique.has(refKey(ref))) unique.set(refKey(ref), ref);
  const planned = [...unique].map(([key, ref]) => ({ key, ref, jobId: `${batchId}-${key}` }));

  if (!(await deps.batches.claim(batchId, entry.account.id))) throw new BatchConflictError(batchId);
  // Registered before they exist: a crash now leaves the batch waiting (visible), never reporting done early.
  await deps.batches.addJobs(batchId, planned.map((job) => job.jobId));

  const options = closeJobOptions(deps.jobs);
  const foreign: string[] = [];
  const duplicateKeys: string[] = [];
  let accepted = 0;
  for (let start = 0; start < planned.length; start += CHUNK) {
    const chunk = planned.slice(start, start + CHUNK);
    let added;
    try {
      added = await entry.queue.addBulk(
        chunk.map(({ key, ref, jobId }) => ({
          name: CLOSE_JOB,
          data: { account: entry.account.id, ref, batchId, ...extra(ref) } satisfies CloseJobData,
          opts: { ...options, jobId, deduplication: { id: key } },
        })),
      );
    } catch {
      // addBulk is a pipeline: some jobs of the chunk may exist. Count what really does, drop the rest from the batch.
      const rest = planned.slice(start);
      const exists = await Promise.all(rest.map(({ jobId }) => deps.redis.exists(`${deps.prefix}:${entry.queue.name}:${jobId}`).catch(() => 0)));
      const missing = rest.filter((_, index) => exists[index] === 0).map(({ jobId }) => jobId);
      await deps.batches.removeJobs(batchId, [...missing, ...foreign]).catch(() => undefined);
      throw new EnqueueIncompleteError(batchId, accepted + rest.length - missing.length, missing.length);
    }
    chunk.forEach(({ key, jobId }, index) => {
      // Deduplication hands back the pending job's id: that close is someone else's.
      if (added[index]?.id === jobId) accepted += 1;
      else {
        foreign.push(jobId);
        duplicateKeys.push(key);
      }
    });
  }
  if (foreign.length > 0) {
    await deps.batches.removeJobs(batchId, foreign);
    await deps.batches.addDuplicates(batchId, duplicateKeys);
  }
  return { batchId, total: refs.length, accepted, duplicates: refs.length - accepted };
}
