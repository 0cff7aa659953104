import { AbortError as GotAbortError, RequestError, TimeoutError, type Got } from 'got';
import type { ProviderName } from '../../config/types.js';
import {
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnauthorizedError,
  ProviderUnavailableError,
  type ProviderErrorDetails,
} from '../../errors/provider-error.js';
import type { CallOptions } from '../types.js';
import { classifyResponse } from './classify-response.js';
import { excerpt } from './excerpt.js';
import { requestText } from './request-text.js';

/** The rate limiter's permission for one request (see rate-limit/account-rate-limiter.ts). */
export interface SendPermit {
  sent(atLocalMs: number): void;
}

/** Everything a client needs to talk to one account of one provider. */
export interface Transport {
  provider: ProviderName;
  http: Got;
  /** API root without a trailing slash (Callbell's includes `/v1`). */
  baseUrl: string;
  /** Values that must never leave in an error: the account's credentials. */
  secrets: readonly string[];
  rateLimitFallbackMs: (now: number) => number;
  /**
   * Awaited before every HTTP request: where the account's rate limiter waits
   * for its turn. The permit is told when the request really left.
   */
  acquireSend?: () => Promise<SendPermit>;
  /** Told about every request once it is settled: HTTP status, or `timeout` / `network`. */
  observe?: (operation: string, status: string, seconds: number) => void;
  now?: () => number;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface ProviderRequest {
  /** Short name for errors, logs and metrics: `close`, `list`, ... */
  operation: string;
  method: 'GET' | 'POST' | 'PATCH';
  /** Appended to the base URL; callers encode path segments. */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  json?: unknown;
}

export interface ProviderResponse {
  status: number;
  outcome: 'success' | 'already_closed';
  /** Parsed JSON; undefined for an empty body or an already-closed answer. */
  body: unknown;
}

/**
 * One HTTP request to a provider, turned into a parsed body or a
 * `ProviderError` from the classification table. Never retries.
 */
export async function sendRequest(transport: Transport, request: ProviderRequest, options: CallOptions = {}): Promise<ProviderResponse> {
  const details = (status?: number, body?: string): ProviderErrorDetails => ({
    provider: transport.provider,
    operation: request.operation,
    status,
    bodyExcerpt: body === undefined ? undefined : excerpt(body, transport.secrets),
  });

  const permit = await transport.acquireSend?.();
  const started = performance.now();
  const observe = (status: string) => transport.observe?.(request.operation, status, (performance.now() - started) / 1000);
  let response;
  try {
    response = await requestText(
      transport.http,
      `${transport.baseUrl}${request.path}`,
      { method: request.method, headers: request.headers, searchParams: toSearchParams(request.query), json: request.json, signal: options.signal },
      // 'finish': the request is handed to the OS, which is when it counts against the provider's limit.
      permit && ((outgoing) => outgoing.once('finish', () => permit.sent(performance.now()))),
    );
  } catch (error) {
    if (error instanceof GotAbortError || options.signal?.aborted) throw options.signal?.reason ?? error;
    // got's own error carries the request options, headers included: keep only its code, never the object.
    if (error instanceof TimeoutError) {
      observe('timeout');
      throw new ProviderUnavailableError(details(), 'timeout', `no answer within the timeout (${error.event})`);
    }
    if (error instanceof RequestError) {
      observe('network');
      throw new ProviderUnavailableError(details(), 'network', `network error ${error.code}`);
    }
    throw error;
  }

  const status = response.statusCode;
  observe(String(status));
  const text = response.body;
  const now = transport.now?.() ?? Date.now();
  const retryAfter = response.headers['retry-after'];
  const verdict = classifyResponse({ status, retryAfter, body: text, now, rateLimitFallbackMs: transport.rateLimitFallbackMs });
  switch (verdict.kind) {
    case 'success':
      return { status, outcome: 'success', body: parseBody(text, () => details(status, text)) };
    case 'already_closed':
      return { status, outcome: 'already_closed', body: undefined };
    case 'rate_limited':
      throw new ProviderRateLimitedError(details(status, text), verdict.retryAfterMs);
    case 'retryable':
      throw new ProviderUnavailableError(details(status, text), 'http', `provider error (HTTP ${status})`);
    case 'unauthorized':
      throw new ProviderUnauthorizedError(details(status, text));
    case 'permanent':
      throw new ProviderRejectedError(details(status, text));
  }
}

function toSearchParams(query: ProviderRequest['query']): URLSearchParams | undefined {
  if (!query) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  return params;
}

function parseBody(text: string, details: () => ProviderErrorDetails): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderRejectedError(details(), 'answered with a body that is not JSON');
  }
}
