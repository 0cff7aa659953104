import type { RedisClient } from '../redis/create-redis.js';
import { accountInfo, type AccountConfig, type AccountInfo } from '../config/types.js';
import type { KeyNames } from '../queues/names.js';

/** How often a running process re-publishes its accounts; an entry older than STALE_AFTER_MS is no longer shown. */
export const PUBLISH_EVERY_MS = 60_000;
const STALE_AFTER_MS = 5 * PUBLISH_EVERY_MS;

/**
 * The accounts the running processes of a deployment serve, without their
 * credentials, so a process configured without them (the CLI in another
 * shell, next to `npm start`'s demo) can validate, enqueue and report for
 * the same accounts, with the same rate limits. A process's own
 * configuration wins over what others published.
 */
export interface AccountDirectory {
  publish(accounts: readonly AccountConfig[]): Promise<void>;
  /** Accounts some process published within the last few minutes. */
  list(): Promise<AccountInfo[]>;
}

export function createAccountDirectory(redis: RedisClient, keys: KeyNames): AccountDirectory {
  return {
    async publish(accounts) {
      if (accounts.length === 0) return;
      const seenAt = Date.now();
      await redis.hset(keys.publishedAccounts(), Object.fromEntries(accounts.map((account) => [account.id, JSON.stringify({ seenAt, account: accountInfo(account) })])));
    },
    async list() {
      const entries = Object.values(await redis.hgetall(keys.publishedAccounts()));
      const fresh = Date.now() - STALE_AFTER_MS;
      return entries
        .map((text) => JSON.parse(text) as { seenAt: number; account: AccountInfo })
        .filter(({ seenAt }) => seenAt >= fresh)
        .map(({ account }) => account)
        .sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}

/** This process's accounts and, for ids it does not know, those others published. */
export function mergeAccounts(own: readonly AccountInfo[], published: readonly AccountInfo[]): AccountInfo[] {
  const ids = new Set(own.map((account) => account.id));
  return [...own, ...published.filter((account) => !ids.has(account.id))];
}

/** Publishes now and every PUBLISH_EVERY_MS until the returned function is called; a failed round is retried by the next. */
export function keepPublished(directory: AccountDirectory, accounts: readonly AccountConfig[], onError: (error: unknown) => void): () => void {
  const publish = () => void directory.publish(accounts).catch(onError);
  publish();
  const timer = setInterval(publish, PUBLISH_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
