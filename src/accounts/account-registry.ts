import type { AccountInfo } from '../config/types.js';
import type { RegistryFeed } from '../registry/registry-feed.js';
import type { ManagedRecord } from './managed-account.js';

/** Where a process finds its accounts by id. */
export interface AccountSource<A extends AccountInfo = AccountInfo> {
  get(accountId: string): A | undefined;
  /** Every account id, configured ones first. */
  ids(): string[];
}

/**
 * Every account a process serves: those of its configuration (environment,
 * accounts file), which never change while it runs, and the managed ones,
 * followed through the registry feed. A configured account wins over a
 * managed one of the same id (the API refuses to make such an id; a file
 * edited afterwards could still collide, and is then what counts).
 */
export interface AccountRegistry<A extends AccountInfo = AccountInfo> extends AccountSource<A> {
  /** A managed account's stored record. */
  record(accountId: string): ManagedRecord | undefined;
  /** The account, syncing with Redis first when it is not known here: another process may have just made it. */
  lookup(accountId: string): Promise<A | undefined>;
  /** Reads the registry's changes now (after this process changed it, so its own answers show the change). */
  sync(): Promise<void>;
  /** Told of every account id whose account changed, appeared or went. */
  onChange(listener: (accountId: string) => void): void;
}

export interface AccountRegistryOptions<A extends AccountInfo> {
  configured: readonly A[];
  /** Absent: configured accounts only (a process that cannot reach the registry, tests). */
  feed?: RegistryFeed;
  /** What a managed record becomes here (undefined: this process cannot use it; `resolve` says why). */
  resolve(record: ManagedRecord): A | undefined;
}

/** A registry of configured accounts only. */
export function staticAccounts<A extends AccountInfo>(accounts: readonly A[]): AccountRegistry<A> {
  return createAccountRegistry({ configured: accounts, resolve: () => undefined });
}

export function createAccountRegistry<A extends AccountInfo>({ configured, feed, resolve }: AccountRegistryOptions<A>): AccountRegistry<A> {
  const byId = new Map(configured.map((account) => [account.id, account]));
  /** Resolved managed accounts, by the record text they came from (a change of text resolves again). */
  const resolved = new Map<string, { text: string; record: ManagedRecord; account: A | undefined }>();
  const listeners: ((accountId: string) => void)[] = [];

  function managedEntry(accountId: string) {
    const text = feed?.records('account').get(accountId);
    if (text === undefined) {
      resolved.delete(accountId);
      return undefined;
    }
    let entry = resolved.get(accountId);
    if (!entry || entry.text !== text) {
      const record = JSON.parse(text) as ManagedRecord;
      entry = { text, record, account: resolve(record) };
      resolved.set(accountId, entry);
    }
    return entry;
  }

  feed?.onChange((kind, id) => {
    if (kind !== 'account' || byId.has(id)) return;
    resolved.delete(id);
    for (const listener of listeners) listener(id);
  });

  const get = (accountId: string) => byId.get(accountId) ?? managedEntry(accountId)?.account;
  return {
    get,
    ids() {
      const managed = feed ? [...feed.records('account').keys()].filter((id) => !byId.has(id) && managedEntry(id)?.account !== undefined) : [];
      return [...byId.keys(), ...managed];
    },
    record: (accountId) => (byId.has(accountId) ? undefined : managedEntry(accountId)?.record),
    async lookup(accountId) {
      const found = get(accountId);
      if (found || !feed) return found;
      // Redis away: this process's copy answers (the poll catches up), never a failed request for that alone.
      await feed.sync().catch(() => undefined);
      return get(accountId);
    },
    sync: async () => feed?.sync(),
    onChange: (listener) => void listeners.push(listener),
  };
}
