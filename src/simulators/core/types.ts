/** A request as the simulator saw it, kept for assertions in tests and benchmarks. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string, as sent (not URL-decoded). */
  readonly path: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Header names are lower-cased, as node delivers them. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Parsed JSON when the body is valid JSON, the raw text otherwise, `undefined` when empty. */
  readonly body: unknown;
  readonly rawBody: string;
  /** Status the simulator answered (decided before any latency is applied). */
  readonly status: number;
  /** When the request arrived: epoch milliseconds with sub-millisecond precision. */
  readonly receivedAt: number;
}

/** A parsed incoming request handed to the provider routes. */
export interface SimRequest {
  readonly method: string;
  readonly path: string;
  /** The query string without the leading `?`, for providers that echo it back (pagination links). */
  readonly rawQuery: string;
  readonly query: Readonly<Record<string, string | string[]>>;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly rawBody: string;
  /** Parsed JSON, raw text or undefined, whatever the Content-Type (as recorded). */
  readonly body: unknown;
  /** The parsed body when the request declares a JSON Content-Type, else undefined: what routes read. */
  readonly json: unknown;
  /** True when the request declares JSON but the body does not parse. */
  readonly malformedJson: boolean;
}

/** What a route answers; the server layer serialises it. */
export interface SimResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Serialised as JSON unless `text` is given. */
  readonly json?: unknown;
  /** Sent verbatim; the caller sets the Content-Type header. */
  readonly text?: string;
}

/** How Peach and Callbell 429 answers advertise the wait. */
export type RetryAfterMode = 'seconds' | 'http-date' | 'none';

export interface RateLimitOptions {
  readonly limit: number;
  readonly windowMs: number;
}

/** Options every simulator accepts. */
export interface SimulatorOptions {
  /** The valid secret (Peach API key, Callbell token, Chatwoot user access token). */
  readonly credentials: string;
  /** Listen port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Sliding window over accepted requests; requests over it are answered 429. */
  readonly rateLimit?: RateLimitOptions;
  /** Delay added to every response. */
  readonly latencyMs?: number;
  /** Items per page of the list endpoints (provider default otherwise). */
  readonly pageSize?: number;
  /** Clock for timestamps in provider data (closedAt, last_activity_at...). Rate limiting always uses real time. */
  readonly now?: () => number;
}
