import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchStore } from '../batches/batch-store.js';
import type { Logger } from '../logger.js';

/** Waits between attempts at a mark Redis refused: 0.1 s, doubling up to 5 s. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

export interface MarkIds {
  batchId: string;
  jobId: string;
}

/**
 * Batch marks of finished jobs, sent without waiting for Redis's answer.
 *
 * Waiting cost every close a round trip (about 1 ms at full speed, an eighth
 * of a job's time at a concurrency of 10) for nothing: the mark goes out on
 * the connection BullMQ's worker uses, just before the processor returns, so
 * Redis runs it before the command that completes the job (one connection is
 * served in order, and a crash cuts the stream at one point). A completed job
 * is therefore always counted in its batch. (Scripts Redis has forgotten, as
 * after a restart, are resent after their NOSCRIPT answers, which come back in
 * the same order.) If Redis refuses a mark, it is sent again until it lands;
 * only a process that stops while Redis still refuses it loses one, and says
 * so in its log.
 */
export interface BatchMarks {
  /** Sends the job's mark now, before returning, and keeps it going until Redis takes it. */
  completed(ids: MarkIds, options: { skipped: boolean }): void;
  /** Waits for the marks in flight; from now on a refused mark is logged as lost instead of retried. */
  drain(): Promise<void>;
}

/** `batches` must run on the connection BullMQ's worker uses (see above). */
export function createBatchMarks(batches: Pick<BatchStore, 'markCompleted'>, logger: Logger): BatchMarks {
  const inFlight = new Set<Promise<void>>();
  let draining = false;

  /** The first attempt is sent before this returns its promise: an async function runs up to its first await at once. */
  async function untilLanded(mark: () => Promise<void>, ids: MarkIds): Promise<void> {
    for (let waitMs = FIRST_RETRY_MS; ; waitMs = Math.min(waitMs * 2, LONGEST_RETRY_MS)) {
      try {
        await mark();
        return;
      } catch (error) {
        if (draining) {
          logger.error({ err: error, ...ids }, 'batch mark lost while stopping: the batch counts this completed job as pending');
          return;
        }
        logger.warn({ err: error, ...ids, retryInMs: waitMs }, 'batch mark refused; sending it again');
        await sleep(waitMs);
      }
    }
  }

  return {
    completed(ids, options) {
      const mark = () => batches.markCompleted(ids.batchId, ids.jobId, options);
      const landed: Promise<void> = untilLanded(mark, ids).finally(() => inFlight.delete(landed));
      inFlight.add(landed);
    },
    async drain() {
      draining = true;
      await Promise.all(inFlight);
    },
  };
}
