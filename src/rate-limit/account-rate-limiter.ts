import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../redis/create-redis.js';
import type { RateLimit } from '../config/rate.js';
import type { SendPermit } from '../providers/http/send-request.js';
import { BLOCK_SCRIPT, BLOCKED_SCRIPT, RESERVE_SCRIPT, SEND_SCRIPT, SENT_LATE_SCRIPT } from './pace-script.js';
import { AccountBlockedError, RateLimitDeferredError } from './rate-limit-errors.js';

/**
 * The schedule's spacing is the window divided by the count, stretched by a
 * margin for the jitter between a request leaving and the provider stamping it
 * (network, the provider's own scheduling): 2.5% of the window, at least 25 ms.
 * With a backlog the margin costs 2.5% of the rate (for windows of 1 s or
 * more), so a backlog runs at 97.5% of the limit. With 2% (20 ms), a CI run on
 * a busy two-core machine once had the simulator (sharing the CPUs with three
 * workers) answer one of 600 requests with something other than 200, most
 * likely a 429: its stamps are that noisy there.
 */
const STRETCH = 0.025;
const MIN_MARGIN_MS = 25;
/** Callers never hold on to a wait longer than this; slower limits defer the job instead. */
const LONGEST_HOLD_MS = 10_000;
/**
 * Send times are corrected in the log only when the request left later than
 * a quarter of the margin after its check: smaller delays are what the margin
 * is for, and skipping them saves a round trip on most requests.
 */
const CORRECTION_SHARE = 0.25;
/** Lapsed sends held for the next check before they are removed on their own. */
const MOST_LAPSED_HELD = 100;

export interface AccountRateLimiter {
  /** Resolves when one request may be sent now. Throws AccountBlockedError during a 429 pause, RateLimitDeferredError when the wait is long. */
  acquire(signal?: AbortSignal): Promise<SendPermit>;
  /** Pauses the account (every process) for `ms` after a provider's 429; returns how long the pause lasts. */
  block(ms: number): Promise<number>;
  /** Milliseconds the account stays paused by a 429, 0 when it is not. */
  blockedFor(): Promise<number>;
}

type Scripts = {
  closerReserve(key: string, log: string, spacingUs: number, longestHoldUs: number, windowUs: number, max: number, member: string, lease: number, leaseUs: number, ...lapsed: string[]): Promise<[number, number, number]>;
  closerSend(key: string, log: string, windowUs: number, max: number, member: string): Promise<[number, number]>;
  closerSentLate(log: string, member: string, delayUs: number): Promise<number>;
  closerBlocked(key: string): Promise<number>;
  closerBlock(key: string, pauseUs: number): Promise<number>;
};

/** Registers the scripts on a connection once; ioredis then runs them by SHA. */
function withScripts(redis: RedisClient): RedisClient & Scripts {
  if (!('closerReserve' in redis)) {
    redis.defineCommand('closerReserve', { numberOfKeys: 2, lua: RESERVE_SCRIPT });
    redis.defineCommand('closerSend', { numberOfKeys: 2, lua: SEND_SCRIPT });
    redis.defineCommand('closerSentLate', { numberOfKeys: 1, lua: SENT_LATE_SCRIPT });
    redis.defineCommand('closerBlocked', { numberOfKeys: 1, lua: BLOCKED_SCRIPT });
    redis.defineCommand('closerBlock', { numberOfKeys: 1, lua: BLOCK_SCRIPT });
  }
  return redis as RedisClient & Scripts;
}

export interface AccountRateLimiterOptions {
  redis: RedisClient;
  /** The account's limiter hash; under the account's hash tag. */
  key: string;
  /** The account's send log (sorted set); same hash tag. */
  logKey: string;
  rate: RateLimit;
  /** Told how long each request waited for its turn (metrics). */
  onWait?: (ms: number) => void;
  /** Told when a caller goes to sleep for its slot; the function it returns is called when it wakes (the dispatcher frees its slot meanwhile). */
  onSleep?: () => () => void;
  /**
   * Most sends one check may grant at once (the callers' concurrency): only
   * for limits so high that a round trip to Redis per request costs more
   * than it protects (see `leaseSizeFor`).
   */
  leaseSize?: number;
}

/** A send recorded in the log ahead of time, for any caller of this process to take without asking Redis. */
interface LeasedSend {
  member: string;
  /** Local time no later than the log's entry for it, so a correction counts from here. */
  recordedAt: number;
  /** After this it may no longer be taken: it leaves the log instead. */
  lapsesAt: number;
}

