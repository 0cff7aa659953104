import { AppError } from '../errors/app-error.js';

/** Refusals of the console's own (its data answers use the producer's errors, mapped by the API's error handler). */
export abstract class ConsoleError extends AppError {
  abstract readonly httpStatus: number;
}

/** No session, or one expired or ended: the page sends the person to the login page. */
export class ConsoleLoginRequiredError extends ConsoleError {
  readonly code = 'console_login_required';
  readonly httpStatus = 401;

  constructor() {
    super('log in to the console first (GET /console/login)');
  }
}

/**
 * A state-changing request without the session's CSRF token, or from a page
 * of another origin: what a cross-site request riding on the browser's
 * cookie or stored basic-auth credentials looks like.
 */
export class ConsoleCsrfError extends ConsoleError {
  readonly code = 'csrf_refused';
  readonly httpStatus = 403;

  constructor(readonly why: string) {
    super(`refused: ${why}; state-changing console requests come from the console's own page with its CSRF token`);
  }
}
