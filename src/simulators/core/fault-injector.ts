import type { SlidingWindowLimiter } from './sliding-window-limiter.js';

/** Extra settings of an injected failure. */
export interface FaultOptions {
  /** For injected 429s: the wait the provider advertises (where it advertises one). Default 1000 ms. */
  readonly retryAfterMs?: number;
}

/** A failure the server must answer instead of running the provider's route. */
export interface PlannedFault {
  readonly status: number;
  readonly retryAfterMs: number;
}

interface QueuedFault {
  readonly status: number;
  readonly options: FaultOptions;
  remaining: number;
}

interface HeldResponses {
  readonly ms: number;
  remaining: number;
}

const DEFAULT_FAULT_RETRY_AFTER_MS = 1000;

/**
 * Runtime-controllable misbehaviour of a simulator, available as `sim.faults`.
 * Faults act in front of the provider logic (like a flaky proxy): a faulted
 * request never reaches the provider's routes, so it changes no state and
 * uses none of the rate-limit budget.
 */
export class FaultInjector {
  private readonly first: QueuedFault[] = [];
  private readonly byTarget = new Map<string, QueuedFault>();
  private readonly holds: HeldResponses[] = [];
  private latency: number;

  constructor(
    private readonly limiter: SlidingWindowLimiter,
    private readonly initial: { readonly latencyMs: number; readonly limit: number | null; readonly windowMs: number },
  ) {
    this.latency = initial.latencyMs;
  }

  /** Changes the rate limit at runtime; `null` turns it off. */
  setRateLimit(limit: number | null, windowMs: number = this.initial.windowMs): void {
    this.limiter.configure(limit, windowMs);
  }

  /** Delay added to every response from now on. */
  setLatency(ms: number): void {
    this.latency = ms;
  }

  /** The next `n` requests, whatever they target, answer `status`. Calls queue up. */
  failFirst(n: number, status: number, options: FaultOptions = {}): void {
    if (n > 0) this.first.push({ status, options, remaining: n });
  }

  /**
   * Requests that target `id` (conversation id, contact uuid, phone number...
   * see each simulator) answer `status` the next `times` times, then behave normally.
   */
  failFor(id: string | number, status: number, times = Infinity, options: FaultOptions = {}): void {
    if (times > 0) this.byTarget.set(String(id), { status, options, remaining: times });
  }

  /**
   * Holds the answers of the next `count` requests for `ms` more, e.g. longer than
   * a client timeout. The request is still processed at once: a client that gave
   * up cannot tell whether its close happened, as with a real slow server.
   */
  hang(ms: number, count = 1): void {
    if (count > 0) this.holds.push({ ms, remaining: count });
  }

  /** Removes every fault and restores the rate limit and latency the simulator started with. */
  clear(): void {
    this.first.length = 0;
    this.byTarget.clear();
    this.holds.length = 0;
    this.latency = this.initial.latencyMs;
    this.limiter.configure(this.initial.limit, this.initial.windowMs);
  }

  /** @internal The server's side: consumes the failure planned for a request with these targets, if any. */
  takeFault(targets: readonly string[]): PlannedFault | undefined {
    const queued = this.first[0];
    if (queued) {
      queued.remaining -= 1;
      if (queued.remaining <= 0) this.first.shift();
      return plan(queued);
    }
    for (const target of targets) {
      const targeted = this.byTarget.get(target);
      if (!targeted) continue;
      targeted.remaining -= 1;
      if (targeted.remaining <= 0) this.byTarget.delete(target);
      return plan(targeted);
    }
    return undefined;
  }

  /** @internal The server's side: consumes how long to hold the next answer. */
  takeDelayMs(): number {
    const hold = this.holds[0];
    if (!hold) return this.latency;
    hold.remaining -= 1;
    if (hold.remaining <= 0) this.holds.shift();
    return this.latency + hold.ms;
  }
}

function plan(fault: QueuedFault): PlannedFault {
  return { status: fault.status, retryAfterMs: fault.options.retryAfterMs ?? DEFAULT_FAULT_RETRY_AFTER_MS };
}
