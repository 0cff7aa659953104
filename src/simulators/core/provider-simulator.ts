import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { FaultInjector } from './fault-injector.js';
import { startHttpServer, type RunningServer } from './http-server.js';
import { readIncomingRequest, type ReadRequest } from './incoming-request.js';
import { RequestLog } from './request-log.js';
import type { RouteTable } from './route-table.js';
import { SlidingWindowLimiter } from './sliding-window-limiter.js';
import type { RecordedRequest, SimRequest, SimResponse, SimulatorOptions } from './types.js';

const DEFAULT_WINDOW_MS = 1000;

/**
 * The part every provider simulator shares: a loopback HTTP server, the request
 * log, fault injection and rate limiting. A request goes through
 * faults → rate limiter → provider route, so the provider code only ever sees
 * requests that a real provider would have processed.
 */
export abstract class ProviderSimulator {
  /** Runtime-controllable failures, latency and rate limit. */
  readonly faults: FaultInjector;
  /**
   * Exceptions thrown by the simulator's own route code (answered as the
   * provider's 500, without details). Tests can assert this stays empty.
   */
  readonly internalErrors: unknown[] = [];
  /** Clock for timestamps in provider data. */
  protected readonly now: () => number;

  private readonly log = new RequestLog();
  private readonly limiter: SlidingWindowLimiter;
  private readonly lifetime = new AbortController();
  private server: RunningServer | undefined;

  protected constructor(options: SimulatorOptions) {
    this.now = options.now ?? Date.now;
    // Every response held back by injected latency listens on this signal; hundreds at once is normal.
    setMaxListeners(0, this.lifetime.signal);
    const limit = options.rateLimit?.limit ?? null;
    const windowMs = options.rateLimit?.windowMs ?? DEFAULT_WINDOW_MS;
    this.limiter = new SlidingWindowLimiter(limit, windowMs);
    this.faults = new FaultInjector(this.limiter, { latencyMs: options.latencyMs ?? 0, limit, windowMs });
  }

  /** The base URL a provider client is configured with. */
  get url(): string {
    if (!this.server) throw new Error('The simulator is not listening');
    return this.server.origin + this.basePath;
  }

  /** Every request received since start or the last `clearRequests()`, faulted and rate-limited ones included. */
  get requests(): RecordedRequest[] {
    return this.log.all();
  }

  clearRequests(): void {
    this.log.clear();
  }

  /** The most requests received in any sliding window [t, t + windowMs), whatever they were answered. */
  maxInWindow(windowMs: number): number {
    return this.log.maxInWindow(windowMs);
  }

  /** Resolves once `count` requests are recorded, so tests await arrivals instead of sleeping. */
  waitForRequests(count: number): Promise<void> {
    return this.log.waitFor(count);
  }

  async close(): Promise<void> {
    this.lifetime.abort();
    await this.server?.close();
    this.server = undefined;
  }

  protected async listen(port = 0): Promise<void> {
    this.server = await startHttpServer((message, response) => this.serve(message, response), port);
  }

  /** Path appended to the origin in `url` (Callbell's `/v1`). */
  protected abstract readonly basePath: string;
  protected abstract readonly routes: RouteTable;
  /** The provider's answer for an error status (404 unknown path, 413, 500, injected faults...). */
  protected abstract errorResponse(status: number, request: SimRequest): SimResponse;
  /** The provider's 429, advertising a wait of `retryAfterMs` where it advertises one. */
  protected abstract rateLimitedResponse(retryAfterMs: number): SimResponse;
  /** The provider's answer to a body declared as JSON that does not parse. */
  protected abstract malformedJsonResponse(request: SimRequest): SimResponse;

  private async serve(message: IncomingMessage, response: ServerResponse): Promise<void> {
    const request = await readIncomingRequest(message);
    // One reading, taken once the body is in, both judges the request against the rate limit and
    // is recorded: the limiter then sees requests in the order of their stamps, and its 429s agree
    // with maxInWindow. Sub-millisecond, so maxInWindow cannot hide a request 0.9 ms inside a window.
    const receivedAt = performance.timeOrigin + performance.now();
    const answer = this.decide(request, receivedAt);
    this.log.record(recordOf(request, answer.status, receivedAt));
    const holdMs = this.faults.takeDelayMs();
    if (holdMs > 0) {
      try {
        await delay(holdMs, undefined, { signal: this.lifetime.signal });
      } catch {
        return; // closing: the connection is being dropped anyway
      }
    }
    send(response, answer);
  }

  private decide(request: ReadRequest, receivedAt: number): SimResponse {
    const route = this.routes.match(request);
    const fault = this.faults.takeFault(route?.targets ?? []);
    if (fault) {
      return fault.status === 429
        ? this.rateLimitedResponse(fault.retryAfterMs)
        : this.errorResponse(fault.status, request);
    }
    const admission = this.limiter.tryAcquire(receivedAt);
    if (!admission.allowed) return this.rateLimitedResponse(admission.retryAfterMs);
    if (request.tooLarge) return this.errorResponse(413, request);
    if (!route) return this.errorResponse(404, request);
    if (request.malformedJson) return this.malformedJsonResponse(request);
    try {
      return route.handle();
    } catch (error) {
      this.internalErrors.push(error);
      return this.errorResponse(500, request);
    }
  }
}

function recordOf(request: ReadRequest, status: number, receivedAt: number): RecordedRequest {
  const { method, path, query, headers, body, rawBody } = request;
  return { method, path, query, headers, body, rawBody, status, receivedAt };
}

function send(response: ServerResponse, answer: SimResponse): void {
  if (response.destroyed) return;
  response.statusCode = answer.status;
  for (const [name, value] of Object.entries(answer.headers ?? {})) response.setHeader(name, value);
  if (answer.text !== undefined) {
    response.end(answer.text);
    return;
  }
  if (answer.json === undefined) {
    response.end();
    return;
  }
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.end(JSON.stringify(answer.json));
}
