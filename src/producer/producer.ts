import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/create-redis.js';
import type { BatchReport } from '../batches/batch-store.js';
import { formatDuration } from '../config/duration.js';
import type { AccountInfo, Config } from '../config/types.js';
import { staticAccounts, type AccountRegistry } from '../accounts/account-registry.js';
import { FULL_ACCESS, type Access } from '../auth/access.js';
import type { Metrics } from '../metrics/metrics.js';
import type { DeadLetter } from '../dead-letters/dead-letter-store.js';
import { redisReadiness, type Readiness } from '../health/redis-readiness.js';
import type { AccountQueue } from '../queues/account-queues.js';
import { createRedis } from '../redis/create-redis.js';
import { createSharedServices, type SharedServices } from '../runtime/shared-services.js';
import { parseListRequest } from '../listing/list-query.js';
import type { FailureInfo } from '../queues/close-job.js';
import { LIST_JOB, listJobOptions, type ListJobData } from '../queues/list-job.js';
import { parseQualifiedId, qualifiedId } from '../queues/names.js';
import { SWEEP_JOB, sweepJobOptions, type SweepJobData, type SweepResult } from '../queues/sweep-job.js';
import { parseCloseRequest } from './close-request.js';
import { ENQUEUE_DEADLINE_MS, IN_FLIGHT, enqueueCloses, type CloseAccepted } from './enqueue-closes.js';
import { certainlyNotRun, isConnectionLost, isOutOfMemory } from '../redis/redis-errors.js';
import { acknowledgedBy } from '../redis/replication.js';
import { loadScriptsFor } from '../redis/slot-connection.js';
import { createEnqueueAdmission } from './enqueue-admission.js';
import { createEnqueuePacer } from './enqueue-pacer.js';
import { CallbackSecretMissingError, NotFoundError, ProducerError, RedisOutOfMemoryError, RedisUnavailableError, UnknownAccountError, ValidationError } from './producer-errors.js';

export type { CloseAccepted };

export interface AccountStatus {
  id: string;
  provider: string;
  rateLimit: string;
  paused: boolean;
  pausedReason: 'manual' | 'unauthorized' | null;
  counts: { waiting: number; active: number; delayed: number; completed: number; failed: number; deadLettered: number };
  autoClose: { idleAfter: string; every: string; maxPerRun: number; dryRun: boolean; skipWaiting: boolean; lastRun: SweepResult | null } | null;
}

export interface JobStatus {
  jobId: string;
  /** BullMQ's state: waiting, active, delayed, completed, failed (or prioritized, waiting-children). */
  state: string;
  result?: unknown;
  error?: { code: string; message: string; status?: number };
}

/**
 * Every call acts within an Access (FULL_ACCESS unless given): what another
 * account's key may not see answers as if it did not exist.
 */
export interface Producer {
  close(request: unknown, access?: Access): Promise<CloseAccepted>;
  /** Enqueues a list job; its result comes from job(). */
  list(request: unknown, access?: Access): Promise<{ jobId: string }>;
  job(jobId: string, access?: Access): Promise<JobStatus>;
  /** Runs an auto-close sweep of the account now (outside its schedule); its result comes from job(). */
  /** `dryRun`: the sweep lists what it would close (its job's result) and closes nothing. */
  sweepNow(accountId: string, access?: Access, options?: { dryRun?: boolean }): Promise<{ jobId: string }>;
  batch(batchId: string, access?: Access): Promise<BatchReport>;
  /** Batches newest first, with their counts: one account's, or every account's (the admin's); `search`: ids holding it. */
  listBatches(query: { account?: string | undefined; search?: string | undefined; limit?: number; offset?: number }, access?: Access): Promise<{ total: number; items: BatchReport[] }>;
  /**
   * Cancels a batch: its waiting and delayed closes are removed (each one
   * atomically: removed, or already running and left to finish); the batch
   * counts them in `cancelled` and takes no new close. Safe to repeat.
   */
  cancelBatch(batchId: string, access?: Access): Promise<BatchReport>;
  deadLetters(query: { account?: string; limit?: number; offset?: number }, access?: Access): Promise<{ total: number; items: DeadLetter[] }>;
  redrive(request: { account?: string; ids?: readonly string[] }, access?: Access): Promise<{ redriven: number }>;
  deleteDeadLetter(id: string, access?: Access): Promise<void>;
  accounts(access?: Access): Promise<AccountStatus[]>;
  /** One account's status. */
  account(id: string, access?: Access): Promise<AccountStatus>;
  pauseAccount(id: string, access?: Access): Promise<AccountStatus>;
  resumeAccount(id: string, access?: Access): Promise<AccountStatus>;
  /** Redis reachable and safe to use (noeviction); the reason when not. */
  readiness(): Promise<Readiness>;
  dispose(): Promise<void>;
}

