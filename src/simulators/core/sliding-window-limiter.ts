export type AdmissionResult = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Sliding-window rate limiter over accepted requests: a request at time t is
 * accepted when fewer than `limit` accepted requests fall in (t - windowMs, t].
 * Rejected requests do not count, so a client that backs off is not punished
 * for the 429s it received.
 *
 * The caller passes each request's time: the simulator judges a request by the
 * same sub-millisecond stamp it records, so its 429s and the request log's
 * `maxInWindow` agree. (It once judged by a second, whole-millisecond reading
 * of `Date.now()`, and answered a 429 that the log's stamps did not explain.)
 */
export class SlidingWindowLimiter {
  /** Acceptance times, oldest first, from index `head` on (expired ones are skipped, then compacted in bulk). */
  private accepted: number[] = [];
  private head = 0;

  constructor(
    private limit: number | null,
    private windowMs: number,
  ) {}

  /** Changes the limit (null turns limiting off); acceptances already in the window still count. */
  configure(limit: number | null, windowMs: number = this.windowMs): void {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Judges a request arriving at `now` (ms, fractions allowed; never earlier than the last call's). */
  tryAcquire(now: number): AdmissionResult {
    this.forgetBefore(now - this.windowMs);
    // Acceptances are tracked even while limiting is off, so a limit switched
    // on at runtime sees the traffic already in the window, as a provider would.
    if (this.limit === null || this.accepted.length - this.head < this.limit) {
      this.accepted.push(now);
      return { allowed: true };
    }
    // A request is admitted again once enough of the oldest acceptances have
    // left the window to bring the count below the limit.
    const blocking = this.accepted[this.accepted.length - this.limit];
    const retryAfterMs = blocking === undefined ? this.windowMs : blocking + this.windowMs - now;
    return { allowed: false, retryAfterMs: Math.max(1, retryAfterMs) };
  }

  private forgetBefore(cutoff: number): void {
    while (this.head < this.accepted.length && (this.accepted[this.head] ?? Infinity) <= cutoff) this.head += 1;
    // Copying on every request would cost O(window) each at benchmark rates; compact once half is stale.
    if (this.head > 1024 && this.head * 2 > this.accepted.length) {
      this.accepted = this.accepted.slice(this.head);
      this.head = 0;
    }
  }
}
