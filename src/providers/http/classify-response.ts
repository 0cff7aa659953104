/**
 * The one table that turns a provider's HTTP answer into what the queue does
 * with it. Rows are tried in order; the first match wins.
 */
export type Classification =
  | { kind: 'success' }
  | { kind: 'already_closed' }
  | { kind: 'rate_limited'; retryAfterMs: number }
  | { kind: 'retryable' }
  | { kind: 'unauthorized' }
  | { kind: 'permanent' };

export interface ResponseFacts {
  status: number;
  /** Value of the Retry-After header, if any. */
  retryAfter: string | undefined;
  body: string;
  now: number;
  /** How long to wait after a 429 that names no wait; each provider has its own idea. */
  rateLimitFallbackMs: (now: number) => number;
}

/**
 * Peach answers 422 for "object in the wrong state" and Callbell documents no
 * error bodies, so an explicit "already closed/resolved" in a 409/422 body is
 * taken as the close having nothing left to do, which is a success.
 */
const ALREADY_CLOSED = /already[\s_-]*(closed|resolved)/i;

type Kind = Classification['kind'];
const TABLE: { kind: Kind; matches: (facts: ResponseFacts) => boolean }[] = [
  { kind: 'success', matches: ({ status }) => status >= 200 && status < 300 },
  { kind: 'already_closed', matches: ({ status, body }) => (status === 409 || status === 422) && ALREADY_CLOSED.test(body) },
  { kind: 'rate_limited', matches: ({ status }) => status === 429 },
  { kind: 'retryable', matches: ({ status }) => status === 408 || (status >= 500 && status < 600) },
  { kind: 'unauthorized', matches: ({ status }) => status === 401 || status === 403 },
  // Other 4xx, and 1xx/3xx: redirects are not followed (they would carry credentials elsewhere), so they are a misconfiguration.
  { kind: 'permanent', matches: () => true },
];

export function classifyResponse(facts: ResponseFacts): Classification {
  const kind = TABLE.find((row) => row.matches(facts))!.kind;
  if (kind === 'rate_limited') {
    return { kind, retryAfterMs: parseRetryAfter(facts.retryAfter, facts.now) ?? facts.rateLimitFallbackMs(facts.now) };
  }
  return { kind } as Classification;
}

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Milliseconds until the next window of a limiter whose windows are aligned to the epoch, plus a margin for clock skew. */
export function untilNextWindow(windowMs: number, marginMs: number): (now: number) => number {
  return (now) => windowMs - (now % windowMs) + marginMs;
}