export interface ProducerOptions {
  /** A producer connection to share; the producer makes (and closes) its own otherwise. */
  redis?: RedisClient;
  /** Counts dead letters redriven and deleted. */
  metrics?: Metrics;
  /** Services built on `redis` by the caller (the API shares them with the dashboard and metrics). */
  services?: SharedServices;
  /** The accounts it acts on, when not the config's alone (the API's registry; the CLI adds those other processes published). */
  accounts?: AccountRegistry<AccountInfo>;
  /** Longest a Redis read may take before the request answers 503 (writes get three times as long). */
  redisTimeoutMs?: number;
  /** Longest a close request waits for Redis before answering with what it knows (default ENQUEUE_DEADLINE_MS). */
  enqueueDeadlineMs?: number;
  /** Refs this producer enqueues at once; a close request beyond that is refused (503 busy) rather than slowing everything. */
  maxEnqueueRefs?: number;
  /** An API key's own callback signing secret, when it has one (the API's registry). */
  keyCallbackSecret?: (keyId: string) => string | undefined;
}

/**
 * Refs one process takes on at once. The pacer lets them through a few
 * transactions at a time, so what waits beyond that waits in memory: four
 * full requests finish well within ENQUEUE_DEADLINE_MS even on a slow day.
 */
const MAX_ENQUEUE_REFS = 40_000;

/** Settles like `work`, or rejects after `ms`; the timer exists only while it waits. */
async function withinMs<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Jobs a cancel looks at at once. */
const CANCEL_CHUNK = 100;
/** States a cancel removes a job from: it has not started (a running job holds a lock, and BullMQ's remove leaves it). */
const CANCELLABLE = new Set(['waiting', 'delayed', 'prioritized', 'paused']);

/**
 * Removes one job of a batch being cancelled, if it has not started; true
 * when it is gone for good (removed now, or by an earlier cancel that did
 * not get to count it: a job of the batch that is neither completed nor
 * dead-lettered and no longer exists was cancelled).
 */
async function cancelJob(entry: AccountQueue, jobId: string): Promise<boolean> {
  const job = await entry.queue.getJob(jobId);
  if (!job) return true;
  if (!CANCELLABLE.has(await job.getState())) return false;
  // BullMQ's remove is one script: it refuses a job that became active meanwhile (locked), so a job is cancelled or runs, never both.
  return (await entry.queue.remove(jobId)) === 1;
}

/**
 * The producer library: what the HTTP API and the CLI call. It validates
 * first and enqueues only when everything is valid; Redis problems become
 * RedisUnavailableError (503), never a hang.
 */
