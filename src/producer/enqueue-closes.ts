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
 * Pipelines in flight at once. One at a time left the producer idle while
 * Redis ran a chunk's scripts and Redis idle while the next chunk was encoded
 * (idle 43% of a 10,000-ref enqueue); a few overlap the two.
 */
const IN_FLIGHT = 4;

type Planned = { key: string; ref: ConversationRef; jobId: string };

/**
 * Runs `add` on every chunk, IN_FLIGHT at a time, in order. After a failure
 * no further chunk starts, so the part whose fate is unknown stays small.
 * A chunk's result is undefined when it failed or never started.
 */
async function inFlight<T, R>(chunks: readonly T[], add: (chunk: T) => Promise<R>): Promise<{ results: (R | undefined)[]; failed: boolean }> {
  const results: (R | undefined)[] = [];
  let failed = false;
  let next = 0;
  const lane = async () => {
    while (!failed && next < chunks.length) {
      const index = next;
      next += 1;
      try {
        results[index] = await add(chunks[index]!);
      } catch {
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, chunks.length) }, lane));
  return { results, failed };
}

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
  for (const ref of refs) {
    const key = refKey(ref);
    if (!unique.has(key)) unique.set(key, ref);
  }
  const planned: Planned[] = [...unique].map(([key, ref]) => ({ key, ref, jobId: `${batchId}-${key}` }));

  if (!(await deps.batches.claim(batchId, entry.account.id))) throw new BatchConflictError(batchId);
  // Registered before they exist: a crash now leaves the batch waiting (visible), never reporting done early.
  await deps.batches.addJobs(batchId, planned.map((job) => job.jobId));

  const options = closeJobOptions(deps.jobs);
  const chunks: Planned[][] = [];
  for (let start = 0; start < planned.length; start += CHUNK) chunks.push(planned.slice(start, start + CHUNK));
  const { results: added, failed } = await inFlight(chunks, (chunk) =>
    entry.queue.addBulk(
      chunk.map(({ key, ref, jobId }) => ({
        name: CLOSE_JOB,
        data: { account: entry.account.id, ref, batchId, ...extra(ref) } satisfies CloseJobData,
        opts: { ...options, jobId, deduplication: { id: key } },
      })),
    ),
  );

  const foreign: string[] = [];
  const duplicateKeys: string[] = [];
  const unknown: Planned[] = [];
  let accepted = 0;
  chunks.forEach((chunk, index) => {
    const jobs = added[index];
    if (jobs === undefined) unknown.push(...chunk);
    else
      chunk.forEach(({ key, jobId }, position) => {
        // Deduplication hands back the pending job's id: that close is someone else's.
        if (jobs[position]?.id === jobId) accepted += 1;
        else {
          foreign.push(jobId);
          duplicateKeys.push(key);
        }
      });
  });
  if (failed) {
    // addBulk is a pipeline, not a transaction: some jobs of a failed chunk may exist. Count what really does, drop the rest from the batch.
    const exists = await Promise.all(unknown.map(({ jobId }) => deps.redis.exists(`${deps.prefix}:${entry.queue.name}:${jobId}`).catch(() => 0)));
    const missing = unknown.filter((_, index) => exists[index] === 0).map(({ jobId }) => jobId);
    await deps.batches.removeJobs(batchId, [...missing, ...foreign]).catch(() => undefined);
    throw new EnqueueIncompleteError(batchId, accepted + unknown.length - missing.length, missing.length);
  }
  if (foreign.length > 0) {
    await deps.batches.removeJobs(batchId, foreign);
    await deps.batches.addDuplicates(batchId, duplicateKeys);
  }
  return { batchId, total: refs.length, accepted, duplicates: refs.length - accepted };
}
