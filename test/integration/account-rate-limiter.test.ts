import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { RateLimit } from '../../src/config/rate.js';
import { createAccountRateLimiter, leaseSizeFor, type AccountRateLimiter } from '../../src/rate-limit/account-rate-limiter.js';
import { AccountBlockedError, RateLimitDeferredError } from '../../src/rate-limit/rate-limit-errors.js';
import { rate } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

/** The most timestamps in any half-open window [t, t + windowMs). */
function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let start = 0, end = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end += 1;
    best = Math.max(best, end - start);
  }
  return best;
}

/** Resolves once MONITOR has reported `name` (it reports commands after running them, on a connection of its own). */
async function waitForCommand(monitor: Redis, seen: string[], name: string): Promise<void> {
  if (seen.includes(name)) return;
  await new Promise<void>((resolve) => {
    const check = () => {
      if (!seen.includes(name)) return;
      monitor.off('monitor', check);
      resolve();
    };
    monitor.on('monitor', check);
  });
}

/** Waits for a permit and "sends" at once, noting the time. */
async function sendOne(limiter: AccountRateLimiter, sent: number[]): Promise<void> {
  const permit = await limiter.acquire();
  const at = performance.now();
  permit.sent(at);
  sent.push(at);
}

describe('account rate limiter (real Redis)', () => {
  let server: TestRedis;
  const connections: Redis[] = [];

  /** A limiter on a connection of its own: one per simulated worker process. */
  const limiterFor = (account: string, limit: RateLimit, leaseSize?: number) => {
    const redis = new Redis(server.url);
    connections.push(redis);
    return createAccountRateLimiter({ redis, key: `{test}:limiter:${account}`, logKey: `{test}:sent:${account}`, rate: limit, leaseSize });
  };
  const sendLogSize = (account: string) => connections[0]!.zcard(`{test}:sent:${account}`);
  /** Scripts Redis has run so far, by hash or by text (every limiter check is one). */
  const scriptsRun = async () => {
    const stats = await connections[0]!.info('commandstats');
    return [...stats.matchAll(/cmdstat_(?:eval|evalsha):calls=(\d+)/g)].reduce((sum, [, calls]) => sum + Number(calls), 0);
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(connections.map((redis) => redis.quit()));
    await server.stop();
  });

  it('never lets more than max requests into any sliding window, across connections', async () => {
    const account = randomUUID();
    const limiters = [0, 1, 2].map(() => limiterFor(account, rate('10/200ms')));
    const sent: number[] = [];
    await Promise.all(Array.from({ length: 60 }, (_, index) => sendOne(limiters[index % 3]!, sent)));
    expect(sent).toHaveLength(60);
    expect(maxInWindow(sent, 200)).toBeLessThanOrEqual(10);
  });

  it('makes later requests wait for one that left late, instead of bunching up behind it', async () => {
    const account = randomUUID();
    const [a, b] = [limiterFor(account, rate('2/300ms')), limiterFor(account, rate('2/300ms'))];
    const first = await a.acquire();
    // The first request only leaves 200 ms after its permit (a cold connection, a stalled process).
    const firstLeft = performance.now() + 200;
    await sleep(200);
    first.sent(firstLeft);
    const times = [firstLeft];
    for (const limiter of [b, a, b]) {
      const permit = await limiter.acquire();
      times.push(performance.now());
      permit.sent(performance.now());
    }
    expect(maxInWindow(times, 300)).toBeLessThanOrEqual(2);
  });

  it('at a high limit, one check grants a lease that the other callers share', async () => {
    const account = randomUUID();
    // A one-minute window: its lease lasts 375 ms, so a slow round trip on a busy machine cannot outlast it.
    const limiter = limiterFor(account, rate('6000000/1m'), 10);
    const before = await scriptsRun();
    // Four callers take four of the ten: fewer than half of the lease, so no refill yet.
    const permits = await Promise.all(Array.from({ length: 4 }, () => limiter.acquire()));
    expect(permits).toHaveLength(4);
    expect((await scriptsRun()) - before).toBe(1);
    expect(await sendLogSize(account)).toBe(10);
  });

  it('asks for the next lease once half of one is taken, before it runs out', async () => {
    const account = randomUUID();
    const limiter = limiterFor(account, rate('6000000/1m'), 10);
    const connection = connections.at(-1)!;
    const before = await scriptsRun();
    for (let send = 1; send <= 30; send += 1) {
      await limiter.acquire();
      // A refill in flight has landed once this answers: one connection is answered in order.
      await connection.ping();
    }
    // The first check, then refills at the 5th, 15th and 25th send: without them, the 11th and 21st callers would each wait for a check (3 in all).
    expect((await scriptsRun()) - before).toBe(4);
    expect(await sendLogSize(account)).toBe(40);
  });

  it('never lets more than max into any sliding window with leases enabled, across connections', async () => {
    const account = randomUUID();
    // 1,000 per 100 ms: leases of up to 10 sends.
    const limiters = [0, 1, 2].map(() => limiterFor(account, rate('1000/100ms'), 10));
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async (_, caller) => {
        for (let request = 0; request < 100; request += 1) await sendOne(limiters[caller % 3]!, sent);
      }),
    );
    expect(sent).toHaveLength(3_000);
    expect(maxInWindow(sent, 100)).toBeLessThanOrEqual(1_000);
  });

  it('takes the sends of a lapsed lease out of the log with the next check, not with a command of their own', async () => {
    const account = randomUUID();
    const limiter = limiterFor(account, rate('100000/s'), 5);
    await limiter.acquire();
    expect(await sendLogSize(account)).toBe(5);
    // monitor() opens a connection of its own; the one it came from is closed with the others.
    const watcher = new Redis(server.url);
    connections.push(watcher);
    const monitor = await watcher.monitor();
    const commands: string[] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args[0] !== 'ping') commands.push(args[0]!.toLowerCase());
    });
    try {
      // A lease lasts a quarter of the 25 ms margin.
      await sleep(20);
      await limiter.acquire();
      // The first send and the new lease's five; the four unused from the first lease are gone.
      expect(await sendLogSize(account)).toBe(6);
      await waitForCommand(monitor, commands, 'zcard');
      expect(commands).toEqual(['evalsha', 'zcard']);
    } finally {
      monitor.disconnect();
    }
  });

  it('leases only where slots are dense: none at 250/s, a few at 1,000/s, the concurrency at 10,000/s', () => {
    const spacingUs = (perSecond: number) => Math.ceil(1_025_000 / perSecond);
    expect(leaseSizeFor(10, spacingUs(250), 6.25)).toBe(1);
    expect(leaseSizeFor(10, spacingUs(1_000), 6.25)).toBe(3);
    expect(leaseSizeFor(10, spacingUs(10_000), 6.25)).toBe(10);
    expect(leaseSizeFor(1, spacingUs(10_000), 6.25)).toBe(1);
  });

  it('pauses every caller during a block and reports its length', async () => {
    const account = randomUUID();
    const limiter = limiterFor(account, rate('100/1s'));
    const other = limiterFor(account, rate('100/1s'));
    const pause = await limiter.block(5_000);
    expect(pause).toBeGreaterThan(4_900);
    expect(pause).toBeLessThanOrEqual(5_000);
    const error = await other.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccountBlockedError);
    expect((error as AccountBlockedError).waitMs).toBeGreaterThan(4_000);
    expect(await other.blockedFor()).toBeGreaterThan(4_000);
    // A shorter block never shortens a longer one.
    expect(await other.block(10)).toBeGreaterThan(4_000);
  });

  it('does not block accounts that share nothing', async () => {
    const blocked = limiterFor(randomUUID(), rate('5/s'));
    const free = limiterFor(randomUUID(), rate('5/s'));
    await blocked.block(60_000);
    await expect(free.acquire()).resolves.toEqual({ sent: expect.any(Function) });
    expect(await free.blockedFor()).toBe(0);
  });

  it('defers instead of holding a slot that is far away', async () => {
    const limiter = limiterFor(randomUUID(), rate('1/1h'));
    await limiter.acquire();
    // The slot after the first is an hour away: the second caller is told to come back, not put to sleep.
    const error = await limiter.acquire().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitDeferredError);
    expect((error as RateLimitDeferredError).waitMs).toBeGreaterThan(3_600_000 * 0.99);
  });

  it('stops waiting when the caller aborts', async () => {
    const limiter = limiterFor(randomUUID(), rate('1/5s'));
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow();
  });
});
