import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BatchReport, BatchStore } from '../batches/batch-store.js';
import type { Config } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { backoffDelay } from '../worker/backoff.js';
import { CALLBACK_BACKOFF, CALLBACKS_QUEUE, EVENTS_JOB, GATHER_MS, WATCH_MS, type CallbackJobData, type CallbackQueue } from './callback-queue.js';
import { deliverCallback } from './deliver-callback.js';

/** Deliveries are retried this long after the batch was done, then the callback is marked failed. */
export const DELIVER_FOR_MS = 24 * 3_600_000;
/** Longest wait between two attempts. */
const LONGEST_BACKOFF_MS = 3_600_000;
/** A batch still not done this long after its callback was asked for is let go (its keys expire after a week without change). */
const WATCH_FOR_MS = 30 * 24 * 3_600_000;
/** A batch's enqueue is over by then (its deadline is 15 s): a batch not sealed by its request is sealed by its callback's job. */
const SEAL_AFTER_MS = 60_000;
/** Deliveries in flight per worker process. */
const CONCURRENCY = 10;

/** What batch.done carries (contract section 7). */
export function batchDonePayload(report: BatchReport) {
  const { batchId, account, total, completed, deadLettered, skipped, duplicates, cancelled } = report;
  return { type: 'batch.done', batchId, account, total, completed, deadLettered, skipped, duplicates, cancelled };
}

export interface CallbackWorker {
  close(): Promise<void>;
}

/**
 * Delivers batch callbacks: a BullMQ worker on the deployment's callbacks
 * queue (one blocking connection per worker process, whatever the number of
 * accounts). A job runs when its batch is done (brought forward then) or on
 * its periodic look; it posts once per attempt, records the attempt on the
 * batch (GET /v1/batches/:id shows it), and on a failure lets BullMQ retry
 * with backoff and jitter, until a day after the batch was done.
 */
export interface CallbackWorkerDeps {
  config: Config;
  redis: RedisClient;
  keys: KeyNames;
  batches: BatchStore;
  /** The deployment's callbacks queue (a lost events job is made again from here). */
  callbacks: CallbackQueue;
  metrics: Metrics;
  logger: Logger;
  /** An API key's own signing secret (the batches it enqueued are signed with it). */
  keySecret?: (keyId: string) => string | undefined;
}

/** Whether the callback gathers conversation events (and so batch.done follows them). */
const gathersEvents = (callback: { events: string[] }) => callback.events.some((event) => event !== 'batch.done');

/** Thrown after moving a job to delayed: BullMQ then neither completes it nor spends an attempt. */
async function later(job: Job, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}

