import { AppError } from '../errors/app-error.js';

/** The account is paused after a provider's 429; the job goes back to wait without losing an attempt. */
export class AccountBlockedError extends AppError {
  readonly code = 'ACCOUNT_RATE_LIMITED';

  constructor(readonly waitMs: number) {
    super(`account paused by the provider's rate limit for ${waitMs} ms`);
  }
}

/** The account's next free slot is further away than a job should hold on to; the job is delayed until then. */
export class RateLimitDeferredError extends AppError {
  readonly code = 'RATE_LIMIT_DEFERRED';

  constructor(readonly waitMs: number) {
    super(`next request slot of the account is ${waitMs} ms away`);
  }
}
