import { formatPath } from '../config/format-path.js';
import type { AccountInfo } from '../config/types.js';
import type { Producer, AccountStatus } from '../producer/producer.js';
import { ConflictError, HasPendingError, NotFoundError, SecretKeyMissingError, StaticAccountError, UnknownAccountError, ValidationError, type ValidationIssue } from '../producer/producer-errors.js';
import type { AccountQueues } from '../queues/account-queues.js';
import type { KeyNames } from '../queues/names.js';
import { SWEEP_SCHEDULER_ID } from '../queues/sweep-job.js';
import type { RedisClient } from '../redis/create-redis.js';
import { connectionFor } from '../redis/slot-connection.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { SecretBox } from '../secrets/secret-box.js';
import type { AccountRegistry } from './account-registry.js';
import { maskedCredentials, openCredentials, rawAccount, toRecord, type ManagedRecord } from './managed-account.js';
import { FULL_ACCESS, type Access } from '../auth/access.js';
import { resealApiKey } from '../auth/api-keys.js';

/** An account as the accounts API answers: its status, where it comes from, and its credentials masked. */
export interface AccountView extends AccountStatus {
  baseUrl: string;
  /** `api`: managed at run time; `config`: from the environment or the accounts file (read-only through the API). */
  source: 'api' | 'config';
  /** Each credential field, masked to its last 4 characters. */
  credentials: Record<string, string>;
  createdAt?: string;
  updatedAt?: string;
}

/** What a removal let go. */
export interface Removal {
  /** Pending jobs removed (with `purge`). */
  jobs: number;
  deadLetters: number;
}

export interface AccountAdmin {
  create(raw: unknown): Promise<AccountView>;
  show(accountId: string, access?: Access): Promise<AccountView>;
  update(accountId: string, patch: unknown, access?: Access): Promise<AccountView>;
  remove(accountId: string, options: { purge: boolean }, access?: Access): Promise<Removal>;
  /** Re-seals every managed account's credentials with the current key; how many were re-sealed. */
  rotateKeys(): Promise<{ resealed: number; total: number }>;
}

export interface AccountAdminDeps {
  redis: RedisClient;
  keys: KeyNames;
  store: RegistryStore;
  accounts: AccountRegistry<AccountInfo>;
  box: SecretBox | undefined;
  queues: AccountQueues;
  producer: Producer;
  /** Accounts other processes serve from their configuration (the published directory), so their ids are not taken. */
  configuredElsewhere(): Promise<readonly string[]>;
}

/**
 * Every key left under the account's hash tag (its limiter, pause reason,
 * activity counts, batches ...) and the owner entries of its batches, so a removed account
 * leaves nothing that answers for it (its batches then answer 404). Its
 * keys share one slot: on a cluster they are all on the master serving it.
 */
async function deleteAccountKeys(redis: RedisClient, keys: KeyNames, accountId: string): Promise<void> {
  const prefix = keys.queuePrefix(accountId);
  const node = connectionFor(redis, prefix);
  let cursor = '0';
  do {
    const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    const batchIds = found.flatMap((key) => /:batch:([A-Za-z0-9_-]+)$/.exec(key)?.[1] ?? []);
    if (found.length > 0) await node.del(...found);
    // Owner entries and the list across accounts are outside the slot: one command each.
    for (const batchId of batchIds) {
      await redis.del(keys.batchOwner(batchId));
      await redis.zrem(keys.recentBatches(), batchId);
    }
  } while (cursor !== '0');
}

/** Fields a PATCH may not change: what the account is. */
const FIXED_FIELDS = ['id', 'provider'];
/** A read-modify-write that met a concurrent change is redone this many times. */
const UPDATE_ATTEMPTS = 5;

const issuesOf = (issues: readonly { path: (string | number)[]; message: string }[]): ValidationIssue[] =>
  issues.map((issue) => ({ index: null, path: formatPath(issue.path), message: issue.message }));

/**
 * The accounts API and `closer accounts`: managed accounts made, changed and
 * removed at run time (contract sections 1 and 4), validated exactly as the
 * accounts file is. Every change is one registry write, which every process
 * follows within a couple of seconds (registry-feed.ts).
 */
