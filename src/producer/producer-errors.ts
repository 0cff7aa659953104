import { AppError } from '../errors/app-error.js';

/**
 * Errors a producer call answers with. `code` is what the HTTP API puts in
 * `{"error": code}` (contract section 4) and `httpStatus` its status.
 */
export abstract class ProducerError extends AppError {
  abstract readonly httpStatus: number;
  /** Sent as Retry-After: the answer is a refusal worth retrying after this many seconds. */
  readonly retryAfterSeconds?: number;
  /** Extra fields of the JSON answer. */
  details(): Record<string, unknown> {
    return {};
  }
}

export interface ValidationIssue {
  /** Index of the ref in `conversations`, or null for a problem outside the list. */
  index: number | null;
  path: string;
  message: string;
}

export class ValidationError extends ProducerError {
  readonly code = 'validation';
  readonly httpStatus = 400;

  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`${issues.length} invalid field${issues.length === 1 ? '' : 's'}; nothing was enqueued`);
  }

  override details() {
    return { issues: this.issues };
  }
}

export class UnknownAccountError extends ProducerError {
  readonly code = 'unknown_account';
  readonly httpStatus = 404;

  constructor(readonly account: string) {
    super(`no account "${account}" is configured`);
  }

  override details() {
    return { account: this.account };
  }
}

export class NotFoundError extends ProducerError {
  readonly code = 'not_found';
  readonly httpStatus = 404;

  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class BatchConflictError extends ProducerError {
  readonly code = 'batch_conflict';
  readonly httpStatus = 409;

  constructor(batchId: string) {
    super(`batch "${batchId}" belongs to another account`);
  }
}

/** A close request naming a batch that was cancelled: it takes no new job. */
export class BatchCancelledError extends ProducerError {
  readonly code = 'batch_cancelled';
  readonly httpStatus = 409;

  constructor(batchId: string) {
    super(`batch "${batchId}" was cancelled and takes no new closes; send them with another batchId`);
  }
}

export class RedisUnavailableError extends ProducerError {
  readonly code = 'redis_unavailable';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds = 2;

  /** `uncertain`: the connection failed while a change was under way, so whether Redis made it is unknown. */
  constructor({ uncertain = false } = {}) {
    super(
      uncertain
        ? 'Redis stopped answering while this change was under way; it may or may not have been made. Retrying is safe'
        : 'Redis is unreachable; nothing was enqueued or changed, try again',
    );
  }
}

export class RedisOutOfMemoryError extends ProducerError {
  readonly code = 'redis_out_of_memory';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds = 10;

  constructor() {
    super("Redis is out of memory (maxmemory reached, nothing may be evicted) and refuses writes; nothing was enqueued or changed. Free memory or raise Redis's maxmemory, then retry");
  }
}

/** This process is already enqueueing as much as it takes at once; the client retries shortly. */
export class ProducerBusyError extends ProducerError {
  readonly code = 'busy';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds = 1;

  constructor(readonly refs: number) {
    super(`closer is enqueueing as many closes as it takes at once; nothing of these ${refs} was enqueued, retry after a second (resending with the same batchId is safe)`);
  }
}

/**
 * Every close was enqueued, but fewer replicas than CLOSER_ENQUEUE_REPLICAS
 * acknowledged it in time: a failover now could lose it. The jobs exist and
 * will run; resending with the same batchId is safe and waits again.
 */
export class NotReplicatedError extends ProducerError {
  readonly code = 'not_replicated';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds = 1;

  constructor(
    readonly batchId: string,
    readonly replicated: number,
    readonly required: number,
  ) {
    super(`the closes are enqueued on the master, but ${replicated} of the ${required} replica(s) required acknowledged them in time; resend with batchId "${batchId}" (safe) until it answers 202`);
  }

