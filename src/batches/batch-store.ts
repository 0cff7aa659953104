import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/create-redis.js';
import type { KeyNames } from '../queues/names.js';

/** Batches are kept for a week after their last change. */
const RETENTION_SECONDS = 7 * 24 * 3600;
/**
 * Which account a batch id belongs to is kept a month after the batch was
 * first enqueued: it lives outside the account's hash slot, so the worker's
 * marks (which refresh the batch) cannot refresh it too. A batch whose jobs
 * still run after a month is found by its account's keys no more.
 */
const OWNER_RETENTION_SECONDS = 30 * 24 * 3600;

/** A batch's callback: what was asked for and how its delivery stands. */
export interface CallbackState {
  url: string;
  events: string[];
  /** The API key whose own secret signs it; absent: CLOSER_CALLBACK_SECRET does. */
  keyId?: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** HTTP status of the last attempt (null: none yet, or it got no answer). */
  lastStatus: number | null;
  deliveredAt: string | null;
  /** When the batch was done with its whole enqueue behind it: the moment batch.done is about. */
  doneAt: string | null;
}

export interface BatchStoreOptions {
  /** Told once when a batch with a callback becomes done (the callback's job is brought forward). */
  onDone?: (account: string, batchId: string) => void;
  /**
   * Told when a batch that asked for conversation events got its first event
   * since its last delivery emptied them: `arm` numbers the events job to make.
   */
  onEvents?: (account: string, batchId: string, arm: number) => void;
}

/** A job that ended: its id and, for the batch's conversation events, what happened to its conversation. */
export interface JobEnd {
  jobId: string;
  /** JSON of `{ref, outcome | reason, at}` (see conversationEnd); kept only when the batch asked for its kind of event. */
  event: string;
}

/** The conversation event of a job's end, as the callback carries it. */
export function conversationEnd(ref: unknown, what: { outcome: string } | { reason: string }, at = new Date()): string {
  return JSON.stringify({ ref, ...what, at: at.toISOString() });
}

/** Which conversation events a batch gathers, as the batch records them: one letter each. */
const EVENT_CODES: Record<string, string> = { 'conversation.closed': 'c', 'conversation.dead_lettered': 'd' };
const EVENT_TYPES: Record<string, string> = { c: 'conversation.closed', d: 'conversation.dead_lettered' };

/** The next conversation events to deliver: all of one type, in the order they happened. */
export interface EventChunk {
  type: 'conversation.closed' | 'conversation.dead_lettered';
  /** Events of the batch settled before these (delivered or dropped): with the batch id, names the delivery. */
  sequence: number;
  items: unknown[];
  /** When this chunk was first taken (its 24 h of attempts count from then). */
  takenAt: number;
}

/** A batch's conversation events as they stand. */
export interface EventsState {
  /** An events job is on its way (or should be: `arm` numbers it). */
  armed: boolean;
  arm: number;
  waiting: number;
}

export interface BatchReport {
  batchId: string;
  account: string;
  /** Jobs this batch enqueued (refs that were duplicates of pending closes are counted apart). */
  total: number;
  completed: number;
  deadLettered: number;
  pending: number;
  done: boolean;
  /** Refs not enqueued because a close for them was already pending. */
  duplicates: number;
  /** Of the completed: closes an auto-close sweep skipped because the conversation became active again. */
  skipped: number;
  /** Jobs a cancel removed before they ran. */
  cancelled: number;
  /** When a cancel was asked for; null if never. */
  cancelledAt: string | null;
  /** Present when the batch asked for a callback: where it goes, and how its delivery stands. */
  callback?: CallbackState & {
    /** Present when conversation events were asked for: how many were delivered, are waiting, or were given up after 24 h. */
    conversationEvents?: { delivered: number; waiting: number; failed: number };
  };
  createdAt: string;
  /** When the last of its jobs ended, once the batch is done; null before. */
  finishedAt: string | null;
}

/**
 * Per-batch bookkeeping as Redis sets of job ids, so every update is
 * idempotent: a job re-run after a crash, a retried request or a repeated
 * dead-letter move cannot count twice. A job in both `completed` and `dead`
 * (redriven, then closed) counts as completed.
 */
