import type { Job } from 'bullmq';
import { conversationEnd, type BatchStore } from '../batches/batch-store.js';
import type { AccountQueue, AccountQueues } from '../queues/account-queues.js';
import { CLOSE_JOB, closeJobOptions, DEAD_LETTER_JOB, type CloseJobData } from '../queues/close-job.js';
import { qualifiedId, parseQualifiedId } from '../queues/names.js';
import type { JobSettings } from '../config/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ConversationRef } from '../providers/types.js';

/** One dead letter, as the API lists it (contract section 4) plus what helps fix it. */
export interface DeadLetter {
  id: string;
  account: string;
  ref: ConversationRef;
  /** Stable code: PROVIDER_NOT_FOUND, PROVIDER_REJECTED, PROVIDER_UNAUTHORIZED, PROVIDER_UNAVAILABLE, ... */
  reason: string;
  status: number | null;
  message: string;
  bodyExcerpt: string | null;
  attempts: number;
  failedAt: string;
  enqueuedAt: string;
  batchId: string | null;
}

type StoredDeadLetter = Omit<DeadLetter, 'id'> & { sourceJobId: string };

export interface DeadLetterStore {
  /** Copies a finally failed job into the account's dead letters, then removes it. Safe to repeat. */
  bury(entry: AccountQueue, job: Job<CloseJobData>): Promise<boolean>;
  /** Buries every failed job of the account: the safety net for a mover that died half-way. */
  reconcile(entry: AccountQueue): Promise<number>;
  /** `accounts`: those accounts' dead letters; every account's when absent. */
  list(options: { accounts?: readonly string[] | undefined; limit: number; offset: number }): Promise<{ total: number; items: DeadLetter[] }>;
  /** Puts dead letters back as new jobs with fresh attempts; returns how many. */
  redrive(options: { accounts?: readonly string[] | undefined; ids?: readonly string[] | undefined }): Promise<number>;
  /** False when there is no such dead letter. */
  remove(id: string): Promise<boolean>;
}

/** Nothing processes the dead-letter queues, so their jobs wait forever. */
const LISTED_STATES = ['waiting'] as const;
const PAGE = 500;

/** BullMQ's own reason when a job outlives `maxStalledCount` stalls (its worker died each time). */
const STALLED = /stalled more than allowable limit/i;

function toStored(job: Job<CloseJobData>): StoredDeadLetter {
  const last = job.data.lastError;
  const stalled = !last && STALLED.test(job.failedReason ?? '');
  return {
    account: job.data.account,
    ref: job.data.ref,
    reason: last?.code ?? (stalled ? 'JOB_STALLED' : 'JOB_FAILED'),
    status: last?.status ?? null,
    message: last?.message ?? job.failedReason ?? 'failed',
    bodyExcerpt: last?.bodyExcerpt ?? null,
    attempts: job.attemptsMade,
    failedAt: new Date(job.finishedOn ?? Date.now()).toISOString(),
    enqueuedAt: new Date(job.timestamp).toISOString(),
    batchId: job.data.batchId ?? null,
    sourceJobId: job.id!,
  };
}

function toDeadLetter(job: Job<StoredDeadLetter>): DeadLetter {
  const { sourceJobId, ...rest } = job.data;
  return { id: qualifiedId(rest.account, sourceJobId), ...rest };
}

export interface DeadLetterOptions {
  metrics?: Metrics;
  /** Told after jobs were added back to an account's queue (the ready index learns of them). */
  jobsAdded?: (accountId: string) => Promise<void>;
  /** Told when an account gets a dead letter (metrics and the dashboard look at such accounts). */
  deadLettered?: (accountId: string) => Promise<void>;
  /** Told once per dead letter made (by the mover that removes its source job), as the metrics count it. */
  counted?: (accountId: string) => void;
}

