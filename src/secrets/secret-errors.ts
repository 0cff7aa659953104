import { AppError } from '../errors/app-error.js';

export type SecretKeyProblem = 'missing' | 'wrong_key' | 'tampered' | 'unreadable';

/** Credentials that cannot be sealed or opened; the message names the key (by id), never a secret. */
export class SecretKeyError extends AppError {
  readonly code = 'SECRET_KEY';

  constructor(
    readonly problem: SecretKeyProblem,
    message: string,
  ) {
    super(message);
  }
}