/**
 * How many sends one check may grant. The log records a lease's sends at the
 * end of its life, the latest they may be taken, so one taken then and sent
 * at once needs no correction. Its life is the correction threshold. The
 * lease takes at most half of that time's slots of the schedule, and the
 * next one is asked for only once half of it is taken (see `acquire`), so
 * lapsed sends never push the schedule ahead of real time. For a one-second window
 * the threshold is 6.25 ms: 250/s gets no lease, 1,000/s up to 3 sends,
 * 10,000/s up to the concurrency.
 */
export function leaseSizeFor(concurrency: number, spacingUs: number, correctAfterMs: number): number {
  return Math.max(1, Math.min(concurrency, Math.floor((correctAfterMs * 1000) / (2 * spacingUs))));
}

/**
 * Keeps one account under its limit across every worker process, in two steps:
 *
 * 1. Pacing: each request reserves the next slot of an evenly spaced schedule
 *    kept in Redis and sleeps until it. Requests go out smoothly, never in
 *    bursts, and with a backlog the schedule runs full.
 * 2. The guarantee: just before sending, a script checks the log of requests
 *    really sent in the window and records this one. A request that left late
 *    (a cold TCP connection, a stalled process) is moved later in the log by
 *    its delay, so later requests wait for it instead of bunching up behind it.
 *    Only durations cross between processes: no clock has to agree with Redis.
 *
 * So no sliding window ever holds more than `max` requests, measured at the
 * moment they leave, whatever the processes' delays.
 *
 * For limits far above what one round trip per request can reach (thousands
 * a second), one check may record several sends at once, a lease the
 * process's other callers take without asking Redis; what a lease grants
 * obeys the same log, and a send not taken in time lapses.
 */