  override details() {
    return { batchId: this.batchId, replicated: this.replicated, required: this.required };
  }
}

export interface EnqueueIncompleteDetails {
  batchId: string;
  /** Distinct refs whose jobs are certainly enqueued (or were already, as duplicates were counted apart). */
  accepted: number;
  /** Distinct refs certainly not enqueued. */
  notEnqueued: number;
  /** Distinct refs whose transaction's answer was lost with the connection: enqueued or not, unknown. */
  uncertain: number;
  /** What failed: redis_unavailable, redis_out_of_memory or redis_error. */
  reason: string;
}

/**
 * Redis failed part-way through a bulk enqueue. Each chunk of jobs is one
 * transaction, so every number here is known, except `uncertain`, which says
 * how many refs had their answer lost; `GET /v1/batches/:id` counts them once
 * Redis is back. Resending with the same batchId enqueues the rest and is safe.
 */
export class EnqueueIncompleteError extends ProducerError {
  readonly code = 'enqueue_incomplete';
  readonly httpStatus = 503;
  override readonly retryAfterSeconds = 2;
  readonly batchId: string;
  readonly accepted: number;
  readonly notEnqueued: number;
  readonly uncertain: number;
  readonly reason: string;

  constructor(counts: EnqueueIncompleteDetails, options?: { cause?: unknown }) {
    const { batchId, accepted, notEnqueued, uncertain, reason } = counts;
    const unknown = uncertain > 0 ? `, ${uncertain} uncertain (Redis's answer was lost; GET /v1/batches/${batchId} tells once it is back)` : '';
    super(`Redis failed part-way (${reason}): ${accepted} close(s) enqueued, ${notEnqueued} not${unknown}; resend the request with batchId "${batchId}" to enqueue the rest`, options);
    this.batchId = batchId;
    this.accepted = accepted;
    this.notEnqueued = notEnqueued;
    this.uncertain = uncertain;
    this.reason = reason;
  }

  override details() {
    const { batchId, accepted, notEnqueued, uncertain, reason } = this;
    return { batchId, accepted, notEnqueued, uncertain, reason };
  }
}

/** An account or API key id that is taken. */
export class ConflictError extends ProducerError {
  readonly code = 'conflict';
  readonly httpStatus = 409;

  constructor(what: string) {
    super(`${what} already exists`);
  }
}

/** An environment or accounts-file account: changed by its configuration, not through the API. */
export class StaticAccountError extends ProducerError {
  readonly code = 'static_account';
  readonly httpStatus = 409;

  constructor(readonly account: string) {
    super(`account "${account}" comes from the environment or the accounts file; change it there (the API manages only accounts it made)`);
  }

  override details() {
    return { account: this.account };
  }
}

/** An account with work left is not removed unless that work is let go (`?purge=true`). */
export class HasPendingError extends ProducerError {
  readonly code = 'has_pending';
  readonly httpStatus = 409;

  constructor(
    readonly account: string,
    readonly pending: { jobs: number; deadLetters: number },
  ) {
    super(`account "${account}" has ${pending.jobs} pending job(s) and ${pending.deadLetters} dead letter(s); remove it with ?purge=true to discard them, or wait for them to end`);
  }

  override details() {
    return { account: this.account, pending: this.pending };
  }
}

/** A key without the scope a route needs. */
export class ForbiddenError extends ProducerError {
  readonly code = 'forbidden';
  readonly httpStatus = 403;

  constructor(message: string) {
    super(message);
  }
}

/** A callback was asked for, and this deployment has no CLOSER_CALLBACK_SECRET to sign it with. */
export class CallbackSecretMissingError extends ProducerError {
  readonly code = 'callback_secret_missing';
  readonly httpStatus = 501;

  constructor() {
    super('callbacks are signed with CLOSER_CALLBACK_SECRET, which this deployment does not set; nothing was enqueued');
  }
}

/** Managing accounts needs CLOSER_SECRET_KEY, which seals their credentials. */
export class SecretKeyMissingError extends ProducerError {
  readonly code = 'secret_key_missing';
  readonly httpStatus = 501;

  constructor() {
    super('this process has no CLOSER_SECRET_KEY, which encrypts managed accounts\' credentials: set it (32 random bytes in base64) in every process to manage accounts');
  }
}
