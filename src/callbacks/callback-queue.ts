import { Queue } from 'bullmq';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

export const CALLBACKS_QUEUE = 'callbacks';
export const BATCH_DONE_JOB = 'batch.done';
/** Delivers a batch's gathered conversation events, a request at most every GATHER_MS, until none wait. */
export const EVENTS_JOB = 'conversation.events';
/** Conversation events are gathered this long before a delivery, and a batch gets at most one delivery of them per this long. */
export const GATHER_MS = 1_000;
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

/** An events job keeps delivering chunk after chunk: its attempts are not a count of one delivery's (each has 24 h on its own). */
const EVENTS_ATTEMPTS = 100_000;
const RETENTION = { removeOnComplete: { age: 7 * 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } };

/** BullMQ refuses ids that read as integers, and batch ids may: the job's id says what it is for. */
const jobIdOf = (batchId: string) => `batch-${batchId}`;
/** One events job per arming (batch-store.ts): a new one once the last found nothing left. */
export const eventsJobIdOf = (batchId: string, arm: number) => `events-${batchId}-${arm}`;

export interface CallbackJobData {
  account: string;
  batchId: string;
}

export interface CallbackQueue {
  /** Makes the batch's callback job (once: its id comes from the batch id). */
  watch(account: string, batchId: string): Promise<void>;
  /** The batch is done: its callback job runs now. */
  promote(batchId: string): Promise<void>;
  /** Makes the events job of this arming (once: its id comes from the batch id and the arm). */
  gather(account: string, batchId: string, arm: number): Promise<void>;
  /** Where the events job of this arming stands: missing (its add was lost), pending (still to run or running), ended (completed or failed for good). */
  gathering(batchId: string, arm: number): Promise<'missing' | 'pending' | 'ended'>;
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
        ...RETENTION,
      });
    },
    async gather(account, batchId, arm) {
      const data: CallbackJobData = { account, batchId };
      // Removed once complete: it completes only after its arming ended, so nothing looks for it again.
      await queue.add(EVENTS_JOB, data, { jobId: eventsJobIdOf(batchId, arm), delay: GATHER_MS, attempts: EVENTS_ATTEMPTS, backoff: { type: CALLBACK_BACKOFF }, ...RETENTION, removeOnComplete: true });
    },
    async gathering(batchId, arm) {
      const job = await queue.getJob(eventsJobIdOf(batchId, arm));
      const state = job ? await job.getState() : 'unknown';
      if (state === 'unknown') return 'missing';
      return state === 'failed' || state === 'completed' ? 'ended' : 'pending';
    },
    async promote(batchId) {
      const job = await queue.getJob(jobIdOf(batchId));
      // Already running or done (a repeat of the end, a watch that found it first): nothing to bring forward.
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    },
    close: () => queue.close(),
  };
}
