import { STATUS_CODES } from 'node:http';
import type { RetryAfterMode, SimResponse } from './types.js';

export function jsonResponse(status: number, json: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, json, headers };
}

export function textResponse(status: number, text: string, contentType = 'text/plain'): SimResponse {
  return { status, text, headers: { 'content-type': contentType } };
}

/** The standard reason phrase, e.g. 503 → "Service Unavailable". */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/**
 * The Retry-After header for a wait of `retryAfterMs`, rounded up so a client
 * that obeys it is admitted. An HTTP date has whole-second precision, so the
 * instant itself is rounded up rather than the duration.
 */
export function retryAfterHeader(
  mode: RetryAfterMode,
  retryAfterMs: number,
  now: number = Date.now(),
): Record<string, string> {
  switch (mode) {
    case 'none':
      return {};
    case 'seconds':
      return { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) };
    case 'http-date':
      return { 'retry-after': new Date(Math.ceil((now + retryAfterMs) / 1000) * 1000).toUTCString() };
  }
}

/** The JSON 429 of Peach and Callbell, advertising the wait the way the simulator was told to. */
export function tooManyRequests(mode: RetryAfterMode | undefined, retryAfterMs: number): SimResponse {
  return jsonResponse(429, { error: 'Too Many Requests' }, retryAfterHeader(mode ?? 'seconds', retryAfterMs));
}
