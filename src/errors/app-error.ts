/**
 * Base of every error closer raises on purpose. `code` is stable: logs, API
 * answers, dead-letter entries and metrics key on it, so never reword a code.
 */
export abstract class AppError extends Error {
  abstract readonly code: string;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