export function createAccountRateLimiter({ redis: connection, key, logKey, rate, onWait, onSleep, leaseSize = 1 }: AccountRateLimiterOptions): AccountRateLimiter {
  const redis = withScripts(connection);
  const marginMs = Math.max(rate.windowMs * STRETCH, MIN_MARGIN_MS);
  const spacingUs = Math.ceil(((rate.windowMs + marginMs) * 1000) / rate.max);
  // The log holds the same margin as the schedule: after a late request, the next ones keep it too.
  const windowUs = (rate.windowMs + marginMs) * 1000;
  const prefix = randomBytes(6).toString('hex');
  let sequence = 0;

  /** Sleeps for a slot, telling onSleep: a caller asleep here holds no CPU and no connection. */
  async function pause(waitMs: number, signal?: AbortSignal): Promise<void> {
    const awake = onSleep?.();
    try {
      await sleep(waitMs, undefined, { signal });
    } finally {
      awake?.();
    }
  }

  async function waitOrDefer(waitMs: number, signal?: AbortSignal): Promise<void> {
    if (waitMs > LONGEST_HOLD_MS) throw new RateLimitDeferredError(Math.ceil(waitMs));
    await pause(waitMs, signal);
  }

  const nextMember = () => `${prefix}-${(sequence += 1)}`;
  const correctAfterMs = Math.max(1, marginMs * CORRECTION_SHARE);
  const leaseMax = leaseSizeFor(leaseSize, spacingUs, correctAfterMs);
  const leaseLifeUs = Math.round(correctAfterMs * 1000);
  /**
   * Refilled when half of a lease is taken, so a steady stream of callers
   * finds sends here instead of waiting a round trip for the next check.
   */
  const refillAt = Math.floor(leaseMax / 2);
  /** Oldest first; each check's sends lapse together, so this is also the order they lapse in. */
  const leased: LeasedSend[] = [];
  /** The check in flight that may bring a lease: other callers wait for it rather than send their own. */
  let leasing: Promise<unknown> | undefined;

  /**
   * `recordedAt` is a local time no later than the log's entry for this send:
   * when the check was sent to Redis, not when its answer was read (the
   * script's clock reading lies between the two, and a busy event loop can
   * read the answer tens of ms late), or a lease's end. Measuring from there
   * overstates the delay, which errs on the safe side.
   */
  function permit(member: string, recordedAt: number, asked: number): SendPermit {
    onWait?.(performance.now() - asked);
    return {
      sent(atLocalMs) {
        const delayMs = atLocalMs - recordedAt;
        if (delayMs <= correctAfterMs) return;
        redis.closerSentLate(logKey, member, Math.round(delayMs * 1000)).catch(() => undefined);
      },
    };
  }

  /**
   * Leased sends that lapsed: recorded in the log but never sent. They leave
   * it with the next check: at full speed a command of their own cost half
   * as much as the checks. Best effort: left in, they only cost room until
   * they age out of the window, and only an account whose traffic stops
   * leaves them there.
   */
  let lapsedMembers: string[] = [];
  const release = (members: string[]) => {
    lapsedMembers.push(...members);
    if (lapsedMembers.length >= MOST_LAPSED_HELD) redis.zrem(logKey, ...takeLapsed()).catch(() => undefined);
  };
  const takeLapsed = () => {
    const taken = lapsedMembers;
    lapsedMembers = [];
    return taken;
  };

  /** A leased send that has not lapsed, if any; lapsed ones leave the log. */
  function takeLeased(asked: number): SendPermit | undefined {
    const now = performance.now();
    let lapsed = 0;
    while (lapsed < leased.length && leased[lapsed]!.lapsesAt < now) lapsed += 1;
    if (lapsed > 0) release(leased.splice(0, lapsed).map((send) => send.member));
    const send = leased.shift();
    if (!send) return undefined;
    if (leased.length <= refillAt && !leasing) void reserve(nextMember(), now, 'all').catch(() => undefined);
    return permit(send.member, send.recordedAt, asked);
  }

  /**
   * The first check: reserves a slot and, below the limit, records `member`'s
   * send and a lease's. The caller takes `member` itself, or with `all` (a
   * refill nobody waits for) it joins the lease too.
   */
  function reserve(member: string, checkCalledAt: number, lease: 'rest' | 'all' = 'rest'): Promise<[number, number, number]> {
    const answer = redis.closerReserve(key, logKey, spacingUs, LONGEST_HOLD_MS * 1000, windowUs, rate.max, member, leaseMax, leaseLifeUs, ...takeLapsed()).then((result) => {
      const granted = result[0] === 3 ? result[2] : 0;
      // Stored before any waiting caller resumes, so they find it. The log holds `member` at the check, the others at the lease's end.
      const lapsesAt = checkCalledAt + leaseLifeUs / 1000;
      if (lease === 'all' && granted > 0) leased.push({ member, recordedAt: checkCalledAt, lapsesAt });
      for (let index = 2; index <= granted; index += 1) leased.push({ member: `${member}.${index}`, recordedAt: lapsesAt, lapsesAt });
      return result;
    });
    if (leaseMax > 1) {
      const settled = answer.then(
        () => undefined,
        () => undefined,
      );
      leasing = settled;
      void settled.then(() => {
        if (leasing === settled) leasing = undefined;
      });
    }
    return answer;
  }

  async function acquire(signal?: AbortSignal): Promise<SendPermit> {
    const asked = performance.now();
    for (;;) {
      const taken = takeLeased(asked);
      if (taken) return taken;
      if (!leasing) break;
      await leasing;
    }
    let member = nextMember();
    const reserveCalledAt = performance.now();
    const [state, waitUs] = await reserve(member, reserveCalledAt);
    if (state === 3) return permit(member, reserveCalledAt, asked);
    if (state === 1) throw new AccountBlockedError(Math.ceil(waitUs / 1000));
    if (state === 2) throw new RateLimitDeferredError(Math.ceil(waitUs / 1000));
    if (state === 4) await waitOrDefer(waitUs / 1000, signal);
    else if (waitUs > 0) await pause(waitUs / 1000, signal);

    for (;;) {
      member = nextMember();
      const checkCalledAt = performance.now();
      const [sendState, sendWaitUs] = await redis.closerSend(key, logKey, windowUs, rate.max, member);
      if (sendState === 0) return permit(member, checkCalledAt, asked);
      if (sendState === 1) throw new AccountBlockedError(Math.ceil(sendWaitUs / 1000));
      await waitOrDefer(sendWaitUs / 1000, signal);
    }
  }

  return {
    acquire,
    block: async (ms) => Math.ceil((await redis.closerBlock(key, Math.max(0, Math.round(ms * 1000)))) / 1000),
    blockedFor: async () => Math.ceil((await redis.closerBlocked(key)) / 1000),
  };
}
