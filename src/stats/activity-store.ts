import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

/** What the workers count per account and minute. The order is the order of the counts everywhere below. */
export const ACTIVITY_KINDS = ['closed', 'dead_lettered', 'rate_limited'] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export const MINUTE_MS = 60_000;
/** Minutes kept: an hour. */
export const ACTIVITY_MINUTES = 60;
export const ACTIVITY_WINDOW_MS = ACTIVITY_MINUTES * MINUTE_MS;

/** One minute's counts of one account: `minute` in minutes since the epoch, `counts` in ACTIVITY_KINDS order. */
export interface MinuteCounts {
  minute: number;
  counts: readonly number[];
}

/** An account's last hour as the console shows it. */
export interface AccountActivity {
  /** When the last minute of each series began (ms since the epoch): the minute under way. */
  lastMinuteAt: number;
  /** Per minute over the last hour, oldest first; the last entry is the minute under way (counts land every few seconds). */
  perMinute: { closed: number[]; deadLettered: number[]; rateLimited: number[] };
  /** Sums of the series. */
  lastHour: { closed: number; deadLettered: number; rateLimited: number };
  /** Closes in the last full minute: the rate now. */
  closedLastMinute: number;
}

/**
 * The hash keeps one field per minute of the hour, `<minute mod 60>`, whose
 * value is `<minute>:<closed>:<dead_lettered>:<rate_limited>`. A minute's
 * counts land in its slot, replacing what an hour-old minute left there; so
 * the hash never holds more than 60 fields and needs no cleanup (HEXPIRE on
 * hash fields is Redis 7.4 and up). Counts older than the minute the slot
 * already holds (a flush more than an hour late) are dropped.
 * KEYS[1] the account's activity hash; ARGV[1] how many counts per minute,
 * ARGV[2] the hash's time to live in ms, then per minute: the minute and its counts.
 */
const ADD_SCRIPT = `
local n = tonumber(ARGV[1])
for i = 3, #ARGV, n + 1 do
  local minute = tonumber(ARGV[i])
  local field = tostring(minute % ${ACTIVITY_MINUTES})
  local stored = redis.call('HGET', KEYS[1], field)
  local held = {}
  if stored then
    for part in string.gmatch(stored, '[^:]+') do held[#held + 1] = tonumber(part) end
  end
  local heldMinute = held[1] or -1
  if heldMinute <= minute then
    local value = {string.format('%d', minute)}
    for k = 1, n do
      local before = 0
      if heldMinute == minute then before = held[k + 1] or 0 end
      value[k + 1] = string.format('%d', before + tonumber(ARGV[i + k]))
    end
    redis.call('HSET', KEYS[1], field, table.concat(value, ':'))
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

/** An account that sees no activity for this long loses its hash: nothing of it would show anyway. */
const TIME_TO_LIVE_MS = ACTIVITY_WINDOW_MS + MINUTE_MS;

type Scripts = { closerActivityAdd(key: string, ...args: (string | number)[]): Promise<number> };

function withScripts(redis: RedisClient): RedisClient & Scripts {
  if (!('closerActivityAdd' in redis)) redis.defineCommand('closerActivityAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
  return redis as RedisClient & Scripts;
}

export interface ActivityStore {
  /** Adds one account's counts: one command, in the account's slot. */
  add(accountId: string, minutes: readonly MinuteCounts[]): Promise<void>;
  /** Notes accounts that met 429s at `atMs` in the set the console sorts by, and trims it to the last hour: two commands. */
  noteRateLimited(accountIds: readonly string[], atMs: number): Promise<void>;
  /** The account's last hour: one command. */
  read(accountId: string, nowMs: number): Promise<AccountActivity>;
}

/** The hash as HGETALL answers it, read into series over the hour up to `nowMs`'s minute; fields outside the hour are ignored. */
export function activityOf(hash: Readonly<Record<string, string>>, nowMs: number): AccountActivity {
  const current = Math.floor(nowMs / MINUTE_MS);
  const first = current - ACTIVITY_MINUTES + 1;
  const series = ACTIVITY_KINDS.map(() => new Array<number>(ACTIVITY_MINUTES).fill(0));
  for (const value of Object.values(hash)) {
    const [minute, ...counts] = value.split(':').map(Number);
    if (minute === undefined || !Number.isInteger(minute) || minute < first || minute > current) continue;
    series.forEach((entries, kind) => (entries[minute - first] = counts[kind] ?? 0));
  }
  const [closed, deadLettered, rateLimited] = series as [number[], number[], number[]];
  const sum = (entries: number[]) => entries.reduce((total, entry) => total + entry, 0);
  return {
    lastMinuteAt: current * MINUTE_MS,
    perMinute: { closed, deadLettered, rateLimited },
    lastHour: { closed: sum(closed), deadLettered: sum(deadLettered), rateLimited: sum(rateLimited) },
    closedLastMinute: closed[ACTIVITY_MINUTES - 2]!,
  };
}

/**
 * Per-account activity in Redis: what the console shows of each account's
 * last hour, written by every worker process (activity-recorder.ts) and
 * read by the API. Every account's key carries its hash tag.
 */
export function createActivityStore(redis: RedisClient, keys: KeyNames): ActivityStore {
  const scripts = withScripts(redis);
  return {
    async add(accountId, minutes) {
      if (minutes.length === 0) return;
      const args: (string | number)[] = [ACTIVITY_KINDS.length, TIME_TO_LIVE_MS];
      for (const { minute, counts } of minutes) args.push(minute, ...ACTIVITY_KINDS.map((_, kind) => counts[kind] ?? 0));
      await scripts.closerActivityAdd(keys.activity(accountId), ...args);
    },
    async noteRateLimited(accountIds, atMs) {
      if (accountIds.length === 0) return;
      const key = keys.rateLimitedAccounts();
      await redis.zadd(key, ...accountIds.flatMap((id) => [atMs, id]));
      await redis.zremrangebyscore(key, '-inf', atMs - ACTIVITY_WINDOW_MS);
    },
    async read(accountId, nowMs) {
      return activityOf(await redis.hgetall(keys.activity(accountId)), nowMs);
    },
  };
}
