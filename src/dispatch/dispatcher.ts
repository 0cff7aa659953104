import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job, type RepeatOptions } from 'bullmq';
import type { Logger } from '../logger.js';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { isConnectionLost } from '../redis/redis-errors.js';
import type { AccountViews } from './account-views.js';
import { nextWorkAt } from './next-work.js';
import { AccountWaitError } from '../worker/account-wait-error.js';
import type { ReadyIndex } from '../queues/ready-index.js';

export interface DispatcherOptions {
  redis: RedisClient;
  keys: KeyNames;
  index: ReadyIndex;
  views: AccountViews;
  /** Whether this process serves the account (an account of another deployment's config is left alone). */
  serves(accountId: string): boolean;
  /** Runs one job; its result completes the job, a throw fails it (BullMQ's retries and backoff apply). */
  process(accountId: string, job: Job, token: string): Promise<unknown>;
  /** A job failed (for good, or with a retry ahead: the handler tells; closes failed for good go to the dead letters). */
  onFailed(accountId: string, job: Job): void;
  /** Told when the registry of managed accounts changed (a message on the wake-up channel), before the next job is taken. */
  onRegistryChange?: () => void;
  /** Jobs running at once in this process, not counting those asleep waiting for their rate-limit slot. */
  concurrency: number;
  /** Jobs of one account running at once in this process (asleep or not). */
  accountConcurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  logger: Logger;
}

export interface Dispatcher {
  /** For the account rate limiter's onSleep: a job asleep for its slot frees its slot meanwhile. */
  onSleep(): () => void;
  /** Looks at the index now (an account this process did not serve may have become one it does). */
  wake(): void;
  /** The loop is running and has looked at Redis lately (readiness). */
  healthy(): boolean;
  /** Stops taking jobs and waits for the running ones to end. */
  close(): Promise<void>;
}

/** Jobs in flight at most, asleep or not, per unit of concurrency: bounds memory and locks while many sleep. */
const IN_FLIGHT_PER_SLOT = 4;
/** How long a list of due accounts is used before asking the index again, while busy. */
const REFRESH_MS = 100;
/** Longest idle wait between two looks at the index (a wake-up message ends it sooner). */
const IDLE_LOOK_MS = 1_000;
/** Accounts asked for at once. */
const DUE_BATCH = 500;
/** An account is marked active (for stalled checks) at most this often per process. */
const ACTIVE_MARK_MS = 1_000;
/** Finishing a job (complete, fail) is retried this often while Redis does not answer, until the lock is gone. */
const FINISH_RETRY_MS = 1_000;

interface Running {
  accountId: string;
  job: Job;
  token: string;
}

/**
 * Serves every account of the process from one loop, on one connection:
 * takes due accounts from the ready index, and gives each free slot to the
 * next account in turn (round robin), within a per-account cap. So an account
 * with a backlog never holds the process while others wait, and a thousand
 * accounts cost no more connections than one.
 *
 * Jobs are taken with BullMQ's own scripts (moveToActive), finished with
 * BullMQ's Job (moveToCompleted / moveToFailed, with its retries and
 * backoff), their locks extended and their stalls detected as BullMQ's
 * worker does, but across accounts: what BullMQ's manual fetching leaves to
 * its caller (docs: "Manually processing jobs").
 */
