import { setTimeout as sleep } from 'node:timers/promises';
import type { JobEnd } from '../batches/batch-store.js';
import type { Logger } from '../logger.js';

/** Waits between attempts at a mark Redis refused: 0.1 s, doubling up to 5 s. */
const FIRST_RETRY_MS = 100;
const LONGEST_RETRY_MS = 5_000;

export interface MarkIds {
  batchId: string;
  jobId: string;
  /** The conversation event of the job's end (conversationEnd in batch-store.ts). */
  event: string;
}

/**
 * Batch marks of finished jobs, gathered per turn of the event loop and sent
 * without waiting for Redis's answer.
 *
 * Waiting cost every close a round trip (about 1 ms at full speed, an eighth
 * of a job's time at a concurrency of 10) for nothing: the mark goes out on
 * the connection BullMQ's worker uses, before the processor returns, so Redis
 * runs it before the command that completes the job (one connection is
 * served in order, and a crash cuts the stream at one point). A completed job
 * is therefore always counted in its batch. (Scripts Redis has forgotten, as
 * after a restart, are resent after their NOSCRIPT answers, which come back in
 * the same order.) If Redis refuses a mark, it is sent again until it lands;
 * only a process that stops while Redis still refuses it loses one, and says
 * so in its log.
 *
 * The closes whose answers a worker reads in one turn of the event loop are
 * marked by one script: at full speed a command per close was 8% of the
 * worker's CPU, most of it the write to the socket.
 */
export interface BatchMarks {
  /**
   * Queues the job's mark; resolves once it has been sent (not answered),
   * which is when the processor may return and let BullMQ complete the job.
   */
  completed(ids: MarkIds, options: { skipped: boolean }): Promise<void>;
  /** Sends what is queued, waits for the marks in flight; from now on a refused mark is logged as lost instead of retried. */
  drain(): Promise<void>;
}

interface Group {
  batchId: string;
  skipped: boolean;
  ends: JobEnd[];
}

/** One account's marks (what its batch store calls are bound to). */
export interface AccountMarks {
  markCompleted(batchId: string, ends: readonly JobEnd[], options: { skipped: boolean }): Promise<void>;
}

/** `batches` must run on the connection BullMQ's worker uses (see above). */
export function createBatchMarks(batches: AccountMarks, logger: Logger): BatchMarks {
  const inFlight = new Set<Promise<void>>();
  let draining = false;
  /** Marks waiting for the end of this turn of the event loop, by batch and kind. */
  let queued = new Map<string, Group>();
  let sending: Promise<void> | undefined;

  /** The first attempt is sent before this returns its promise: an async function runs up to its first await at once. */
  async function untilLanded({ batchId, skipped, ends }: Group): Promise<void> {
    const jobIds = () => ends.map(({ jobId }) => jobId);
    for (let waitMs = FIRST_RETRY_MS; ; waitMs = Math.min(waitMs * 2, LONGEST_RETRY_MS)) {
      try {
        await batches.markCompleted(batchId, ends, { skipped });
        return;
      } catch (error) {
        if (draining) {
          logger.error({ err: error, batchId, jobIds: jobIds() }, 'batch marks lost while stopping: the batch counts these completed jobs as pending');
          return;
        }
        logger.warn({ err: error, batchId, jobIds: jobIds(), retryInMs: waitMs }, 'batch marks refused; sending them again');
        await sleep(waitMs);
      }
    }
  }

  function send(): void {
    const groups = queued;
    queued = new Map();
    sending = undefined;
    for (const group of groups.values()) {
      const landed: Promise<void> = untilLanded(group).finally(() => inFlight.delete(landed));
      inFlight.add(landed);
    }
  }

  return {
    completed({ batchId, jobId, event }, { skipped }) {
      const key = `${skipped ? 'skipped' : 'completed'} ${batchId}`;
      const group = queued.get(key);
      if (group) group.ends.push({ jobId, event });
      else queued.set(key, { batchId, skipped, ends: [{ jobId, event }] });
      // setImmediate runs once the poll phase is over, after every answer that came in with this one; a
      // microtask or nextTick would run after each answer's own callback and gather nothing.
      sending ??= new Promise<void>((resolve) =>
        setImmediate(() => {
          send();
          resolve();
        }),
      );
      return sending;
    },
    async drain() {
      draining = true;
      await sending;
      await Promise.all(inFlight);
    },
  };
}