export function createAccountAdmin(deps: AccountAdminDeps): AccountAdmin {
  const { store, accounts, box, queues, producer, redis, keys } = deps;

  const sealer = () => {
    if (!box) throw new SecretKeyMissingError();
    return box;
  };

  async function view(accountId: string, access: Access): Promise<AccountView> {
    const status = await producer.account(accountId, access);
    const record = accounts.record(accountId);
    const account = accounts.get(accountId)!;
    if (record) {
      return {
        ...status,
        baseUrl: account.baseUrl,
        source: 'api',
        credentials: box ? maskedCredentials(openCredentials(record, box), record.provider) : Object.fromEntries(record.credentialNames.map((name) => [name, '****'])),
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
      };
    }
    return { ...status, baseUrl: account.baseUrl, source: 'config', credentials: maskedCredentials(account as unknown as Record<string, unknown>, account.provider) };
  }

  /** A managed account this access may change: 404 when it cannot see it, 409 when it is configured. */
  async function managedRecord(accountId: string, access: Access): Promise<ManagedRecord> {
    const account = access.sees(accountId) ? await accounts.lookup(accountId) : undefined;
    if (!account) throw new UnknownAccountError(accountId);
    const record = accounts.record(accountId);
    if (!record) throw new StaticAccountError(accountId);
    return record;
  }

  async function pendingOf(accountId: string): Promise<Removal> {
    const entry = queues.get(accountId)!;
    const [counts, deadLetters, scheduler] = await Promise.all([
      entry.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'waiting-children'),
      entry.deadLetters.getJobCountByTypes('waiting', 'delayed', 'prioritized'),
      entry.queue.getJobScheduler(SWEEP_SCHEDULER_ID),
    ]);
    let jobs = Object.values(counts).reduce((sum, count) => sum + count, 0);
    // The auto-close schedule's next sweep waits as a delayed job: the schedule, not work anyone asked for.
    if (scheduler?.next !== undefined && (await entry.queue.getJobState(`repeat:${SWEEP_SCHEDULER_ID}:${scheduler.next}`)) === 'delayed') jobs -= 1;
    return { jobs: Math.max(0, jobs), deadLetters };
  }

  return {
    async create(raw) {
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && (accounts.get(id) || (await accounts.lookup(id)))) throw new ConflictError(`account "${id}"`);
      if (typeof id === 'string' && (await deps.configuredElsewhere()).includes(id)) throw new ConflictError(`account "${id}" (configured in a running process)`);
      const now = new Date().toISOString();
      const made = toRecord(raw, sealer(), { createdAt: now, updatedAt: now });
      if (!made.ok) throw new ValidationError(issuesOf(made.issues));
      const written = await store.put('account', made.record.id, JSON.stringify(made.record), 'create');
      if (!written.ok) throw new ConflictError(`account "${made.record.id}"`);
      await accounts.sync();
      return view(made.record.id, FULL_ACCESS);
    },

    show: (accountId, access = FULL_ACCESS) => view(accountId, access),

    async update(accountId, patch, access = FULL_ACCESS) {
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new ValidationError([{ index: null, path: '', message: 'must be a JSON object of the fields to change' }]);
      const fixed = FIXED_FIELDS.filter((field) => field in patch);
      if (fixed.length > 0) throw new ValidationError(fixed.map((field) => ({ index: null, path: field, message: 'cannot be changed; remove the account and make a new one' })));
      await managedRecord(accountId, access);
      for (let attempt = 1; ; attempt += 1) {
        const stored = await store.get('account', accountId);
        if (!stored) throw new UnknownAccountError(accountId);
        const record = JSON.parse(stored.value) as ManagedRecord;
        // null takes a field out (autoClose: null turns auto-close off).
        const merged = Object.fromEntries(Object.entries({ ...rawAccount(record, openCredentials(record, sealer())), ...patch }).filter(([, value]) => value !== null));
        const made = toRecord(merged, sealer(), { createdAt: record.createdAt, updatedAt: new Date().toISOString() });
        if (!made.ok) throw new ValidationError(issuesOf(made.issues));
        const written = await store.put('account', accountId, JSON.stringify(made.record), 'update', stored.revision);
        if (written.ok) break;
        if (written.reason === 'missing') throw new UnknownAccountError(accountId);
        if (attempt >= UPDATE_ATTEMPTS) throw new ConflictError(`a newer change of account "${accountId}"`);
      }
      await accounts.sync();
      return view(accountId, access);
    },

    async remove(accountId, { purge }, access = FULL_ACCESS) {
      await managedRecord(accountId, access);
      const pending = await pendingOf(accountId);
      if (!purge && (pending.jobs > 0 || pending.deadLetters > 0)) throw new HasPendingError(accountId, pending);
      const entry = queues.get(accountId)!;
      // Out of the registry first: from the next look on, no process takes its jobs or accepts new ones.
      if (!(await store.remove('account', accountId))) throw new NotFoundError(`account "${accountId}"`);
      // Then its queues go, with whatever is in them (force: jobs running now too; their end finds them gone).
      await entry.queue.removeJobScheduler(SWEEP_SCHEDULER_ID).catch(() => false);
      await entry.queue.obliterate({ force: true });
      await entry.deadLetters.obliterate({ force: true });
      await deleteAccountKeys(redis, keys, accountId);
      for (const key of [keys.readyAccounts(), keys.activeAccounts(), keys.failedAccounts(), keys.deadLetterAccounts(), keys.rateLimitedAccounts()]) await redis.zrem(key, accountId);
      // The paused accounts are a set, not a sorted set (notable-accounts.ts): ZREM on it is a WRONGTYPE error.
      await redis.srem(keys.pausedAccounts(), accountId);
      await queues.forget(accountId);
      await accounts.sync();
      return pending;
    },

    async rotateKeys() {
      const sealing = sealer();
      const snapshot = await store.snapshot();
      const records = [...snapshot.records.account.keys()];
      let resealed = 0;
      // API keys' own callback secrets are sealed too.
      for (const id of snapshot.records['api-key'].keys()) {
        for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt += 1) {
          const stored = await store.get('api-key', id);
          const again = stored && resealApiKey(stored.value, sealing);
          if (!stored || again === undefined) break;
          if ((await store.put('api-key', id, again, 'update', stored.revision)).ok) break;
        }
      }
      for (const id of records) {
        for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt += 1) {
          const stored = await store.get('account', id);
          if (!stored) break;
          const record = JSON.parse(stored.value) as ManagedRecord;
          if (sealing.keyIdOf(record.sealed) === sealing.keyId) break;
          const sealed = sealing.seal(JSON.stringify(openCredentials(record, sealing)), id);
          const written = await store.put('account', id, JSON.stringify({ ...record, sealed }), 'update', stored.revision);
          if (written.ok) {
            resealed += 1;
            break;
          }
          if (written.reason === 'missing') break;
        }
      }
      return { resealed, total: records.length };
    },
  };
}
