import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { AccountControl } from '../accounts/account-control.js';
import { AppError } from '../errors/app-error.js';
import { ProviderError, ProviderRateLimitedError } from '../errors/provider-error.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AccountQueue } from '../queues/account-queues.js';
import type { FailureInfo } from '../queues/close-job.js';
import type { AccountRateLimiter } from '../rate-limit/account-rate-limiter.js';
import { AccountBlockedError, RateLimitDeferredError } from '../rate-limit/rate-limit-errors.js';
import { AccountWaitError } from './account-wait-error.js';
import type { JobEventListener } from './job-events.js';

/** A job that met this many 429s starts paying attempts for them, so it cannot wait forever. */
export const MAX_RATE_LIMIT_HITS = 20;

export interface FailureContext {
  entry: AccountQueue;
  limiter: AccountRateLimiter;
  control: AccountControl;
  logger: Logger;
  metrics: Metrics;
  /** Told of rate limits, retries and final failures as they happen. */
  events?: JobEventListener;
}

export function failureInfo(error: unknown): FailureInfo {
  const at = new Date().toISOString();
  if (error instanceof ProviderError) {
    return { code: error.code, message: error.message, status: error.status, bodyExcerpt: error.bodyExcerpt, at };
  }
  if (error instanceof AppError) return { code: error.code, message: error.message, at };
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error), at };
}

type FailableData = { rateLimitHits?: number; lastError?: FailureInfo; ref?: unknown };

/**
 * The one place that turns a failed provider call into queue behaviour, for
 * every kind of job. Always throws:
 * - 429 (or the account paused by one): the whole account waits (in every
 *   process, through the rate limiter's block), the job goes back to wait
 *   and keeps its attempts (AccountWaitError, for the dispatcher);
 * - a far-away rate-limit slot: the job is delayed, attempts kept;
 * - retryable: rethrown, BullMQ retries with backoff until attempts run out;
 * - permanent or unauthorized: UnrecoverableError, no retry (and repeated
 *   401/403 pause the account).
 */
export async function failJob<D extends FailableData>(error: unknown, job: Job<D>, token: string | undefined, context: FailureContext): Promise<never> {
  const log = context.logger;
  if (error instanceof AccountBlockedError) throw new AccountWaitError(error.waitMs);
  if (error instanceof RateLimitDeferredError) {
    await job.moveToDelayed(Date.now() + error.waitMs, token);
    throw new DelayedError();
  }
  const account = context.entry.account.id;
  if (error instanceof ProviderRateLimitedError) context.metrics.rateLimited.inc({ account });
  if (error instanceof ProviderRateLimitedError && (job.data.rateLimitHits ?? 0) < MAX_RATE_LIMIT_HITS) {
    const waitMs = await context.limiter.block(error.retryAfterMs);
    await job.updateData({ ...job.data, rateLimitHits: (job.data.rateLimitHits ?? 0) + 1 });
    log.warn({ waitMs, status: error.status }, 'rate limited by the provider: account waits');
    context.events?.({ type: 'rate_limited', account, waitMs, status: error.status });
    throw new AccountWaitError(waitMs);
  }

  const info = failureInfo(error);
  await job.updateData({ ...job.data, lastError: info });
  if (error instanceof ProviderError && !error.retryable) {
    if (error.errorClass === 'unauthorized' && (await context.control.recordUnauthorized(context.entry))) {
      log.error({ code: info.code }, 'repeated auth failures: account paused');
    }
    log.warn({ code: info.code, status: info.status }, `${job.name} failed for good`);
    context.events?.({ type: 'failed', account, jobName: job.name, ref: job.data.ref, code: info.code, status: info.status, message: info.message });
    throw new UnrecoverableError(error.message);
  }
  const attempts = job.opts.attempts ?? 1;
  const attempt = job.attemptsMade + 1;
  const willRetry = attempt < attempts;
  if (willRetry) context.metrics.retries.inc({ account, job: job.name });
  log.info({ code: info.code, status: info.status, attempt, willRetry }, `${job.name} failed`);
  const facts = { account, jobName: job.name, ref: job.data.ref, code: info.code, status: info.status };
  context.events?.(willRetry ? { type: 'retrying', ...facts, attempt, attempts } : { type: 'failed', ...facts, message: info.message });
  throw error;
}
