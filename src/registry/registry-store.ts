import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

/**
 * What is managed at run time, in Redis: accounts and API keys, each a JSON
 * record in a hash, and a change log every process follows (see
 * registry-feed.ts). Every write takes the next revision (a counter) and
 * stamps it on the record's entry in the log, a sorted set `kind:id` →
 * revision; a removal leaves its entry there as a tombstone. So "what
 * changed since revision r" is one range read, however many processes ask
 * and whatever they missed. Tombstones older than a day are pruned, and the
 * revision they reached is kept: a process further behind reloads everything.
 *
 * All of it lives under one hash tag, so each write is one script in one slot
 * of a Redis Cluster: a record and its log entry never disagree.
 */
export type RegistryKind = 'account' | 'api-key';

export interface RegistryChange {
  kind: RegistryKind;
  id: string;
  /** The record now; null when it was removed. */
  value: string | null;
}

export type ChangesSince =
  | { reset: false; revision: number; changes: RegistryChange[]; more: boolean }
  /** The log no longer reaches back that far: reload everything. */
  | { reset: true };

export interface RegistrySnapshot {
  revision: number;
  records: Record<RegistryKind, Map<string, string>>;
}

export type PutMode = 'create' | 'update';

/** A put's outcome: the revision it took, or why it did not happen. */
export type PutResult = { ok: true; revision: number } | { ok: false; reason: 'exists' | 'missing' | 'changed' };

export interface RegistryStore {
  /**
   * Writes a record: `create` only where none is, `update` only where one
   * is and, with `expectRevision`, only if nobody wrote it since that
   * revision (read, change, write without losing a concurrent change).
   */
  put(kind: RegistryKind, id: string, value: string, mode: PutMode, expectRevision?: number): Promise<PutResult>;
  /** Removes a record; false when there was none. */
  remove(kind: RegistryKind, id: string): Promise<boolean>;
  get(kind: RegistryKind, id: string): Promise<{ value: string; revision: number } | undefined>;
  /** How many records of a kind there are. */
  count(kind: RegistryKind): Promise<number>;
  /** Every record and the revision they are at. */
  snapshot(): Promise<RegistrySnapshot>;
  /** The current revision: one GET, what every process polls. */
  revision(): Promise<number>;
  /** What changed after `revision`, at most `limit` changes (then `more`). */
  changesSince(revision: number, limit?: number): Promise<ChangesSince>;
}

/** What the wake-up channel carries after a registry write; not an account id (they hold no dot). */
export const REGISTRY_SIGNAL = '.registry';

/** Tombstones are kept this long: a process disconnected for longer reloads everything. */
const TOMBSTONE_MS = 86_400_000;

const PUT_SCRIPT = `
local exists = redis.call('HEXISTS', KEYS[1], ARGV[1])
if ARGV[3] == 'create' and exists == 1 then return -1 end
if ARGV[3] == 'update' then
  if exists == 0 then return -2 end
  if ARGV[5] ~= '' and tonumber(redis.call('ZSCORE', KEYS[2], ARGV[4]) or '0') ~= tonumber(ARGV[5]) then return -3 end
end
local revision = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], revision, ARGV[4])
redis.call('ZREM', KEYS[4], ARGV[4])
return revision
`;

const REMOVE_SCRIPT = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return -2 end
local revision = redis.call('INCR', KEYS[3])
redis.call('ZADD', KEYS[2], revision, ARGV[2])
redis.call('ZADD', KEYS[4], tonumber(ARGV[3]), ARGV[2])
local old = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[4]), 'LIMIT', 0, 100)
local pruned = tonumber(redis.call('GET', KEYS[5]) or '0')
for _, member in ipairs(old) do
  local at = tonumber(redis.call('ZSCORE', KEYS[2], member) or '0')
  if at > pruned then pruned = at end
  redis.call('ZREM', KEYS[2], member)
  redis.call('ZREM', KEYS[4], member)