export function startCallbackWorker(deps: CallbackWorkerDeps): CallbackWorker {
  const { config, batches, callbacks, metrics, logger } = deps;

  /** The key's own secret, when the batch came through a key that has one; the deployment's otherwise (or once the key is revoked). */
  const secretFor = (callback: { keyId?: string }) => {
    const secret = (callback.keyId !== undefined ? deps.keySecret?.(callback.keyId) : undefined) ?? config.callbackSecret;
    if (!secret) throw new UnrecoverableError('no secret to sign with: the API key that asked for this callback was revoked, and CLOSER_CALLBACK_SECRET is not set');
    return secret;
  };

  /**
   * Whether the batch's conversation events are still on their way: then
   * batch.done waits for them, so it comes last. An events job whose add was
   * lost (the process died after the event armed it) is made again here.
   */
  async function eventsUnderway(account: string, batchId: string): Promise<boolean> {
    const events = await batches.eventsState(account, batchId);
    if (!events.armed) return false;
    const state = await callbacks.gathering(batchId, events.arm);
    if (state === 'missing') await callbacks.gather(account, batchId, events.arm);
    return state !== 'ended';
  }

  const deliverBatchDone = async (job: Job<CallbackJobData>, token?: string) => {
    const { account, batchId } = job.data;
    let report = await batches.get(batchId);
    if (report?.callback && !report.callback.doneAt && Date.now() - Date.parse(report.createdAt) > SEAL_AFTER_MS) {
      // Its request could not seal it (Redis failed at that step); no enqueue of it runs this long after it began.
      await batches.seal(account, batchId);
      report = await batches.get(batchId);
    }
    const callback = report?.callback;
    // A batch id another account's batch (without a callback) already held: nothing to deliver.
    if (report && !callback) return 'no callback was asked for this batch';
    if (!report || !callback?.doneAt) {
      if (Date.now() - job.timestamp > WATCH_FOR_MS) return 'the batch was never done';
      if (callback && gathersEvents(callback)) await eventsUnderway(account, batchId);
      // Not done yet: look again later, without spending an attempt.
      return later(job, token, WATCH_MS);
    }
    if (callback.state !== 'pending') return callback.state;
    if (gathersEvents(callback) && (await eventsUnderway(account, batchId))) return later(job, token, GATHER_MS);
    const secret = secretFor(callback);
    if (Date.now() - Date.parse(callback.doneAt) > DELIVER_FOR_MS) {
      await batches.recordCallback(account, batchId, { status: callback.lastStatus, state: 'failed', counted: false });
      metrics.callbackDeliveries.inc({ outcome: 'gave_up' });
      logger.warn({ account, batchId, url: callback.url, attempts: callback.attempts }, 'callback not delivered within 24 h: marked failed');
      throw new UnrecoverableError('not delivered within 24 h of the batch being done');
    }
    const outcome = await deliverCallback({ url: callback.url, id: `batch.done_${batchId}`, payload: batchDonePayload(report) }, { secret, allowPrivate: config.callbackAllowPrivate });
    await batches.recordCallback(account, batchId, { status: outcome.status, state: outcome.ok ? 'delivered' : 'pending', counted: true });
    metrics.callbackDeliveries.inc({ outcome: outcome.ok ? 'delivered' : 'failed_attempt' });
    if (!outcome.ok) throw new Error(outcome.status === null ? `no answer: ${outcome.error ?? 'unknown'}` : `the receiver answered ${outcome.status}`);
    return 'delivered';
  };

  /**
   * Delivers the batch's gathered conversation events: one chunk (events of
   * one type, in order) per request, the same chunk under the same webhook-id
   * until it is delivered, then the next at least GATHER_MS later, until none
   * wait. A chunk not delivered within 24 h of its first attempt is given up
   * (counted as failed on the batch) and the next one goes.
   */
  const deliverEvents = async (job: Job<CallbackJobData>, token?: string) => {
    const { account, batchId } = job.data;
    const callback = (await batches.get(batchId))?.callback;
    if (!callback) return 'the batch is gone';
    const chunk = await batches.takeEvents(account, batchId);
    if (!chunk) return 'no events left';
    if (Date.now() - chunk.takenAt > DELIVER_FOR_MS) {
      await batches.settleEvents(account, batchId, chunk.items.length, { dropped: true });
      metrics.callbackDeliveries.inc({ outcome: 'gave_up' });
      logger.warn({ account, batchId, url: callback.url, type: chunk.type, events: chunk.items.length }, 'conversation events not delivered within 24 h: given up');
      return later(job, token, 0);
    }
    const payload = { type: chunk.type, batchId, account, conversations: chunk.items };
    const outcome = await deliverCallback({ url: callback.url, id: `${chunk.type}_${batchId}_${chunk.sequence}`, payload }, { secret: secretFor(callback), allowPrivate: config.callbackAllowPrivate });
    metrics.callbackDeliveries.inc({ outcome: outcome.ok ? 'delivered' : 'failed_attempt' });
    if (!outcome.ok) throw new Error(outcome.status === null ? `no answer: ${outcome.error ?? 'unknown'}` : `the receiver answered ${outcome.status}`);
    const waiting = await batches.settleEvents(account, batchId, chunk.items.length);
    return waiting > 0 ? later(job, token, GATHER_MS) : 'delivered';
  };

  const process = (job: Job<CallbackJobData>, token?: string) => (job.name === EVENTS_JOB ? deliverEvents(job, token) : deliverBatchDone(job, token));
  const worker = new Worker<CallbackJobData>(CALLBACKS_QUEUE, process, {
    connection: deps.redis,
    prefix: deps.keys.callbacksPrefix(),
    concurrency: CONCURRENCY,
    lockDuration: config.jobs.lockDurationMs,
    stalledInterval: config.jobs.lockDurationMs,
    settings: { backoffStrategy: (attemptsMade: number, type?: string) => (type === CALLBACK_BACKOFF ? backoffDelay(attemptsMade, config.jobs.backoffDelayMs, LONGEST_BACKOFF_MS) : 0) },
  });
  worker.on('error', (error) => logger.debug({ err: error }, 'callbacks worker: Redis trouble; it reconnects'));
  worker.on('failed', (job, error) => {
    if (job) logger.info({ batchId: job.data.batchId, attempt: job.attemptsMade, reason: error.message }, 'callback delivery failed');
  });
  return { close: () => worker.close() };
}