export function createDeadLetterStore(queues: AccountQueues, batches: BatchStore, jobs: JobSettings, { metrics, jobsAdded, deadLettered, counted }: DeadLetterOptions = {}): DeadLetterStore {
  const targets = (accounts?: readonly string[]) => (accounts === undefined ? queues.all() : accounts.flatMap((id) => queues.get(id) ?? []));

  async function bury(entry: AccountQueue, job: Job<CloseJobData>): Promise<boolean> {
    if (!job.id) return false;
    const stored = toStored(job);
    // Dead letter first (its id is the job's, so a repeat is a no-op), then the batch, then the source job.
    await entry.deadLetters.add(DEAD_LETTER_JOB, stored, { jobId: job.id, removeOnComplete: false, removeOnFail: false });
    await deadLettered?.(entry.account.id);
    if (stored.batchId) await batches.markDead(entry.account.id, stored.batchId, { jobId: job.id, event: conversationEnd(stored.ref, { reason: stored.reason }, new Date(stored.failedAt)) });
    // Counted once: only the mover that removes the source job (a repeat finds it gone).
    const removed = await job.remove().then(() => true, () => false);
    if (removed) {
      metrics?.deadLettersAdded.inc({ account: entry.account.id, reason: stored.reason });
      counted?.(entry.account.id);
    }
    return true;
  }

  async function reconcile(entry: AccountQueue): Promise<number> {
    let buried = 0;
    let start = 0;
    for (;;) {
      // Only closes have dead letters; failed list and sweep jobs stay failed (with retention) for GET /v1/jobs.
      const failed = (await entry.queue.getFailed(start, start + PAGE - 1)) as Job<CloseJobData>[];
      const present = failed.filter((job): job is Job<CloseJobData> => Boolean(job));
      const closes = present.filter((job) => job.name === CLOSE_JOB);
      for (const job of closes) if (await bury(entry, job)) buried += 1;
      if (present.length < PAGE) return buried;
      start += present.length - closes.length;
    }
  }

  async function redriveOne(entry: AccountQueue, job: Job<StoredDeadLetter>): Promise<void> {
    const { sourceJobId, ref, batchId } = job.data;
    // Out of the batch's dead set before the job can complete again, so it never counts twice.
    if (batchId) await batches.unmarkDead(entry.account.id, batchId, sourceJobId);
    // No deduplication here: if a newer close of the same ref is pending, both closing is harmless,
    // while merging into it would leave this batch waiting for a job it does not own.
    const data: CloseJobData = { account: entry.account.id, ref, ...(batchId ? { batchId } : {}) };
    await entry.queue.add(CLOSE_JOB, data, { ...closeJobOptions(jobs), jobId: sourceJobId });
    await job.remove();
    metrics?.deadLettersRemoved.inc({ account: entry.account.id, how: 'redriven' });
  }

  /** The dead letters asked for (those ids, or every one of the account or of all), each through `redrive`. */
  async function redriveAll(redrive: (entry: AccountQueue, job: Job<StoredDeadLetter>) => Promise<void>, { accounts, ids }: { accounts?: readonly string[] | undefined; ids?: readonly string[] | undefined }): Promise<number> {
    let redriven = 0;
    if (ids) {
      for (const id of ids) {
        const parsed = parseQualifiedId(id);
        const entry = parsed && queues.get(parsed.accountId);
        if (!parsed || !entry || (accounts !== undefined && !accounts.includes(parsed.accountId))) continue;
        const job = (await entry.deadLetters.getJob(parsed.jobId)) as Job<StoredDeadLetter> | undefined;
        if (!job) continue;
        await redrive(entry, job);
        redriven += 1;
      }
      return redriven;
    }
    for (const entry of targets(accounts)) {
      for (;;) {
        const page = ((await entry.deadLetters.getJobs([...LISTED_STATES], 0, PAGE - 1, true)) as Job<StoredDeadLetter>[]).filter(Boolean);
        for (const job of page) await redrive(entry, job);
        redriven += page.length;
        if (page.length < PAGE) break;
      }
    }
    return redriven;
  }

  return {
    bury,
    reconcile,

    async list({ accounts, limit, offset }) {
      const counts = await Promise.all(targets(accounts).map(async (entry) => ({ entry, count: await entry.deadLetters.getJobCountByTypes(...LISTED_STATES) })));
      const total = counts.reduce((sum, { count }) => sum + count, 0);
      const items: DeadLetter[] = [];
      let skip = offset;
      for (const { entry, count } of counts) {
        if (items.length >= limit) break;
        if (skip >= count) {
          skip -= count;
          continue;
        }
        const page = (await entry.deadLetters.getJobs([...LISTED_STATES], skip, skip + (limit - items.length) - 1, true)) as Job<StoredDeadLetter>[];
        items.push(...page.filter(Boolean).map(toDeadLetter));
        skip = 0;
      }
      return { total, items };
    },

    async redrive({ accounts, ids }) {
      const touched = new Set<string>();
      const redrive = async (entry: AccountQueue, job: Job<StoredDeadLetter>) => {
        await redriveOne(entry, job);
        touched.add(entry.account.id);
      };
      try {
        return await redriveAll(redrive, { accounts, ids });
      } finally {
        for (const accountId of touched) await jobsAdded?.(accountId).catch(() => undefined);
      }
    },

    async remove(id) {
      const parsed = parseQualifiedId(id);
      const entry = parsed && queues.get(parsed.accountId);
      if (!parsed || !entry) return false;
      const job = await entry.deadLetters.getJob(parsed.jobId);
      if (!job) return false;
      await job.remove();
      metrics?.deadLettersRemoved.inc({ account: entry.account.id, how: 'deleted' });
      return true;
    },
  };
}