end
if #old > 0 then redis.call('SET', KEYS[5], pruned) end
return revision
`;

/** KEYS: revision, pruned, changes, accounts hash, api-keys hash. ARGV: since, limit. */
const CHANGES_SCRIPT = `
local revision = tonumber(redis.call('GET', KEYS[1]) or '0')
local pruned = tonumber(redis.call('GET', KEYS[2]) or '0')
local since = tonumber(ARGV[1])
if since < pruned then return {-1} end
local entries = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. since, '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {revision}
for i = 1, #entries, 2 do
  local member = entries[i]
  local colon = string.find(member, ':', 1, true)
  local hash = KEYS[4]
  if string.sub(member, 1, colon - 1) == 'api-key' then hash = KEYS[5] end
  out[#out + 1] = member
  out[#out + 1] = entries[i + 1]
  out[#out + 1] = redis.call('HGET', hash, string.sub(member, colon + 1)) or false
end
return out
`;

const SNAPSHOT_SCRIPT = `
return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
`;

type Scripts = {
  closerRegistryPut(hash: string, changes: string, revision: string, tombstones: string, id: string, value: string, mode: string, member: string, expect: string): Promise<number>;
  closerRegistryRemove(hash: string, changes: string, revision: string, tombstones: string, pruned: string, id: string, member: string, now: number, keepMs: number): Promise<number>;
  closerRegistryChanges(revision: string, pruned: string, changes: string, accounts: string, apiKeys: string, since: number, limit: number): Promise<(number | string | null)[]>;
  closerRegistrySnapshot(revision: string, accounts: string, apiKeys: string): Promise<[string, string[], string[]]>;
};

function withScripts(redis: RedisClient): RedisClient & Scripts {
  if (!('closerRegistryPut' in redis)) {
    redis.defineCommand('closerRegistryPut', { numberOfKeys: 4, lua: PUT_SCRIPT });
    redis.defineCommand('closerRegistryRemove', { numberOfKeys: 5, lua: REMOVE_SCRIPT });
    redis.defineCommand('closerRegistryChanges', { numberOfKeys: 5, lua: CHANGES_SCRIPT });
    redis.defineCommand('closerRegistrySnapshot', { numberOfKeys: 3, lua: SNAPSHOT_SCRIPT });
  }
  return redis as RedisClient & Scripts;
}

const pairs = (flat: string[]): Map<string, string> => {
  const map = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  return map;
};

export function createRegistryStore(connection: RedisClient, keys: KeyNames, { tombstoneMs = TOMBSTONE_MS } = {}): RegistryStore {
  const redis = withScripts(connection);
  const hash = (kind: RegistryKind) => (kind === 'account' ? keys.registryAccounts() : keys.registryApiKeys());
  const member = (kind: RegistryKind, id: string) => `${kind}:${id}`;
  /** Tells the worker processes now (they also poll): on their wake-up channel, which they already listen to. */
  const announce = () => redis.publish(keys.wakeChannel(), REGISTRY_SIGNAL).then(() => undefined, () => undefined);

  return {
    async put(kind, id, value, mode, expectRevision) {
      const result = await redis.closerRegistryPut(hash(kind), keys.registryChanges(), keys.registryRevision(), keys.registryTombstones(), id, value, mode, member(kind, id), expectRevision === undefined ? '' : String(expectRevision));
      if (result === -1) return { ok: false, reason: 'exists' };
      if (result === -2) return { ok: false, reason: 'missing' };
      if (result === -3) return { ok: false, reason: 'changed' };
      await announce();
      return { ok: true, revision: result };
    },
    async remove(kind, id) {
      const result = await redis.closerRegistryRemove(hash(kind), keys.registryChanges(), keys.registryRevision(), keys.registryTombstones(), keys.registryPruned(), id, member(kind, id), Date.now(), tombstoneMs);
      if (result > 0) await announce();
      return result > 0;
    },
    async get(kind, id) {
      // Both reads in one slot; a transaction keeps them from straddling a write.
      const [[, value], [, revision]] = (await redis.multi().hget(hash(kind), id).zscore(keys.registryChanges(), member(kind, id)).exec()) as [[unknown, string | null], [unknown, string | null]];
      return value === null ? undefined : { value, revision: Number(revision ?? 0) };
    },
    count: (kind) => redis.hlen(hash(kind)),
    async snapshot() {
      const [revision, accounts, apiKeys] = await redis.closerRegistrySnapshot(keys.registryRevision(), keys.registryAccounts(), keys.registryApiKeys());
      return { revision: Number(revision), records: { account: pairs(accounts), 'api-key': pairs(apiKeys) } };
    },
    revision: async () => Number((await redis.get(keys.registryRevision())) ?? 0),
    async changesSince(revision, limit = 2_000) {
      const out = await redis.closerRegistryChanges(keys.registryRevision(), keys.registryPruned(), keys.registryChanges(), keys.registryAccounts(), keys.registryApiKeys(), revision, limit);
      if (out[0] === -1) return { reset: true };
      const changes: RegistryChange[] = [];
      let reached = revision;
      for (let i = 1; i < out.length; i += 3) {
        const name = String(out[i]);
        const colon = name.indexOf(':');
        changes.push({ kind: name.slice(0, colon) as RegistryKind, id: name.slice(colon + 1), value: out[i + 2] === null ? null : String(out[i + 2]) });
        reached = Number(out[i + 1]);
      }
      const more = changes.length === limit;
      return { reset: false, revision: more ? reached : Math.max(reached, Number(out[0])), changes, more };
    },
  };
}
