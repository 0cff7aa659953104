import { AppError } from '../errors/app-error.js';

/**
 * Errors a producer call answers with. `code` is what the HTTP API puts in
 * `{"error": code}` (contract section 4) and `httpStatus` its status.
 */
export abstract class ProducerError extends AppError {
  abstract readonly httpStatus: number;
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

export class RedisUnavailableError extends ProducerError {
  readonly code = 'redis_unavailable';
  readonly httpStatus = 503;

  constructor() {
    super('Redis is unreachable; nothing was enqueued, try again');
  }
}

/** Redis failed half-way through a bulk enqueue: some jobs exist, the rest do not. Retrying with the same batchId is safe. */
export class EnqueueIncompleteError extends ProducerError {
  readonly code = 'enqueue_incomplete';
  readonly httpStatus = 503;

  constructor(
    readonly batchId: string,
    readonly accepted: number,
    readonly notEnqueued: number,
  ) {
    super(`only ${accepted} close(s) were enqueued before Redis failed; resend the request with batchId "${batchId}" to enqueue the rest`);
  }

  override details() {
    return { batchId: this.batchId, accepted: this.accepted, notEnqueued: this.notEnqueued };
  }
}