export interface BatchStore {
  /**
   * Ties the batch id to an account before its first job (ids are unique
   * across accounts); false when it belongs to another account.
   */
  claim(batchId: string, account: string): Promise<boolean>;
  /**
   * Batch ids, newest first: the account's (its newest LISTED_PER_ACCOUNT)
   * or every account's (the newest LISTED_BATCHES); `search`: those whose id
   * holds it. A listed id may name a batch since expired or removed.
   */
  list(query: { account?: string | undefined; search?: string | undefined; limit: number; offset: number }): Promise<{ total: number; ids: string[] }>;
  /**
   * Adds jobs to the batch in one transaction (made on the connection this
   * store was created with, where its scripts are defined): `addJobs` puts
   * their adds on it, and after them the batch records those of the jobs
   * that exist (a job whose add was deduplicated into another batch's pending
   * close is counted as a duplicate instead). Redis runs all of it or none of
   * it, so the batch never counts a job that does not exist, and a batch
   * exists only once it holds a job. Resolves to how many jobs are this batch's.
   */
  enqueue(
    transaction: ChainableCommander,
    batch: { batchId: string; account: string; jobKeyPrefix: string; callback?: string },
    jobs: readonly { jobId: string; refKey: string }[],
    addJobs: (transaction: ChainableCommander) => void,
  ): Promise<number>;
  /** Several jobs of one batch in one round trip (a worker's closes that ended together). */
  markCompleted(account: string, batchId: string, ends: readonly JobEnd[], options?: { skipped?: boolean }): Promise<void>;
  markDead(account: string, batchId: string, end: JobEnd): Promise<void>;
  unmarkDead(account: string, batchId: string, jobId: string): Promise<void>;
  /** The batch, found through its owner; undefined when no job of it exists (or ever did, within retention). */
  get(batchId: string): Promise<BatchReport | undefined>;
  /** Records that the batch is cancelled (from now on it takes no new job). */
  cancelling(account: string, batchId: string): Promise<void>;
  isCancelled(account: string, batchId: string): Promise<boolean>;
  /** Its job ids that are neither completed, dead-lettered nor cancelled. */
  unsettled(account: string, batchId: string): Promise<string[]>;
  /** Jobs a cancel removed; one already completed or dead-lettered is not counted again. */
  markCancelled(account: string, batchId: string, jobIds: readonly string[]): Promise<void>;
  /** The batch's enqueue is complete: from now on it can be done (and its callback sent). */
  seal(account: string, batchId: string): Promise<void>;
  /** One delivery attempt of the batch's callback: its HTTP status (null: no answer) and the state it leaves. */
  recordCallback(account: string, batchId: string, attempt: { status: number | null; state: CallbackState['state']; counted: boolean }): Promise<void>;
  /**
   * The conversation events to deliver next (the same ones again until they
   * are settled: a retry carries what the failed attempt carried); undefined
   * when none wait, which also lets the next event arm a new events job.
   */
  takeEvents(account: string, batchId: string): Promise<EventChunk | undefined>;
  /** The chunk taken last was delivered (or given up: `dropped`); resolves to how many events still wait. */
  settleEvents(account: string, batchId: string, count: number, options?: { dropped?: boolean }): Promise<number>;
  eventsState(account: string, batchId: string): Promise<EventsState>;
}

/**
 * Runs inside the enqueue transaction, after the job adds. KEYS: batch, jobs,
 * completed, dead, duplicates, skipped. ARGV[1] ttl s, ARGV[2] created-at,
 * ARGV[3] the prefix of the queue's job keys, then (job id, ref key) pairs.
 * A job id whose key does not exist was deduplicated into another close (a
 * resend that finds the job there takes its ref out of the duplicates again:
 * see the NOSCRIPT retry in enqueue-closes.ts).
 */
const REGISTER_SCRIPT = `
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[2])
local accepted = 0
for i = 4, #ARGV, 2 do
  if redis.call('EXISTS', ARGV[3] .. ARGV[i]) == 1 then
    redis.call('SADD', KEYS[2], ARGV[i])
    redis.call('SREM', KEYS[5], ARGV[i + 1])
    accepted = accepted + 1
  else
    redis.call('SADD', KEYS[5], ARGV[i + 1])
  end
end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[1]) end
return accepted
`;

/** Batches kept listed, across accounts and per account; older ones are still found by id. */
const LISTED_BATCHES = 10_000;
const LISTED_PER_ACCOUNT = 1_000;

