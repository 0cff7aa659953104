import { Cluster, type Redis } from 'ioredis';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

/** The default prefix of the layout before accounts had hash tags of their own (every key in one slot). */
export const LEGACY_PREFIX = '{closer}';

/** Per-account keys of the old layout: `<old>:<kind>:<account>`. */
const ACCOUNT_KEYS: Record<string, (keys: KeyNames, account: string) => string> = {
  limiter: (keys, account) => keys.limiter(account),
  sent: (keys, account) => keys.sendLog(account),
  'auth-failures': (keys, account) => keys.authFailures(account),
  'pause-reason': (keys, account) => keys.pauseReason(account),
  'last-sweep': (keys, account) => keys.lastSweep(account),
};
/** Batch sets: `<old>:batch:<id>:<kind>`. */
const BATCH_SETS: Record<string, (keys: KeyNames, account: string, batchId: string) => string> = {
  jobs: (keys, account, batchId) => keys.batchJobs(account, batchId),
  completed: (keys, account, batchId) => keys.batchCompleted(account, batchId),
  dead: (keys, account, batchId) => keys.batchDead(account, batchId),
  duplicates: (keys, account, batchId) => keys.batchDuplicates(account, batchId),
  skipped: (keys, account, batchId) => keys.batchSkipped(account, batchId),
};
/** Rebuilt by the new version on its own. */
const DROPPED = new Set(['readiness-probe']);

export interface MigrationReport {
  /** Old key → new key, moved (or, in a dry run, to be moved). */
  moved: number;
  accounts: string[];
  batches: number;
  /** Old keys this migration does not know: left where they are. */
  unknown: string[];
  /** Old keys whose new name already holds a value: left where they are. */
  conflicts: string[];
  dropped: number;
}

function nodesOf(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

async function scanAll(redis: RedisClient, pattern: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of nodesOf(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/** Connections of running closer processes (theirs, or their BullMQ queues' under the old prefix), except `self`. */
export async function runningClients(redis: RedisClient, from: string, self: string): Promise<string[]> {
  const names: string[] = [];
  for (const node of nodesOf(redis)) {
    const list = (await node.client('LIST')) as string;
    for (const line of list.split('\n')) {
      const name = /\bname=(\S*)/.exec(line)?.[1] ?? '';
      if (name !== self && (name.startsWith('closer-') || name.startsWith(`${from}:`))) names.push(name);
    }
  }
  return names;
}

/**
 * Moves every key of the old single-slot layout (`{closer}:...`) to the
 * per-account layout of `keys`, with DUMP and RESTORE (so it works across
 * the slots of a cluster too) keeping each key's time to live, then deletes
 * the old key. Queued and delayed jobs, dead letters, batches, limiter logs,
 * pauses and last sweeps all move; readiness probes are dropped. A key whose
 * new name is taken is left, and reported. Run it with every closer process
 * stopped: a running old worker would go on writing old keys.
 */
export async function migrateKeys(redis: RedisClient, from: string, keys: KeyNames, { dryRun = false, knownAccounts = [] as readonly string[] } = {}): Promise<MigrationReport> {
  const report: MigrationReport = { moved: 0, accounts: [], batches: 0, unknown: [], conflicts: [], dropped: 0 };
  const accounts = new Set<string>();
  const known = new Set(knownAccounts);
  const old = await scanAll(redis, `${from.replace(/[*?[\]\\]/g, '\\$&')}:*`);
  const batchOwners = new Map<string, string>();
  for (const key of old) {
    const match = new RegExp(`^${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:batch:([^:]+)$`).exec(key);
    if (match) {
      const owner = await redis.hget(key, 'account');
      if (owner) batchOwners.set(match[1]!, owner);
    }
  }

  const destination = (rest: string): string | 'drop' | undefined => {
    if (DROPPED.has(rest) || rest === 'published-accounts') return 'drop';
    const queue = /^account-(.+?)(-dlq)?:(.*)$/.exec(rest);
    if (queue) {
      const [, id, suffix, tail] = queue as unknown as [string, string, string | undefined, string];
      // An account id may itself end in "-dlq": the configured accounts decide.
      const ownId = suffix !== undefined && known.has(`${id}-dlq`) && !known.has(id);
      const account = ownId ? `${id}-dlq` : id;
      accounts.add(account);
      return `${keys.queuePrefix(account)}:account-${account}${ownId ? '' : (suffix ?? '')}:${tail}`;
    }
    const perAccount = /^([a-z-]+):(.+)$/.exec(rest);
    if (perAccount && ACCOUNT_KEYS[perAccount[1]!]) {
      accounts.add(perAccount[2]!);
      return ACCOUNT_KEYS[perAccount[1]!]!(keys, perAccount[2]!);
    }
    const batch = /^batch:([^:]+)(?::([a-z]+))?$/.exec(rest);
    if (batch) {
      const owner = batchOwners.get(batch[1]!);
      if (!owner) return undefined;
      if (!batch[2]) return keys.batch(owner, batch[1]!);
      return BATCH_SETS[batch[2]]?.(keys, owner, batch[1]!);
    }
    return undefined;
  };

  for (const key of old) {
    const target = destination(key.slice(from.length + 1));
    if (target === undefined) {
      report.unknown.push(key);
      continue;
    }
    if (target === 'drop') {
      report.dropped += 1;
      if (!dryRun) await redis.del(key);
      continue;
    }
    if ((await redis.exists(target)) === 1) {
      report.conflicts.push(key);
      continue;
    }
    report.moved += 1;
    if (dryRun) continue;
    const [dump, ttl] = await Promise.all([redis.dumpBuffer(key), redis.pttl(key)]);
    if (dump === null) continue; // gone meanwhile (it expired)
    await redis.restore(target, ttl > 0 ? ttl : 0, dump);
    await redis.del(key);
  }
  for (const [batchId, owner] of batchOwners) {
    if (!dryRun) await redis.set(keys.batchOwner(batchId), owner, 'EX', 30 * 24 * 3600, 'NX');
  }
  report.batches = batchOwners.size;
  report.accounts = [...accounts].sort();
  return report;
}

/**
 * Whether keys of the old layout seem to be there: the queue keys of the
 * first configured accounts (one round trip), for a warning at start-up.
 */
export async function legacyKeysPresent(redis: RedisClient, accountIds: readonly string[]): Promise<boolean> {
  const probes = accountIds.slice(0, 100).map((id) => `${LEGACY_PREFIX}:account-${id}:events`);
  if (probes.length === 0) return false;
  // One EXISTS per key: on a cluster the old keys all sit in the one slot of {closer}.
  const found = await Promise.all(probes.map((key) => redis.exists(key)));
  return found.some((count) => count > 0);
}
