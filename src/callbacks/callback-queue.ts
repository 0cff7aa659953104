import { Queue } from 'bullmq';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

export const CALLBACKS_QUEUE = 'callbacks';
export const BATCH_DONE_JOB = 'batch.done';
export const CALLBACK_BACKOFF = 'closer-callback';
/**
 * A batch's callback job waits, delayed, from the batch's first request on:
 * brought forward when the batch is done, and otherwise looking again this
 * often. So the callback is a job from the start, and a process that dies
 * between the batch's end and bringing the job forward delays it by this
 * much at most, never loses it.
 */
export const WATCH_MS = 30_000;
/** Delivery attempts, enough to cover a day of backoff (capped at an hour); the 24 h limit is checked on its own. */
const ATTEMPTS = 100;

/** BullMQ refuses ids that read as integers, and batch ids may: the job's id says what it is for. */
const jobIdOf = (batchId: string) => `batch-${batchId}`;

export interface CallbackJobData {
  account: string;
  batchId: string;
}

export interface CallbackQueue {
  /** Makes the batch's callback job (once: its id comes from the batch id). */
  watch(account: string, batchId: string): Promise<void>;
  /** The batch is done: its callback job runs now. */
  promote(batchId: string): Promise<void>;
  readonly queue: Queue;
  close(): Promise<void>;
}

export function createCallbackQueue(connection: RedisClient, keys: KeyNames): CallbackQueue {
  const queue = new Queue(CALLBACKS_QUEUE, { connection, prefix: keys.callbacksPrefix() }).on('error', () => undefined);
  return {
    queue,
    async watch(account, batchId) {
      const data: CallbackJobData = { account, batchId };
      await queue.add(BATCH_DONE_JOB, data, {
        jobId: jobIdOf(batchId),
        delay: WATCH_MS,
        attempts: ATTEMPTS,
        backoff: { type: CALLBACK_BACKOFF },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 7 * 24 * 3600 },
      });
    },
    async promote(batchId) {
      const job = await queue.getJob(jobIdOf(batchId));
      // Already running or done (a repeat of the end, a watch that found it first): nothing to bring forward.
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    },
    close: () => queue.close(),
  };
}
