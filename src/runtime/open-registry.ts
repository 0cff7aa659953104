import { createAccountRegistry, type AccountRegistry } from '../accounts/account-registry.js';
import { toAccountConfig, toAccountInfo, type ManagedRecord } from '../accounts/managed-account.js';
import type { AccountConfig, AccountInfo, Config } from '../config/types.js';
import { ConfigError } from '../errors/config-error.js';
import type { Logger } from '../logger.js';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { createRegistryFeed, type RegistryFeed } from '../registry/registry-feed.js';
import { createRegistryStore, type RegistryStore } from '../registry/registry-store.js';
import { createSecretBox, decodeSecretKey, wrongKeyMessage, type SecretBox } from '../secrets/secret-box.js';
import { SecretKeyError } from '../secrets/secret-errors.js';

/** The secret box of CLOSER_SECRET_KEY (and _PREVIOUS), or undefined when it is not set. */
export function secretBoxOf(config: Pick<Config, 'secretKey' | 'secretKeyPrevious'>): SecretBox | undefined {
  const current = config.secretKey === undefined ? undefined : decodeSecretKey(config.secretKey);
  if (!current) return undefined;
  const previous = config.secretKeyPrevious === undefined ? undefined : decodeSecretKey(config.secretKeyPrevious);
  return createSecretBox(current, previous);
}

export interface RegistryRuntime<A extends AccountInfo> {
  store: RegistryStore;
  feed: RegistryFeed;
  accounts: AccountRegistry<A>;
  /** Absent without CLOSER_SECRET_KEY: then no account can be created or changed. */
  box: SecretBox | undefined;
  stop(): void;
}

/**
 * Problems with the secret key, given what the registry holds: managed
 * accounts and no key, or a key that is not the one they were sealed with.
 * Checked before a process serves anything, so it never half-works.
 */
export function secretKeyProblems(records: ReadonlyMap<string, string>, box: SecretBox | undefined, apiKeys: ReadonlyMap<string, string> = new Map()): string[] {
  // API keys' callback secrets are sealed too: a wrong key is named for them as well.
  const unknownKeyId = box
    ? [...apiKeys.values()]
        .flatMap((text) => (JSON.parse(text) as { sealedCallbackSecret?: string }).sealedCallbackSecret ?? [])
        .map((sealed) => box.keyIdOf(sealed) ?? '?')
        .find((keyId) => !box.keyIds.includes(keyId))
    : undefined;
  if (box && unknownKeyId !== undefined) return [`${wrongKeyMessage(unknownKeyId, box.keyIds)} (API keys' callback secrets)`];
  if (records.size === 0) return [];
  if (!box) {
    return [
      `CLOSER_SECRET_KEY: is not set, and ${records.size} managed account(s) are stored in Redis with their credentials encrypted: set it to the key they were encrypted with (see README, "Managing accounts")`,
    ];
  }
  const unknown = new Map<string, number>();
  for (const text of records.values()) {
    const keyId = box.keyIdOf((JSON.parse(text) as ManagedRecord).sealed) ?? '?';
    if (!box.keyIds.includes(keyId)) unknown.set(keyId, (unknown.get(keyId) ?? 0) + 1);
  }
  return [...unknown].map(([keyId, count]) => `${wrongKeyMessage(keyId, box.keyIds)} (${count} account(s))`);
}

/**
 * Opens the registry for a process: loads the managed accounts, checks the
 * secret key against them, and follows changes from then on. `credentials`
 * (workers) opens every managed account's credentials; others see accounts
 * without them. An account a worker cannot open (sealed with a key it does
 * not have, after a rotation it was not restarted for) is logged and left to
 * the processes that can.
 */
export interface OpenRegistryOptions {
  /** Accounts configured for this process, when not the config's (the CLI adds those running processes published). */
  configured?: readonly AccountInfo[];
  /** Refuse to open without the right key (every service does; the CLI only for what needs it). */
  requireKey?: boolean;
}

export async function openRegistry(config: Config, redis: RedisClient, keys: KeyNames, logger: Logger, mode: 'credentials', options?: OpenRegistryOptions): Promise<RegistryRuntime<AccountConfig>>;
export async function openRegistry(config: Config, redis: RedisClient, keys: KeyNames, logger: Logger, mode: 'info', options?: OpenRegistryOptions): Promise<RegistryRuntime<AccountInfo>>;
export async function openRegistry(
  config: Config,
  redis: RedisClient,
  keys: KeyNames,
  logger: Logger,
  mode: 'credentials' | 'info',
  { configured = config.accounts, requireKey = true }: OpenRegistryOptions = {},
): Promise<RegistryRuntime<AccountInfo>> {
  const store = createRegistryStore(redis, keys);
  const feed = createRegistryFeed(store, { onError: (error) => logger.debug({ err: error }, 'registry sync failed; the next round retries') });
  const box = secretBoxOf(config);
  await feed.start();
  const problems = secretKeyProblems(feed.records('account'), box, feed.records('api-key'));
  if (problems.length > 0 && requireKey) {
    feed.stop();
    throw new ConfigError(problems);
  }
  const resolve = (record: ManagedRecord): AccountInfo | undefined => {
    try {
      if (mode === 'credentials' && !box) throw new SecretKeyError('missing', 'CLOSER_SECRET_KEY is not set in this process; restart it with the key');
      const account = mode === 'credentials' ? toAccountConfig(record, box!) : toAccountInfo(record);
      if (!account) logger.error({ account: record.id }, 'a managed account no longer passes validation; it is not served (fix it with PATCH /v1/accounts/:id)');
      return account;
    } catch (error) {
      if (!(error instanceof SecretKeyError)) throw error;
      logger.error({ account: record.id, problem: error.problem }, `cannot use managed account "${record.id}": ${error.message}`);
      return undefined;
    }
  };
  const accounts = createAccountRegistry<AccountInfo>({ configured, feed, resolve });
  for (const id of feed.records('account').keys()) {
    if (configured.some((account) => account.id === id)) logger.warn({ account: id }, 'a managed account has the id of a configured one (environment or accounts file): the configured one is used');
  }
  return { store, feed, accounts, box, stop: () => feed.stop() };
}
