import { AppError } from '../errors/app-error.js';

/**
 * The account must wait (a provider's 429, the account paused by one, or removed):
 * the dispatcher puts the job back to wait without costing it an attempt and
 * gives the account no job until then.
 */
export class AccountWaitError extends AppError {
  readonly code = 'ACCOUNT_WAIT';

  constructor(
    readonly waitMs: number,
    why = 'rate limited by its provider',
  ) {
    super(`the account waits ${waitMs} ms (${why})`);
  }
}
