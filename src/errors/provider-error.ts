import { AppError } from './app-error.js';

/** What went wrong talking to a provider, as the queue needs to act on it. */
export type ProviderErrorClass = 'rate_limited' | 'retryable' | 'unauthorized' | 'permanent';

export interface ProviderErrorDetails {
  provider: string;
  operation: string;
  /** HTTP status; undefined for network errors and timeouts. */
  status?: number;
  /** First bytes of the response body with every known secret replaced. */
  bodyExcerpt?: string;
  cause?: unknown;
}

/**
 * Base of the provider errors. Subclasses differ in what the queue does with
 * them, so processors switch on `errorClass` (or `instanceof`), never on text.
 */
export abstract class ProviderError extends AppError {
  abstract readonly errorClass: ProviderErrorClass;
  readonly provider: string;
  readonly operation: string;
  readonly status: number | undefined;
  readonly bodyExcerpt: string | undefined;

  constructor(message: string, details: ProviderErrorDetails) {
    super(message, { cause: details.cause });
    this.provider = details.provider;
    this.operation = details.operation;
    this.status = details.status;
    this.bodyExcerpt = details.bodyExcerpt;
  }

  get retryable(): boolean {
    return this.errorClass === 'retryable' || this.errorClass === 'rate_limited';
  }

  /** Plain, secret-free form for logs, job failure reasons and dead letters. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      operation: this.operation,
      status: this.status,
      bodyExcerpt: this.bodyExcerpt,
    };
  }
}

/** 429: the provider wants us to wait `retryAfterMs`; costs no attempt. */
export class ProviderRateLimitedError extends ProviderError {
  readonly code = 'PROVIDER_RATE_LIMITED';
  readonly errorClass = 'rate_limited';

  constructor(
    details: ProviderErrorDetails,
    readonly retryAfterMs: number,
  ) {
    super(`${details.provider} ${details.operation}: rate limited, retry in ${retryAfterMs} ms`, details);
  }
}

/** Network error, timeout, 408 or 5xx: worth another attempt after a backoff. */
export class ProviderUnavailableError extends ProviderError {
  readonly code: 'PROVIDER_UNAVAILABLE' | 'PROVIDER_TIMEOUT' | 'PROVIDER_NETWORK_ERROR';
  readonly errorClass = 'retryable';

  constructor(details: ProviderErrorDetails, kind: 'http' | 'timeout' | 'network', reason: string) {
    super(`${details.provider} ${details.operation}: ${reason}`, details);
    this.code = kind === 'timeout' ? 'PROVIDER_TIMEOUT' : kind === 'network' ? 'PROVIDER_NETWORK_ERROR' : 'PROVIDER_UNAVAILABLE';
  }
}

/** 401/403: the credentials are wrong or lack the right; every job of the account will fail alike. */
export class ProviderUnauthorizedError extends ProviderError {
  readonly code = 'PROVIDER_UNAUTHORIZED';
  readonly errorClass = 'unauthorized';

  constructor(details: ProviderErrorDetails) {
    super(`${details.provider} ${details.operation}: unauthorized (HTTP ${details.status})`, details);
  }
}

/** Any other 4xx (404, 422, ...) or an unusable answer: retrying cannot help. */
export class ProviderRejectedError extends ProviderError {
  readonly code: 'PROVIDER_NOT_FOUND' | 'PROVIDER_REJECTED' | 'PROVIDER_BAD_RESPONSE';
  readonly errorClass = 'permanent';

  constructor(details: ProviderErrorDetails, reason?: string) {
    const code =
      details.status === undefined || (details.status >= 200 && details.status < 300)
        ? 'PROVIDER_BAD_RESPONSE'
        : details.status === 404
          ? 'PROVIDER_NOT_FOUND'
          : 'PROVIDER_REJECTED';
    super(`${details.provider} ${details.operation}: ${reason ?? `rejected (HTTP ${details.status})`}`, details);
    this.code = code;
  }
}

/** The ref needs something the account lacks (a Chatwoot application token, an inbox): no request is made. */
export class UnsupportedRefError extends ProviderError {
  readonly code = 'REF_UNSUPPORTED';
  readonly errorClass = 'permanent';

  constructor(details: ProviderErrorDetails, reason: string) {
    super(`${details.provider} ${details.operation}: ${reason}`, details);
  }
}
