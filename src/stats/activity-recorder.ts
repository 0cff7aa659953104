import type { Logger } from '../logger.js';
import { ACTIVITY_KINDS, ACTIVITY_MINUTES, MINUTE_MS, type ActivityKind, type ActivityStore, type MinuteCounts } from './activity-store.js';

/** Counts are written this often: at thousands of closes a second, a command per close would cost Redis as much as the closes. */
export const FLUSH_EVERY_MS = 5_000;
/** A stopping process waits this long at most for its last counts to land (Redis may be away). */
const LAST_FLUSH_MS = 2_000;

const KIND_INDEX: Record<ActivityKind, number> = Object.fromEntries(ACTIVITY_KINDS.map((kind, index) => [kind, index])) as Record<ActivityKind, number>;

export interface ActivityRecorder {
  /** Counts `count` of `kind` for the account, now. In memory only: costs a map lookup. */
  record(accountId: string, kind: ActivityKind, count?: number): void;
  /** Writes what was counted: one command per account with counts. Never throws; what Redis refused is kept for the next flush. */
  flush(): Promise<void>;
  /** Drops the account's counts not yet written (a removed account). */
  forget(accountId: string): void;
  /** Stops the timer and writes what is left (waiting LAST_FLUSH_MS at most). */
  close(): Promise<void>;
}

export interface ActivityRecorderOptions {
  store: Pick<ActivityStore, 'add' | 'noteRateLimited'>;
  logger: Logger;
  flushEveryMs?: number;
  now?: () => number;
}

/**
 * A worker process's per-account, per-minute activity (closes, dead
 * letters, 429s), counted in memory and written every few seconds, so the
 * API's console can show what every worker did. The counts are a view for
 * people, not a ledger: a write that fails is logged at debug and retried
 * with the next flush; counts older than the hour shown are let go, which
 * bounds what a process holds while Redis is away (its accounts × 60
 * minutes × 3 numbers).
 */
export function createActivityRecorder({ store, logger, flushEveryMs = FLUSH_EVERY_MS, now = Date.now }: ActivityRecorderOptions): ActivityRecorder {
  /** account → minute → counts in ACTIVITY_KINDS order. */
  let pending = new Map<string, Map<number, number[]>>();
  let flushing: Promise<void> | undefined;

  /** Drops minutes that fell out of the hour. Run when an account starts a new minute, and on what a failed flush gives back. */
  function trim(minutes: Map<number, number[]>, current: number): void {
    for (const minute of minutes.keys()) if (minute <= current - ACTIVITY_MINUTES) minutes.delete(minute);
  }

  function countsOf(accountId: string, minute: number): number[] {
    let minutes = pending.get(accountId);
    if (!minutes) pending.set(accountId, (minutes = new Map()));
    let counts = minutes.get(minute);
    if (!counts) {
      trim(minutes, minute);
      minutes.set(minute, (counts = ACTIVITY_KINDS.map(() => 0)));
    }
    return counts;
  }

  /** Counts a flush could not write go back, added to whatever was counted meanwhile. */
  function giveBack(accountId: string, minutes: Map<number, number[]>): void {
    const current = Math.floor(now() / MINUTE_MS);
    for (const [minute, counts] of minutes) {
      if (minute <= current - ACTIVITY_MINUTES) continue;
      const into = countsOf(accountId, minute);
      counts.forEach((count, kind) => (into[kind]! += count));
    }
  }

  async function writeAll(): Promise<void> {
    if (pending.size === 0) return;
    const taken = pending;
    pending = new Map();
    const accounts = [...taken];
    const results = await Promise.allSettled(
      accounts.map(([accountId, minutes]) => store.add(accountId, [...minutes].map(([minute, counts]): MinuteCounts => ({ minute, counts })))),
    );
    const rateLimited: string[] = [];
    let failed = 0;
    let lastError: unknown;
    results.forEach((result, position) => {
      const [accountId, minutes] = accounts[position]!;
      if (result.status === 'rejected') {
        failed += 1;
        lastError = result.reason;
        giveBack(accountId, minutes);
      } else if ([...minutes.values()].some((counts) => counts[KIND_INDEX.rate_limited]! > 0)) rateLimited.push(accountId);
    });
    if (failed > 0) logger.debug({ err: lastError, accounts: failed }, 'activity counts not written; kept for the next flush');
    // Only a sorting hint for the console: lost, an account sorts with its other reasons until its next 429.
    if (rateLimited.length > 0) await store.noteRateLimited(rateLimited, now()).catch((error: unknown) => logger.debug({ err: error }, 'could not note rate-limited accounts'));
  }

  /** One flush at a time; a caller during one waits for it and then writes what came since. */
  function flush(): Promise<void> {
    const after = flushing ?? Promise.resolve();
    const mine: Promise<void> = after.then(writeAll).catch((error: unknown) => logger.debug({ err: error }, 'activity flush failed'));
    flushing = mine;
    void mine.then(() => {
      if (flushing === mine) flushing = undefined;
    });
    return mine;
  }

  const timer = setInterval(() => {
    // A flush still waiting for Redis is not queued behind: the counts wait in memory for the next tick.
    if (!flushing) void flush();
  }, flushEveryMs);
  timer.unref();

  return {
    record(accountId, kind, count = 1) {
      countsOf(accountId, Math.floor(now() / MINUTE_MS))[KIND_INDEX[kind]]! += count;
    },
    flush,
    forget(accountId) {
      pending.delete(accountId);
    },
    async close() {
      clearInterval(timer);
      let deadline: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (deadline = setTimeout(() => resolve('late'), LAST_FLUSH_MS)));
      const outcome = await Promise.race([flush().then(() => 'written' as const), late]);
      clearTimeout(deadline);
      if (outcome === 'late' || pending.size > 0) logger.debug({ accounts: pending.size }, 'activity counts of the last seconds not written while stopping');
    },
  };
}
