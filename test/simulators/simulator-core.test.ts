import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RequestLog } from '../../src/simulators/core/request-log.js';
import { retryAfterHeader } from '../../src/simulators/core/responses.js';
import { RouteTable } from '../../src/simulators/core/route-table.js';
import { SlidingWindowLimiter } from '../../src/simulators/core/sliding-window-limiter.js';
import type { SimRequest } from '../../src/simulators/core/types.js';
import { recordedRequest } from '../helpers/recorded-request.js';

/** A hand-moved clock, so window arithmetic is exact. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

const at = (receivedAt: number) => recordedRequest({ receivedAt });

describe('SlidingWindowLimiter', () => {
  it('admits `limit` requests per window and tells how long until the next one fits', () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter(2, 1000);
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: true });
    clock.advance(300);
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: true });
    clock.advance(100);
    // The first acceptance (t=0) leaves the window at t=1000, 600 ms from now.
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: false, retryAfterMs: 600 });
    clock.advance(599);
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: true });
    // Now t=1000: the accepted ones are at 300 and 1000; the next slot opens at 1300.
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: false, retryAfterMs: 300 });
  });

  it('does not count rejected requests against the window', () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter(1, 1000);
    expect(limiter.tryAcquire(clock.now()).allowed).toBe(true);
    for (let i = 0; i < 5; i += 1) {
      clock.advance(100);
      expect(limiter.tryAcquire(clock.now()).allowed).toBe(false);
    }
    clock.advance(500); // t = 1000: only the single acceptance at t = 0 ever counted
    expect(limiter.tryAcquire(clock.now()).allowed).toBe(true);
  });

  it('can be turned off and lowered at runtime', () => {
    const clock = manualClock();
    const limiter = new SlidingWindowLimiter(null, 1000);
    for (let i = 0; i < 10; i += 1) expect(limiter.tryAcquire(clock.now()).allowed).toBe(true);
    limiter.configure(3);
    // Ten acceptances are still in the window: the 8th oldest must leave before a fourth fits.
    expect(limiter.tryAcquire(clock.now())).toEqual({ allowed: false, retryAfterMs: 1000 });
    limiter.configure(0);
    expect(limiter.tryAcquire(clock.now()).allowed).toBe(false);
  });

  it('agrees with RequestLog.maxInWindow on the same stamps: accepted ones never exceed the limit, every refusal is explained', () => {
    // Gaps that divide the window land requests exactly on a window's edge; fractional ones probe rounding.
    const gap = fc.oneof(fc.constantFrom(0, 125, 250, 500, 1_000), fc.integer({ min: 0, max: 1_200 }), fc.double({ min: 0, max: 1_200, noNaN: true }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.array(gap, { minLength: 1, maxLength: 60 }), (limit, gaps) => {
        const limiter = new SlidingWindowLimiter(limit, 1000);
        const accepted = new RequestLog();
        let now = 1_000_000;
        for (const ms of gaps) {
          now += ms;
          if (limiter.tryAcquire(now).allowed) {
            accepted.record(at(now));
            expect(accepted.maxInWindow(1000)).toBeLessThanOrEqual(limit);
          } else {
            // The refused request and the accepted ones before it fill some window past the limit.
            const withRefused = new RequestLog();
            for (const request of [...accepted.all(), at(now)]) withRefused.record(request);
            expect(withRefused.maxInWindow(1000)).toBe(limit + 1);
          }
        }
      }),
    );
  });
});

describe('RequestLog.maxInWindow', () => {
  it('finds the busiest half-open window [t, t + windowMs)', () => {
    const log = new RequestLog();
    for (const time of [0, 100, 999, 1000, 1500, 1999, 2000, 2001]) log.record(at(time));
    // [1500, 2500) holds 1500, 1999, 2000, 2001; [1000, 2000) holds only 3 because the end is open.
    expect(log.maxInWindow(1000)).toBe(4);
    expect(log.maxInWindow(1)).toBe(1);
    expect(log.maxInWindow(3000)).toBe(8);
  });

  it('does not care about recording order and is 0 when empty', () => {
    const log = new RequestLog();
    expect(log.maxInWindow(1000)).toBe(0);
    for (const time of [500, 0, 250]) log.record(at(time));
    expect(log.maxInWindow(251)).toBe(2);
    expect(log.maxInWindow(501)).toBe(3);
  });

  it('resolves waiters once enough requests are recorded', async () => {
    const log = new RequestLog();
    let resolved = false;
    const waiting = log.waitFor(2).then(() => (resolved = true));
    log.record(at(0));
    await Promise.resolve();
    expect(resolved).toBe(false);
    log.record(at(1));
    await waiting;
    expect(resolved).toBe(true);
  });
});

describe('retryAfterHeader', () => {
  it('rounds the wait up to whole seconds', () => {
    expect(retryAfterHeader('seconds', 1)).toEqual({ 'retry-after': '1' });
    expect(retryAfterHeader('seconds', 2000)).toEqual({ 'retry-after': '2' });
    expect(retryAfterHeader('seconds', 2001)).toEqual({ 'retry-after': '3' });
    expect(retryAfterHeader('none', 5000)).toEqual({});
  });

  it('gives an HTTP date at or after the moment the window admits a request', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 10, 900);
    const header = retryAfterHeader('http-date', 500, now)['retry-after'];
    expect(header).toBe('Thu, 01 Jan 2026 12:00:12 GMT');
    expect(Date.parse(header ?? '')).toBeGreaterThanOrEqual(now + 500);
  });
});

describe('RouteTable', () => {
  const request = (method: string, path: string): SimRequest => ({
    method,
    path,
    rawQuery: '',
    query: {},
    headers: {},
    rawBody: '',
    body: undefined,
    json: undefined,
    malformedJson: false,
  });
  const table = new RouteTable([
    {
      method: 'POST',
      pattern: '/contacts/:uuid/close',
      targets: (params) => [params.uuid ?? ''],
      handle: (_request, params) => ({ status: 200, json: params }),
    },
  ]);

  it('matches method and path, decodes parameters and reports targets', () => {
    const matched = table.match(request('POST', '/contacts/a%20b/close/'));
    expect(matched?.targets).toEqual(['a b']);
    expect(matched?.handle()).toEqual({ status: 200, json: { uuid: 'a b' } });
  });

  it('does not match another method, a longer path or broken escapes', () => {
    expect(table.match(request('GET', '/contacts/x/close'))).toBeUndefined();
    expect(table.match(request('POST', '/contacts/x/y/close'))).toBeUndefined();
    expect(table.match(request('POST', '/contacts/%E0%A4%A/close'))).toBeUndefined();
  });
});
