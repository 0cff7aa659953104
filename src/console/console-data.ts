import type { NotableAccounts } from '../accounts/notable-accounts.js';
import type { BatchReport } from '../batches/batch-store.js';
import type { DeadLetter } from '../dead-letters/dead-letter-store.js';
import { NotFoundError, UnknownAccountError } from '../producer/producer-errors.js';
import type { AccountStatus, JobStatus, Producer } from '../producer/producer.js';
import type { AccountQueues } from '../queues/account-queues.js';
import type { RateLimit } from '../config/rate.js';
import type { RateLimitUse } from '../rate-limit/rate-limit-use.js';
import type { AccountActivity } from '../stats/activity-store.js';
import { ATTENTION_KINDS, attentionOf, type AccountAttention, type AttentionKind } from './account-attention.js';
import { pageOfAccounts, type AccountPage } from './account-page.js';
import type { DeadLetterFilter, DeadLetterScope, GroupRequest } from './console-requests.js';
import { groupDeadLetters, type DeadLetterGroup } from './dead-letter-groups.js';

/**
 * An account as the console lists it: its status (no credential in it), why it needs attention, its oldest dead letter,
 * its last hour (closes, dead letters and 429s per minute, as the workers wrote them) and its rate limit's use now.
 */
export interface AccountRow extends AccountStatus {
  attention: AttentionKind[];
  oldestDeadLetterAt: string | null;
  activity: AccountActivity;
  rateLimitUse: RateLimitUse;
}

export interface AccountsAnswer extends Omit<AccountPage, 'ids'> {
  /** How many accounts there are, and how many need each kind of attention (over all accounts, not the query). */
  summary: { accounts: number } & Record<AttentionKind, number>;
  items: AccountRow[];
}

export interface DeadLettersAnswer {
  /** Dead letters in scope. */
  total: number;
  /** Of them, the latest this answer read and grouped. */
  read: number;
  groups: DeadLetterGroup[];
  /** The HTTP statuses of the groups read, before a status filter (null: no answer): what the filter offers. */
  statuses?: (number | null)[];
}

/** A batch as the console shows it: its callback's address without query or credentials. */
export type BatchAnswer = BatchReport;

export interface ConsoleData {
  accounts(request: { query: string; page: number }): Promise<AccountsAnswer>;
  account(id: string): Promise<{ account: AccountRow; deadLetters: DeadLettersAnswer }>;
  deadLetters(filter: DeadLetterFilter): Promise<DeadLettersAnswer & { accounts: number }>;
  redriveGroup(group: GroupRequest): Promise<{ redriven: number; matched: number }>;
  redrive(ids: readonly string[]): Promise<{ redriven: number }>;
  remove(ids: readonly string[]): Promise<{ deleted: number; missing: number }>;
  pause(id: string): Promise<AccountStatus>;
  resume(id: string): Promise<AccountStatus>;
  sweep(id: string, options?: { dryRun?: boolean }): Promise<{ jobId: string }>;
  /** A sweep's (or any job's) state and result, to show a dry run's list when it ends. */
  job(id: string): Promise<JobStatus>;
  /** Batches newest first, a page of them: every account's, or one's; `query`: ids holding it. */
  batches(request: { account?: string; query: string; page: number }): Promise<{ total: number; page: number; pageSize: number; items: BatchAnswer[] }>;
  batch(id: string): Promise<BatchAnswer>;
  cancelBatch(id: string): Promise<BatchAnswer>;
}

export interface ConsoleDataOptions {
  producer: Producer;
  queues: AccountQueues;
  notable: NotableAccounts;
  /** The reason recorded when an account was paused; null when none was (a manual pause). */
  pauseReasonOf(accountId: string): Promise<string | null>;
  /** The account's last hour (stats/activity-store.ts): one command. */
  activityOf(accountId: string, nowMs: number): Promise<AccountActivity>;
  /** Its rate limit's use now, from the limiter's keys (rate-limit/rate-limit-use.ts): one command. */
  rateLimitUseOf(accountId: string, rate: RateLimit): Promise<RateLimitUse>;
  pageSize?: number;
  now?: () => number;
}

export const PAGE_SIZE = 50;
/** Dead letters an account page reads and groups: its latest ones. */
export const ACCOUNT_DEAD_LETTERS = 500;
/** Dead letters the cross-account page reads and groups, the latest accounts' first. */
export const ALL_DEAD_LETTERS = 500;
/** Accounts whose dead letters the cross-account page counts at most (those with the latest dead letters). */
export const MOST_DEAD_LETTER_ACCOUNTS = 200;
/** Dead letters a group redrive looks through at most. */
export const MOST_SCANNED = 20_000;
/** Paused accounts whose reason is read to sort them (the rest sort as paused by hand). */
const MOST_REASONS = 1_000;
/** Tabs refreshing together share one reading of the notable sets. */
const ATTENTION_FRESH_MS = 1_000;
const REDRIVE_CHUNK = 500;
const SCAN_PAGE = 1_000;