/** Members per command; also keeps a mark script's unpacked job ids far below Lua's limit (about 8,000). */
const CHUNK = 1_000;

/**
 * Marks jobs completed (and skipped), dead or cancelled, and refreshes every
 * key of the batch's expiry, in one round trip. KEYS: as allKeys(). ARGV[1]
 * ttl s, ARGV[2] 'completed' | 'skipped' | 'dead' | 'cancelled' | 'sealed',
 * ARGV[3] when (ms since the epoch), then (job id, event) pairs for an end
 * (at most CHUNK) or job ids for a cancel. A job's event is kept when the
 * batch gathers its kind (field 'events') and the job was not marked so
 * already (a re-run adds none). Answers {2 when this mark made the batch done
 * else 1, the number of the events job to make or 0}.
 */
const MARK_SCRIPT = `
local kind = ARGV[2]
local arm = 0
if kind == 'cancelled' then
  for i = 4, #ARGV do
    if redis.call('SISMEMBER', KEYS[3], ARGV[i]) == 0 and redis.call('SISMEMBER', KEYS[4], ARGV[i]) == 0 then redis.call('SADD', KEYS[7], ARGV[i]) end
  end
elseif kind == 'sealed' then
  if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'sealed', 1) end
else
  local code = kind == 'dead' and 'd' or 'c'
  local wanted = string.find(redis.call('HGET', KEYS[1], 'events') or '', code, 1, true)
  local kept = 0
  for i = 4, #ARGV, 2 do
    local added
    if kind == 'dead' then
      added = redis.call('SADD', KEYS[4], ARGV[i])
    else
      added = redis.call('SADD', KEYS[3], ARGV[i])
      redis.call('SREM', KEYS[4], ARGV[i])
      if kind == 'skipped' then redis.call('SADD', KEYS[6], ARGV[i]) end
    end
    if added == 1 and wanted then
      redis.call('RPUSH', KEYS[8], code .. ARGV[i + 1])
      kept = kept + 1
    end
  end
  if kept > 0 and redis.call('HSETNX', KEYS[1], 'eventsArmed', 1) == 1 then arm = redis.call('HINCRBY', KEYS[1], 'eventsArms', 1) end
end
if kind ~= 'sealed' and redis.call('HEXISTS', KEYS[1], 'account') == 1 then redis.call('HSET', KEYS[1], 'lastEndAt', ARGV[3]) end
for _, key in ipairs(KEYS) do redis.call('EXPIRE', key, ARGV[1]) end
-- A batch with a callback, whole (sealed) and with nothing pending, is done: the one mark that sees it first says so (2).
if redis.call('HEXISTS', KEYS[1], 'callback') == 1 and redis.call('HEXISTS', KEYS[1], 'sealed') == 1 then
  local dead = redis.call('SCARD', KEYS[4]) - redis.call('SINTERCARD', 2, KEYS[4], KEYS[3])
  local pending = redis.call('SCARD', KEYS[2]) - redis.call('SCARD', KEYS[3]) - dead - redis.call('SCARD', KEYS[7])
  if pending <= 0 and redis.call('HSETNX', KEYS[1], 'doneAt', ARGV[3]) == 1 then return {2, arm} end
end
return {1, arm}
`;

/**
 * The conversation events to deliver next. KEYS: batch, events. ARGV[1] most
 * per delivery, ARGV[2] now (ms). The chunk's size is recorded when first
 * taken, so every attempt carries the same events under the same id. An empty
 * list disarms (the next event makes a new events job): in the same script as
 * the look, so no event slips between the two.
 */
const TAKE_EVENTS_SCRIPT = `
local size = tonumber(redis.call('HGET', KEYS[1], 'eventsChunk') or '0')
if size == 0 then
  local head = redis.call('LRANGE', KEYS[2], 0, tonumber(ARGV[1]) - 1)
  if #head == 0 then
    redis.call('HDEL', KEYS[1], 'eventsArmed')
    return {}
  end
  local code = string.sub(head[1], 1, 1)
  size = 1
  while size < #head and string.sub(head[size + 1], 1, 1) == code do size = size + 1 end
  redis.call('HSET', KEYS[1], 'eventsChunk', size, 'eventsChunkAt', ARGV[2])
end
local meta = redis.call('HMGET', KEYS[1], 'eventsSettled', 'eventsChunkAt')
return {meta[1] or '0', meta[2] or ARGV[2], redis.call('LRANGE', KEYS[2], 0, size - 1)}
`;