export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { index, views, logger } = options;
  const token = randomUUID();
  const running = new Map<string, Running>();
  const perAccount = new Map<string, number>();
  let asleep = 0;
  let rotation: string[] = [];
  const inRotation = new Set<string>();
  const waitUntil = new Map<string, number>();
  const markedActiveAt = new Map<string, number>();
  let refreshedAt = 0;
  let closing = false;
  /** Last time the loop looked at the index or a job ended: readiness. */
  let lastProgressAt = Date.now();
  let wake: (() => void) | undefined;
  const nudge = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };

  const awake = () => running.size - asleep;
  const hasRoom = () => awake() < options.concurrency && running.size < options.concurrency * IN_FLIGHT_PER_SLOT;

  async function refresh(): Promise<void> {
    const now = Date.now();
    const due = await index.due(now, DUE_BATCH);
    lastProgressAt = Date.now();
    refreshedAt = lastProgressAt;
    for (const accountId of due) {
      if (inRotation.has(accountId) || !options.serves(accountId)) continue;
      inRotation.add(accountId);
      rotation.push(accountId);
    }
  }

  /** The next account in turn with room for one more job; moved to the back of the turn. */
  function nextAccount(): string | undefined {
    const now = Date.now();
    for (let position = 0; position < rotation.length; position += 1) {
      const accountId = rotation[position]!;
      if ((perAccount.get(accountId) ?? 0) >= options.accountConcurrency) continue;
      const until = waitUntil.get(accountId);
      if (until !== undefined && until > now) continue;
      // Accounts come and go all day: what is past is dropped, so the maps stay as large as the accounts at work.
      waitUntil.delete(accountId);
      rotation.splice(position, 1);
      rotation.push(accountId);
      return accountId;
    }
    return undefined;
  }

  function leaveRotation(accountId: string): void {
    markedActiveAt.delete(accountId);
    if (!inRotation.delete(accountId)) return;
    rotation = rotation.filter((id) => id !== accountId);
  }

  async function fetchFrom(accountId: string): Promise<Job | undefined> {
    // Removed (a managed account deleted) since it joined the turn: its jobs are no longer taken here.
    if (!options.serves(accountId)) {
      leaveRotation(accountId);
      return undefined;
    }
    const view = views.get(accountId);
    const [data, id] = (await view.backend.moveToActive(token)) as [unknown, string | undefined];
    if (!data || !id) {
      leaveRotation(accountId);
      // Taken out of the index, unless something arrived or is delayed; if so, back at its time.
      const dueAt = await index.settle(accountId, () => nextWorkAt(options.redis, view));
      // Due now and yet nothing to take (a job moving between states): not again before the next look, never in a tight loop.
      if (dueAt !== undefined) waitUntil.set(accountId, Math.max(dueAt, Date.now() + REFRESH_MS));
      return undefined;
    }
    const job = view.job(data, id, token);
    if (job.repeatJobKey) {
      // As BullMQ's worker does when it takes a scheduler's job: the scheduler's next run is added now.
      await view
        .jobScheduler()
        .upsertJobScheduler(job.repeatJobKey, (job.opts as { repeat: RepeatOptions }).repeat, job.name, job.data, job.opts, { override: false, producerId: job.id! })
        .catch((error: unknown) => logger.error({ err: error, account: accountId }, 'could not schedule the next auto-close sweep'));
    }
    const now = Date.now();
    if (now - (markedActiveAt.get(accountId) ?? 0) >= ACTIVE_MARK_MS) {
      markedActiveAt.set(accountId, now);
      void options.redis.zadd(options.keys.activeAccounts(), now, accountId).catch(() => undefined);
    }
    return job;
  }

  /** Retries a step that finishes a job while Redis is away; gives up when the lock is lost (the job runs again elsewhere). */
  async function finishing(step: () => Promise<unknown>, job: Job): Promise<void> {
    for (;;) {
      try {
        await step();
        return;
      } catch (error) {
        if (!isConnectionLost(error) || closing) {
          logger.warn({ err: error, jobId: job.id }, 'could not finish a job; it runs again once its lock expires');
          return;
        }
        await sleep(FINISH_RETRY_MS);
      }
    }
  }

  async function run(accountId: string, job: Job): Promise<void> {
    const key = `${accountId}\u0000${job.id}`;
    running.set(key, { accountId, job, token });
    perAccount.set(accountId, (perAccount.get(accountId) ?? 0) + 1);
    try {
      const result = await options.process(accountId, job, token);
      await finishing(() => job.moveToCompleted(result, token, false), job);
    } catch (error) {
      if (error instanceof AccountWaitError) {
        // A 429, or the account paused by one: back to wait with its attempts, the account out of turn until then.
        waitUntil.set(accountId, Date.now() + error.waitMs);
        await finishing(() => job.moveToWait(token), job);
        await index.touch(accountId, Date.now() + error.waitMs).catch(() => undefined);
      } else {
        // DelayedError: the job moved itself to delayed (its rate-limit slot is far away). Otherwise BullMQ fails it or delays its retry.
        if (!(error instanceof DelayedError)) {
          await finishing(() => job.moveToFailed(error as Error, token, false), job);
          // The handler looks whether it failed for good (closes then go to the dead letters).
          options.onFailed(accountId, job);
        }
        // A delayed job is work to come: the account may have left the index while this ran; it settles on the job's time.
        await index.touch(accountId).catch(() => undefined);
      }
    } finally {
      lastProgressAt = Date.now();
      running.delete(key);
      const left = (perAccount.get(accountId) ?? 1) - 1;
      if (left > 0) perAccount.set(accountId, left);
      else perAccount.delete(accountId);
      nudge();
    }
  }

  async function loop(): Promise<void> {
    while (!closing) {
      try {
        if (!hasRoom()) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (rotation.length === 0 || Date.now() - refreshedAt > REFRESH_MS) await refresh();
        const accountId = nextAccount();
        if (accountId === undefined) {
          // Nothing to take now: wait for a job to end, a wake-up, the next account's time, or the next look.
          const next = running.size > 0 ? REFRESH_MS : Math.min(IDLE_LOOK_MS, Math.max(REFRESH_MS, ((await index.nextDueAt()) ?? Infinity) - Date.now()));
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), sleep(next)]);
          wake = undefined;
          continue;
        }
        const job = await fetchFrom(accountId);
        if (job) void run(accountId, job);
      } catch (error) {
        // Redis away, most likely: look again in a while, never in a tight loop.
        if (!isConnectionLost(error)) logger.error({ err: error }, 'dispatcher error');
        await sleep(IDLE_LOOK_MS);
      }
    }
  }

  /** Keeps the locks of this process's jobs, per account, as BullMQ's worker does for its own. */
  const lockTimer = setInterval(() => {
    const byAccount = new Map<string, Running[]>();
    for (const entry of running.values()) byAccount.set(entry.accountId, [...(byAccount.get(entry.accountId) ?? []), entry]);
    for (const [accountId, entries] of byAccount) {
      views
        .get(accountId)
        .backend.extendLocks(
          entries.map(({ job }) => job.id!),
          entries.map(() => token),
          options.lockDurationMs,
        )
        .catch((error: unknown) => logger.debug({ err: error, account: accountId }, 'could not extend job locks; next round retries'));
    }
  }, options.lockDurationMs / 2);
  lockTimer.unref();

  /**
   * Jobs left active by a dead process, on the accounts where jobs were
   * taken lately (by any process): back to wait, or failed after too many
   * stalls, as BullMQ's worker finds them on its own queue. An account with
   * nothing active leaves the list (taken out first, then looked at, as the
   * ready index does, so a job taken meanwhile keeps it there).
   */
  async function checkStalled(): Promise<void> {
    const activeKey = options.keys.activeAccounts();
    const accounts = await options.redis.zrange(activeKey, 0, -1);
    for (const accountId of accounts) {
      if (closing) return;
      if (!options.serves(accountId)) continue;
      const view = views.get(accountId);
      const stalled = await view.backend.moveStalledJobsToWait();
      if (stalled.length > 0) {
        logger.warn({ account: accountId, jobIds: stalled }, 'stalled jobs (their worker stopped) run again');
        await index.touch(accountId);
        await options.redis.zadd(options.keys.failedAccounts(), Date.now(), accountId);
      }
      await options.redis.zrem(activeKey, accountId);
      if ((await options.redis.llen(view.backend.keys.active!)) > 0) await options.redis.zadd(activeKey, Date.now(), accountId);
    }
  }
  const stalledTimer = setInterval(() => {
    checkStalled().catch((error: unknown) => {
      if (!isConnectionLost(error)) logger.warn({ err: error }, 'stalled-job check failed; next round retries');
    });
  }, options.stalledIntervalMs);
  stalledTimer.unref();

  let unsubscribe: (() => Promise<void>) | undefined;
  void index
    .subscribe(
      (accountId) => {
        waitUntil.delete(accountId);
        refreshedAt = 0;
        nudge();
      },
      () => options.onRegistryChange?.(),
    )
    .then((stop) => {
      if (closing) void stop();
      else unsubscribe = stop;
    })
    .catch((error: unknown) => logger.warn({ err: error }, 'no wake-ups: new work is found by looking every second'));
  const looping = loop();

  return {
    onSleep() {
      asleep += 1;
      nudge();
      let woken = false;
      return () => {
        if (woken) return;
        woken = true;
        asleep -= 1;
      };
    },
    wake() {
      refreshedAt = 0;
      nudge();
    },
    // Jobs running keep their own locks; otherwise the loop looks at the index every second at least.
    healthy: () => closing || running.size > 0 || Date.now() - lastProgressAt < 15 * IDLE_LOOK_MS,
    async close() {
      closing = true;
      clearInterval(stalledTimer);
      nudge();
      await looping;
      while (running.size > 0) await new Promise<void>((resolve) => (wake = resolve));
      clearInterval(lockTimer);
      await unsubscribe?.();
    },
  };
}