/** A callback address as shown: no user, password or query (they may hold the receiver's secrets). */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
  } catch {
    return '(not a URL)';
  }
}

const shownBatch = (report: BatchReport): BatchAnswer => (report.callback ? { ...report, callback: { ...report.callback, url: shownUrl(report.callback.url) } } : report);

/**
 * What the console shows and does, over the producer and the notable
 * accounts. A refresh of the accounts list costs a few commands to sort
 * every account (the notable sets, the paused ones' reasons) plus a
 * status read of each of the ~50 accounts on the page, with its activity
 * and rate-limit use (a command each); no account off the page is read,
 * whatever their number.
 */
export function createConsoleData({ producer, queues, notable, pauseReasonOf, activityOf, rateLimitUseOf, pageSize = PAGE_SIZE, now = Date.now }: ConsoleDataOptions): ConsoleData {
  let reading: { at: number; attention: Promise<Map<string, AccountAttention>> } | undefined;

  async function readAttention(): Promise<Map<string, AccountAttention>> {
    const kinds = await notable.byKind(now());
    const paused = kinds.paused.slice(0, MOST_REASONS);
    const reasons = await Promise.all(paused.map(pauseReasonOf));
    return attentionOf(kinds, new Map(paused.map((id, position) => [id, reasons[position] ?? null])));
  }

  function attention(): Promise<Map<string, AccountAttention>> {
    if (!reading || now() - reading.at > ATTENTION_FRESH_MS) {
      const fresh = { at: now(), attention: readAttention() };
      fresh.attention.catch(() => reading === fresh && (reading = undefined));
      reading = fresh;
    }
    return reading.attention;
  }

  /** A set that still names an account whose dead letters are gone learns it (as the metrics' reader does). */
  const forgetEmpty = (accountId: string) => void notable.noDeadLetters(accountId).catch(() => undefined);

  async function row(id: string, noted: AccountAttention | undefined): Promise<AccountRow> {
    const rate = queues.accountOf(id)?.rateLimit;
    // The two reads beyond the status (a command each) travel with it.
    const [status, activity, rateLimitUse] = await Promise.all([
      producer.account(id),
      activityOf(id, now()),
      rate ? rateLimitUseOf(id, rate) : { sent: 0, max: 0, windowMs: 0, blockedForMs: 0 },
    ]);
    let oldestDeadLetterAt: string | null = null;
    if (status.counts.deadLettered > 0) {
      // Ascending order: the first waiting job is the oldest.
      const [oldest] = await queues.get(id)!.deadLetters.getJobs(['waiting'], 0, 0, true);
      oldestDeadLetterAt = oldest ? new Date(oldest.timestamp).toISOString() : null;
    } else if (noted?.kinds.includes('dead_letters')) forgetEmpty(id);
    // The badges say what the status read found; the sets (which may lag, or name an account
    // with nothing left to take until a dispatcher settles it) only sort.
    const kinds = new Set<AttentionKind>();
    if (status.pausedReason) kinds.add(status.pausedReason === 'unauthorized' ? 'unauthorized' : 'paused');
    if (status.counts.deadLettered > 0) kinds.add('dead_letters');
    if (activity.lastHour.rateLimited > 0) kinds.add('rate_limited');
    if (status.counts.waiting > 0) kinds.add('backlog');
    if (status.counts.active > 0) kinds.add('running');
    return { ...status, attention: ATTENTION_KINDS.filter((kind) => kinds.has(kind)), oldestDeadLetterAt, activity, rateLimitUse };
  }

  /** The accounts that can have dead letters in scope, the latest dead letter first. */
  async function deadLetterScope({ account, provider }: DeadLetterScope): Promise<string[]> {
    if (account !== undefined) {
      if (!queues.accountOf(account)) throw new UnknownAccountError(account);
      return [account];
    }
    const kinds = await notable.byKind(now());
    return kinds.deadLettered.map(({ id }) => id).filter((id) => {
      const info = queues.accountOf(id);
      return info !== undefined && (provider === undefined || info.provider === provider);
    });
  }

  /** The latest `most` dead letters of these accounts, counted first (one command each), read from the first account on. */
  async function latestDeadLetters(accountIds: readonly string[], most: number): Promise<{ total: number; items: DeadLetter[] }> {
    const scope = accountIds.slice(0, MOST_DEAD_LETTER_ACCOUNTS).filter((id) => queues.accountOf(id));
    const counts = await Promise.all(scope.map((id) => queues.get(id)!.deadLetters.getJobCountByTypes('waiting')));
    const reads: { account: string; limit: number; offset: number }[] = [];
    let left = most;
    scope.forEach((id, position) => {
      const count = counts[position]!;
      if (count === 0) forgetEmpty(id);
      const limit = Math.min(count, left);
      if (limit > 0) reads.push({ account: id, limit, offset: count - limit });
      left -= limit;
    });
    const pages = await Promise.all(reads.map((read) => producer.deadLetters(read)));
    return { total: counts.reduce((sum, count) => sum + count, 0), items: pages.flatMap((page) => page.items) };
  }

  async function deadLettersOf(accountIds: readonly string[], most: number): Promise<DeadLettersAnswer> {
    const { total, items } = await latestDeadLetters(accountIds, most);
    return { total, read: items.length, groups: groupDeadLetters(items) };
  }

  /** Ids of the dead letters of these accounts that failed this way, looking through at most MOST_SCANNED. */
  async function idsOfGroup(accountIds: readonly string[], { reason, status }: GroupRequest): Promise<string[]> {
    const found: string[] = [];
    let scanned = 0;
    for (const account of accountIds) {
      for (let offset = 0; scanned < MOST_SCANNED; offset += SCAN_PAGE) {
        const page = await producer.deadLetters({ account, limit: SCAN_PAGE, offset });
        scanned += page.items.length;
        for (const item of page.items) if (item.reason === reason && item.status === status) found.push(item.id);
        if (page.items.length < SCAN_PAGE) break;
      }
    }
    return found;
  }

  /** After an action of this console, the next refresh reads the sets afresh, so the page shows what it did at once. */
  function acted<T>(result: T): T {
    reading = undefined;
    return result;
  }

  async function redrive(ids: readonly string[]): Promise<{ redriven: number }> {
    reading = undefined;
    let redriven = 0;
    for (let start = 0; start < ids.length; start += REDRIVE_CHUNK) redriven += (await producer.redrive({ ids: ids.slice(start, start + REDRIVE_CHUNK) })).redriven;
    return { redriven };
  }

  return {
    async accounts({ query, page }) {
      const ids = queues.ids();
      const noted = await attention();
      const { ids: shown, ...place } = pageOfAccounts(ids, noted, { query, page, pageSize });
      const summary = { accounts: ids.length, ...Object.fromEntries(ATTENTION_KINDS.map((kind) => [kind, 0])) } as AccountsAnswer['summary'];
      for (const entry of noted.values()) for (const kind of entry.kinds) summary[kind] += 1;
      const rows = await Promise.allSettled(shown.map((id) => row(id, noted.get(id))));
      // An account removed since the ids were taken drops out; any other failure is the answer's.
      const failed = rows.find((result): result is PromiseRejectedResult => result.status === 'rejected' && !(result.reason instanceof UnknownAccountError));
      if (failed) throw failed.reason;
      return { ...place, summary, items: rows.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])) };
    },

    async account(id) {
      const account = await row(id, (await attention()).get(id));
      return { account, deadLetters: await deadLettersOf([id], ACCOUNT_DEAD_LETTERS) };
    },

    async deadLetters({ status, ...scope }) {
      const accounts = await deadLetterScope(scope);
      const answer = await deadLettersOf(accounts, ALL_DEAD_LETTERS);
      const statuses = [...new Set(answer.groups.map((group) => group.status))].sort((a, b) => (a ?? 0) - (b ?? 0));
      // The status filter narrows the groups read (the latest ALL_DEAD_LETTERS); `total` stays the scope's.
      const groups = status === undefined ? answer.groups : answer.groups.filter((group) => group.status === status);
      return { accounts: accounts.length, ...answer, groups, statuses };
    },

    async redriveGroup(group) {
      const ids = await idsOfGroup(await deadLetterScope(group), group);
      return { ...(await redrive(ids)), matched: ids.length };
    },

    redrive,

    async remove(ids) {
      reading = undefined;
      let deleted = 0;
      for (const id of ids) {
        try {
          await producer.deleteDeadLetter(id);
          deleted += 1;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
        }
      }
      return { deleted, missing: ids.length - deleted };
    },

    pause: async (id) => acted(await producer.pauseAccount(id)),
    resume: async (id) => acted(await producer.resumeAccount(id)),
    sweep: async (id, options) => acted(await producer.sweepNow(id, undefined, options)),
    job: (id) => producer.job(id),
    async batches({ account, query, page }) {
      const { total, items } = await producer.listBatches({ account, search: query || undefined, limit: pageSize, offset: (page - 1) * pageSize });
      return { total, page, pageSize, items: items.map(shownBatch) };
    },
    batch: async (id) => shownBatch(await producer.batch(id)),
    cancelBatch: async (id) => shownBatch(await producer.cancelBatch(id)),
  };
}