/** The chunk taken is settled. KEYS: batch, events. ARGV[1] its size, ARGV[2] '1' when given up. Answers how many wait. */
const SETTLE_EVENTS_SCRIPT = `
redis.call('LTRIM', KEYS[2], tonumber(ARGV[1]), -1)
redis.call('HINCRBY', KEYS[1], 'eventsSettled', ARGV[1])
if ARGV[2] == '1' then redis.call('HINCRBY', KEYS[1], 'eventsDropped', ARGV[1]) end
redis.call('HDEL', KEYS[1], 'eventsChunk', 'eventsChunkAt')
local waiting = redis.call('LLEN', KEYS[2])
if waiting == 0 then redis.call('HDEL', KEYS[1], 'eventsArmed') end
return waiting
`;

/** Events per delivery at most: a request stays well under a megabyte. */
const EVENTS_PER_DELIVERY = 1_000;

/**
 * A batch's counts, read at one instant. A script rather than MULTI: Redis
 * refuses every MULTI while out of memory, and a batch must stay readable
 * then. KEYS as allKeys().
 */
const READ_SCRIPT = `
local meta = redis.call('HMGET', KEYS[1], 'account', 'createdAt', 'lastEndAt', 'cancelledAt', 'callback', 'callbackState', 'callbackAttempts', 'callbackLastStatus', 'callbackDeliveredAt', 'doneAt', 'eventsSettled', 'eventsDropped')
return {
  meta[1], meta[2], meta[3], meta[4], meta[5], meta[6], meta[7], meta[8], meta[9], meta[10], meta[11], meta[12],
  redis.call('SCARD', KEYS[2]), redis.call('SCARD', KEYS[3]), redis.call('SCARD', KEYS[4]),
  redis.call('SINTERCARD', 2, KEYS[4], KEYS[3]),
  redis.call('SCARD', KEYS[5]), redis.call('SCARD', KEYS[6]), redis.call('SCARD', KEYS[7]), redis.call('LLEN', KEYS[8])
}
`;

type BatchScripts = {
  closerMarkBatch(...args: (string | number)[]): Promise<[number, number]>;
  closerReadBatch(...keys: string[]): Promise<unknown[]>;
  closerTakeEvents(...args: (string | number)[]): Promise<[string, string, string[]] | []>;
  closerSettleEvents(...args: (string | number)[]): Promise<number>;
};
type RegisterScript = { closerRegisterBatchJobs(...args: (string | number)[]): ChainableCommander };