export function createProducer(config: Config, options: ProducerOptions = {}): Producer {
  const redis = options.redis ?? createRedis(config, 'producer', 'closer-producer');
  if (!options.redis) redis.on('error', () => undefined); // surfaced as 503s and by readiness()
  const accounts: AccountRegistry<AccountInfo> = options.accounts ?? staticAccounts(config.accounts);
  const services = options.services ?? createSharedServices(config, redis, accounts, options.metrics);
  const { queues, batches, deadLetters, control, sweeps, index, callbacks } = services;
  const timeoutMs = options.redisTimeoutMs ?? 5_000;
  const enqueueDeps = {
    batches,
    index: services.index,
    jobs: config.jobs,
    pacer: createEnqueuePacer(IN_FLIGHT),
    reloadScripts: (accountKey: string) => loadScriptsFor(redis, accountKey),
    durability: { replicas: config.enqueueReplicas, acknowledged: (accountKey: string) => acknowledgedBy(redis, accountKey, config.enqueueReplicas) },
  };
  const admission = createEnqueueAdmission(options.maxEnqueueRefs ?? MAX_ENQUEUE_REFS);
  const enqueueDeadlineMs = options.enqueueDeadlineMs ?? ENQUEUE_DEADLINE_MS;

  /**
   * Runs a Redis-backed step, failing fast when Redis is not connected, and
   * answering 503 when Redis takes too long. A write that times out or loses
   * its connection may still happen, so its answer says "uncertain", never
   * "not done". An enqueue keeps its own deadline (it answers with counts).
   */
  async function withRedis<T>(step: () => Promise<T>, kind: 'read' | 'write' | 'enqueue' = 'read'): Promise<T> {
    if (redis.status !== 'ready') throw new RedisUnavailableError();
    const write = kind !== 'read';
    try {
      if (kind === 'enqueue') return await step();
      return await withinMs(step(), write ? 3 * timeoutMs : timeoutMs, () => new RedisUnavailableError({ uncertain: write }));
    } catch (error) {
      if (error instanceof ProducerError) throw error;
      if (isOutOfMemory(error)) throw new RedisOutOfMemoryError();
      if (isConnectionLost(error)) throw new RedisUnavailableError({ uncertain: write && !certainlyNotRun(error) });
      throw error;
    }
  }

  function entryOf(accountId: string, access: Access): AccountQueue {
    const entry = access.sees(accountId) ? queues.get(accountId) : undefined;
    if (!entry) throw new UnknownAccountError(accountId);
    return entry;
  }

  /** As entryOf, after syncing with the registry when this process does not know the account yet. */
  async function knownEntryOf(accountId: string, access: Access): Promise<AccountQueue> {
    if (access.sees(accountId)) await accounts.lookup(accountId);
    return entryOf(accountId, access);
  }

  /**
   * The account a request names, syncing with the registry first when this
   * process does not know it yet (made a moment ago through another API
   * process); an account the access does not cover is unknown.
   */
  async function accountNamedIn(request: unknown, access: Access): Promise<(accountId: string) => AccountInfo | undefined> {
    const named = (request as { account?: unknown } | null)?.account;
    if (typeof named === 'string' && named !== '' && access.sees(named)) await accounts.lookup(named);
    return (accountId) => (access.sees(accountId) ? accounts.get(accountId) : undefined);
  }

  /** The accounts a listing covers: the one asked for, or every one the access sees (undefined: all). */
  function scopeOf(account: string | undefined, access: Access): readonly string[] | undefined {
    if (account !== undefined) return [entryOf(account, access).account.id];
    return access.accounts === '*' ? undefined : access.accounts.filter((id) => queues.get(id) !== undefined);
  }

  async function status(entry: AccountQueue): Promise<AccountStatus> {
    const [counts, deadLettered, pausedReason, lastRun] = await Promise.all([
      entry.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'),
      entry.deadLetters.getJobCountByTypes('waiting'),
      control.pauseReason(entry),
      entry.account.autoClose ? sweeps.last(entry.account.id) : null,
    ]);
    const { account } = entry;
    return {
      id: account.id,
      provider: account.provider,
      rateLimit: account.rateLimit.text,
      paused: pausedReason !== null,
      pausedReason,
      counts: {
        waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        completed: counts.completed ?? 0,
        failed: counts.failed ?? 0,
        deadLettered,
      },
      autoClose: account.autoClose
        ? {
            idleAfter: formatDuration(account.autoClose.idleAfterMs),
            every: formatDuration(account.autoClose.everyMs),
            maxPerRun: account.autoClose.maxPerRun,
            dryRun: account.autoClose.dryRun,
            skipWaiting: account.autoClose.skipWaiting,
            lastRun,
          }
        : null,
    };
  }

  return {
    async close(request, access = FULL_ACCESS) {
      const parsed = parseCloseRequest(request, await accountNamedIn(request, access));
      const { account, refs, batchId: given, priority } = parsed;
      const entry = entryOf(account.id, access);
      // A key's batches are signed with its own secret when it has one, with CLOSER_CALLBACK_SECRET otherwise.
      const keySigns = access.keyId !== undefined && options.keyCallbackSecret?.(access.keyId) !== undefined;
      const callback = parsed.callback && { ...parsed.callback, ...(keySigns ? { keyId: access.keyId! } : {}) };
      if (callback && !keySigns && !config.callbackSecret) throw new CallbackSecretMissingError();
      const batchId = given ?? randomUUID();
      const release = admission.take(refs.length);
      try {
        // The callback's job exists before any close of the batch can end (callbacks/callback-queue.ts).
        if (callback) await withRedis(() => callbacks.watch(account.id, batchId), 'write');
        const accepted = await withRedis(() => enqueueCloses(enqueueDeps, entry, batchId, refs, { deadlineMs: enqueueDeadlineMs, priority, ...(callback ? { callback } : {}) }), 'enqueue');
        // Whole now: from here the batch can be done (if its closes already ended, this finds it so).
        // The closes are enqueued whatever happens here: if Redis fails this step, the callback's job seals the batch later.
        if (callback) await withRedis(() => batches.seal(account.id, batchId), 'write').catch(() => undefined);
        return accepted;
      } finally {
        release();
      }
    },

    async list(request, access = FULL_ACCESS) {
      const { account, query, limit } = parseListRequest(request, await accountNamedIn(request, access));
      const entry = entryOf(account.id, access);
      const data: ListJobData = { account: account.id, query, limit };
      const job = await withRedis(async () => {
        const added = await entry.queue.add(LIST_JOB, data, { ...listJobOptions(config.jobs), jobId: `list-${randomUUID()}` });
        await index.touch(account.id);
        return added;
      }, 'write');
      return { jobId: qualifiedId(account.id, job.id!) };
    },

    async job(jobId, access = FULL_ACCESS) {
      const parsed = parseQualifiedId(jobId);
      const entry = parsed && access.sees(parsed.accountId) ? queues.get(parsed.accountId) : undefined;
      if (!parsed || !entry) throw new NotFoundError(`job "${jobId}"`);
      return withRedis(async () => {
        // State first: a job read after it shows "completed" carries its result (the other order can miss it).
        const state = await entry.queue.getJobState(parsed.jobId);
        const job = await entry.queue.getJob(parsed.jobId);
        if (!job || state === 'unknown') throw new NotFoundError(`job "${jobId}"`);
        const lastError = (job.data as { lastError?: FailureInfo }).lastError;
        return {
          jobId,
          state,
          ...(state === 'completed' ? { result: job.returnvalue } : {}),
          ...(state === 'failed'
            ? { error: { code: lastError?.code ?? 'JOB_FAILED', message: lastError?.message ?? job.failedReason, ...(lastError?.status ? { status: lastError.status } : {}) } }
            : {}),
        };
      });
    },

    async sweepNow(accountId, access = FULL_ACCESS, { dryRun = false } = {}) {
      const entry = await knownEntryOf(accountId, access);
      if (!entry.account.autoClose) throw new ValidationError([{ index: null, path: 'autoClose', message: `account "${accountId}" has no auto-close policy` }]);
      const data: SweepJobData = { account: accountId, ...(dryRun ? { dryRun } : {}) };
      const job = await withRedis(async () => {
        const added = await entry.queue.add(SWEEP_JOB, data, { ...sweepJobOptions(config.jobs), jobId: `${dryRun ? 'sweep-dry-run' : 'sweep-now'}-${randomUUID()}` });
        await index.touch(accountId);
        return added;
      }, 'write');
      return { jobId: qualifiedId(accountId, job.id!) };
    },

    async batch(batchId, access = FULL_ACCESS) {
      const report = await withRedis(() => batches.get(batchId));
      if (!report || !access.sees(report.account)) throw new NotFoundError(`batch "${batchId}"`);
      return report;
    },

    async listBatches({ account, search, limit = 50, offset = 0 }, access = FULL_ACCESS) {
      if (account === undefined && access.accounts !== '*') throw new ValidationError([{ index: null, path: 'account', message: 'is required with an API key for some accounts' }]);
      if (account !== undefined) entryOf(account, access);
      const issues = [];
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 200) issues.push({ index: null, path: 'limit', message: 'must be a whole number from 1 to 200' });
      if (!Number.isSafeInteger(offset) || offset < 0) issues.push({ index: null, path: 'offset', message: 'must be a whole number of at least 0' });
      if (issues.length > 0) throw new ValidationError(issues);
      const { total, ids } = await withRedis(() => batches.list({ account, search, limit, offset }));
      const reports = await withRedis(() => Promise.all(ids.map((id) => batches.get(id))));
      // An id listed for a batch since expired or removed is left out.
      return { total, items: reports.filter((report): report is BatchReport => report !== undefined && access.sees(report.account)) };
    },

    async cancelBatch(batchId, access = FULL_ACCESS) {
      const report = await withRedis(() => batches.get(batchId));
      const entry = report && access.sees(report.account) ? queues.get(report.account) : undefined;
      if (!report || !entry) throw new NotFoundError(`batch "${batchId}"`);
      await withRedis(async () => {
        await batches.cancelling(report.account, batchId);
        const unsettled = await batches.unsettled(report.account, batchId);
        for (let start = 0; start < unsettled.length; start += CANCEL_CHUNK) {
          const removed = await Promise.all(unsettled.slice(start, start + CANCEL_CHUNK).map((jobId) => cancelJob(entry, jobId)));
          await batches.markCancelled(report.account, batchId, unsettled.slice(start, start + CANCEL_CHUNK).filter((_, position) => removed[position]));
        }
      }, 'write');
      return (await withRedis(() => batches.get(batchId)))!;
    },

    async deadLetters({ account, limit = 50, offset = 0 }, access = FULL_ACCESS) {
      const covered = scopeOf(account, access);
      const issues = [];
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1_000) issues.push({ index: null, path: 'limit', message: 'must be a whole number from 1 to 1000' });
      if (!Number.isSafeInteger(offset) || offset < 0) issues.push({ index: null, path: 'offset', message: 'must be a whole number of at least 0' });
      if (issues.length > 0) throw new ValidationError(issues);
      return withRedis(() => deadLetters.list({ accounts: covered, limit, offset }));
    },

    async redrive({ account, ids }, access = FULL_ACCESS) {
      const covered = scopeOf(account, access);
      return { redriven: await withRedis(() => deadLetters.redrive({ accounts: covered, ids }), 'write') };
    },

    async deleteDeadLetter(id, access = FULL_ACCESS) {
      const owner = parseQualifiedId(id)?.accountId;
      if (owner === undefined || !access.sees(owner) || !(await withRedis(() => deadLetters.remove(id), 'write'))) throw new NotFoundError(`dead letter "${id}"`);
    },

    // A key's own accounts only: no queue is made for the others.
    accounts: (access = FULL_ACCESS) => withRedis(() => Promise.all((access.accounts === '*' ? queues.all() : access.accounts.flatMap((id) => queues.get(id) ?? [])).map(status))),

    async account(id, access = FULL_ACCESS) {
      const entry = await knownEntryOf(id, access);
      return withRedis(() => status(entry));
    },

    async pauseAccount(id, access = FULL_ACCESS) {
      const entry = await knownEntryOf(id, access);
      return withRedis(async () => {
        await control.pause(entry, 'manual');
        return status(entry);
      }, 'write');
    },

    async resumeAccount(id, access = FULL_ACCESS) {
      const entry = await knownEntryOf(id, access);
      return withRedis(async () => {
        await control.resume(entry);
        // Its jobs are back in wait: a dispatcher took the paused account out of the ready index.
        await index.touch(id);
        return status(entry);
      }, 'write');
    },

    readiness: () => redisReadiness(redis, { keys: services.keys, timeoutMs }),

    async dispose() {
      await queues.close();
      await callbacks.close();
      if (!options.redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
