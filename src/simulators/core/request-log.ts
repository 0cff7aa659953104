import type { RecordedRequest } from './types.js';

interface Waiter {
  readonly count: number;
  readonly resolve: () => void;
}

/** Every request a simulator received, in the order their answers were decided. */
export class RequestLog {
  private entries: RecordedRequest[] = [];
  private waiters: Waiter[] = [];

  record(entry: RecordedRequest): void {
    this.entries.push(entry);
    const ready = this.waiters.filter((waiter) => this.entries.length >= waiter.count);
    this.waiters = this.waiters.filter((waiter) => this.entries.length < waiter.count);
    for (const waiter of ready) waiter.resolve();
  }

  /** A copy, so callers can keep it while the simulator goes on recording. */
  all(): RecordedRequest[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Resolves once at least `count` requests are recorded (counting from the last clear). */
  waitFor(count: number): Promise<void> {
    if (this.entries.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /**
   * The largest number of requests received in any window [t, t + windowMs).
   * Only windows starting at a request matter: sliding a window's start forward
   * to its first request never loses a request from it.
   */
  maxInWindow(windowMs: number): number {
    const times = this.entries.map((entry) => entry.receivedAt).sort((a, b) => a - b);
    let best = 0;
    let end = 0;
    for (let start = 0; start < times.length; start += 1) {
      const windowEnd = (times[start] ?? 0) + windowMs;
      if (end < start) end = start;
      while (end < times.length && (times[end] ?? Infinity) < windowEnd) end += 1;
      best = Math.max(best, end - start);
    }
    return best;
  }
}