export function createBatchStore(connection: RedisClient, keys: KeyNames, { onDone, onEvents }: BatchStoreOptions = {}): BatchStore {
  const redis = connection as RedisClient & BatchScripts;
  if (!('closerMarkBatch' in connection)) connection.defineCommand('closerMarkBatch', { numberOfKeys: 8, lua: MARK_SCRIPT });
  if (!('closerReadBatch' in connection)) connection.defineCommand('closerReadBatch', { numberOfKeys: 8, lua: READ_SCRIPT });
  if (!('closerRegisterBatchJobs' in connection)) connection.defineCommand('closerRegisterBatchJobs', { numberOfKeys: 8, lua: REGISTER_SCRIPT });
  if (!('closerTakeEvents' in connection)) connection.defineCommand('closerTakeEvents', { numberOfKeys: 2, lua: TAKE_EVENTS_SCRIPT });
  if (!('closerSettleEvents' in connection)) connection.defineCommand('closerSettleEvents', { numberOfKeys: 2, lua: SETTLE_EVENTS_SCRIPT });
  const allKeys = (account: string, batchId: string) => [
    keys.batch(account, batchId),
    keys.batchJobs(account, batchId),
    keys.batchCompleted(account, batchId),
    keys.batchDead(account, batchId),
    keys.batchDuplicates(account, batchId),
    keys.batchSkipped(account, batchId),
    keys.batchCancelled(account, batchId),
    keys.batchEvents(account, batchId),
  ];
  const eventKeys = (account: string, batchId: string) => [keys.batch(account, batchId), keys.batchEvents(account, batchId)];
  /** `args`: job ids (cancelled), (job id, event) pairs (ends), nothing (sealed); `per`: how many args make one job. */
  async function mark(account: string, batchId: string, args: readonly string[], how: 'completed' | 'skipped' | 'dead' | 'cancelled' | 'sealed', per = 1): Promise<void> {
    const marked: Promise<[number, number]>[] = [];
    // Every chunk is sent before the first answer is awaited, so all of them reach Redis in this order at once.
    for (let start = 0; start < args.length || (how === 'sealed' && start === 0); start += CHUNK * per) {
      marked.push(redis.closerMarkBatch(...allKeys(account, batchId), RETENTION_SECONDS, how, Date.now(), ...args.slice(start, start + CHUNK * per)));
    }
    const answers = await Promise.all(marked);
    const arm = Math.max(...answers.map(([, armed]) => armed));
    if (arm > 0) onEvents?.(account, batchId, arm);
    if (answers.some(([done]) => done === 2)) onDone?.(account, batchId);
  }
  const ends = (list: readonly JobEnd[]) => list.flatMap(({ jobId, event }) => [jobId, event]);

  return {
    async claim(batchId, account) {
      const key = keys.batchOwner(batchId);
      const claimed = (await redis.set(key, account, 'EX', OWNER_RETENTION_SECONDS, 'NX')) === 'OK';
      if (!claimed && (await redis.get(key)) !== account) return false;
      // Listed on every request (NX keeps its first time), so a request that failed after the claim is listed by its resend.
      const now = Date.now();
      const listed = [redis.zadd(keys.recentBatches(), 'NX', now, batchId), redis.zadd(keys.accountBatches(account), 'NX', now, batchId)];
      if (claimed) listed.push(redis.zremrangebyrank(keys.recentBatches(), 0, -LISTED_BATCHES - 1), redis.zremrangebyrank(keys.accountBatches(account), 0, -LISTED_PER_ACCOUNT - 1));
      await Promise.all(listed);
      return true;
    },
    async list({ account, search, limit, offset }) {
      const key = account === undefined ? keys.recentBatches() : keys.accountBatches(account);
      if (!search) {
        const [total, ids] = await Promise.all([redis.zcard(key), redis.zrange(key, offset, offset + limit - 1, 'REV')]);
        return { total, ids };
      }
      // At most LISTED_BATCHES short ids: read whole and matched here (ZSCAN MATCH would lose the order).
      const found = (await redis.zrange(key, 0, -1, 'REV')).filter((id) => id.includes(search));
      return { total: found.length, ids: found.slice(offset, offset + limit) };
    },
    async enqueue(transaction, { batchId, account, jobKeyPrefix, callback }, jobs, addJobs) {
      if (jobs.length > CHUNK) throw new RangeError(`at most ${CHUNK} jobs per batch transaction`);
      // A plain write first: under maxmemory Redis then refuses the whole transaction (EXECABORT), never a part of it.
      transaction.hsetnx(keys.batch(account, batchId), 'account', account);
      // The first request's callback is the batch's: a resend does not change where it goes.
      if (callback !== undefined) {
        transaction.hsetnx(keys.batch(account, batchId), 'callback', callback);
        const codes = ((JSON.parse(callback) as { events?: string[] }).events ?? []).map((event) => EVENT_CODES[event] ?? '').join('');
        if (codes) transaction.hsetnx(keys.batch(account, batchId), 'events', codes);
      }
      addJobs(transaction);
      const pairs = jobs.flatMap(({ jobId, refKey }) => [jobId, refKey]);
      (transaction as ChainableCommander & RegisterScript).closerRegisterBatchJobs(...allKeys(account, batchId), RETENTION_SECONDS, new Date().toISOString(), jobKeyPrefix, ...pairs);
      const results = await transaction.exec();
      if (!results) throw new Error('the enqueue transaction was discarded');
      // A command that failed inside EXEC (NOSCRIPT) did nothing, while the others ran: the caller resends the chunk.
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
      return results.at(-1)![1] as number;
    },
    markCompleted: (account, batchId, list, { skipped = false } = {}) => mark(account, batchId, ends(list), skipped ? 'skipped' : 'completed', 2),
    markDead: (account, batchId, end) => mark(account, batchId, ends([end]), 'dead', 2),
    async unmarkDead(account, batchId, jobId) {
      await redis.srem(keys.batchDead(account, batchId), jobId);
    },
    async cancelling(account, batchId) {
      await redis.hsetnx(keys.batch(account, batchId), 'cancelledAt', Date.now());
    },
    isCancelled: async (account, batchId) => (await redis.hexists(keys.batch(account, batchId), 'cancelledAt')) === 1,
    unsettled: (account, batchId) => redis.sdiff(keys.batchJobs(account, batchId), keys.batchCompleted(account, batchId), keys.batchDead(account, batchId), keys.batchCancelled(account, batchId)),
    markCancelled: async (account, batchId, jobIds) => (jobIds.length > 0 ? mark(account, batchId, jobIds, 'cancelled') : undefined),
    seal: (account, batchId) => mark(account, batchId, [], 'sealed'),
    async recordCallback(account, batchId, { status, state, counted }) {
      const key = keys.batch(account, batchId);
      const transaction = redis.multi().hset(key, 'callbackState', state, 'callbackLastStatus', status ?? 0);
      if (counted) transaction.hincrby(key, 'callbackAttempts', 1);
      if (state === 'delivered') transaction.hset(key, 'callbackDeliveredAt', Date.now());
      await transaction.exec();
    },
    async takeEvents(account, batchId) {
      const answer = await redis.closerTakeEvents(...eventKeys(account, batchId), EVENTS_PER_DELIVERY, Date.now());
      if (answer.length === 0) return undefined;
      const [settled, takenAt, items] = answer;
      return {
        type: EVENT_TYPES[items[0]!.charAt(0)] as EventChunk['type'],
        sequence: Number(settled),
        items: items.map((item) => JSON.parse(item.slice(1)) as unknown),
        takenAt: Number(takenAt),
      };
    },
    settleEvents: (account, batchId, count, { dropped = false } = {}) => redis.closerSettleEvents(...eventKeys(account, batchId), count, dropped ? '1' : '0'),
    async eventsState(account, batchId) {
      const [[armed, arm], waiting] = await Promise.all([redis.hmget(keys.batch(account, batchId), 'eventsArmed', 'eventsArms'), redis.llen(keys.batchEvents(account, batchId))]);
      return { armed: armed !== null, arm: Number(arm ?? 0), waiting };
    },
    async get(batchId) {
      const owner = await redis.get(keys.batchOwner(batchId));
      if (!owner) return undefined;
      const read = (await redis.closerReadBatch(...allKeys(owner, batchId))) as (string | number | null)[];
      const [account, createdAt, lastEndAt, cancelledAt, callback, callbackState, callbackAttempts, callbackLastStatus, callbackDeliveredAt, doneAt, eventsSettled, eventsDropped] = read.slice(0, 12) as (string | null)[];
      const [total, completed, dead, deadAndCompleted, duplicates, skipped, cancelled, eventsWaiting] = read.slice(12) as number[];
      if (!account) return undefined;
      const asked = callback ? (JSON.parse(callback) as { url: string; events: string[]; keyId?: string }) : undefined;
      const deadLettered = dead! - deadAndCompleted!;
      const pending = Math.max(0, total! - completed! - deadLettered - cancelled!);
      const done = pending === 0;
      return {
        batchId,
        account,
        total: total!,
        completed: completed!,
        deadLettered,
        pending,
        done,
        duplicates: duplicates!,
        skipped: skipped!,
        cancelled: cancelled!,
        cancelledAt: cancelledAt ? new Date(Number(cancelledAt)).toISOString() : null,
        ...(asked
          ? {
              callback: {
                ...asked,
                state: (callbackState as CallbackState['state'] | null) ?? 'pending',
                attempts: Number(callbackAttempts ?? 0),
                lastStatus: callbackLastStatus ? Number(callbackLastStatus) || null : null,
                deliveredAt: callbackDeliveredAt ? new Date(Number(callbackDeliveredAt)).toISOString() : null,
                doneAt: doneAt ? new Date(Number(doneAt)).toISOString() : null,
                ...(asked.events.some((event) => EVENT_CODES[event])
                  ? { conversationEvents: { delivered: Number(eventsSettled ?? 0) - Number(eventsDropped ?? 0), waiting: eventsWaiting!, failed: Number(eventsDropped ?? 0) } }
                  : {}),
              },
            }
          : {}),
        createdAt: createdAt ?? '',
        finishedAt: done && lastEndAt ? new Date(Number(lastEndAt)).toISOString() : null,
      };
    },
  };
}
