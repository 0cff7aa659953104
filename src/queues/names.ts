/**
 * Names of everything closer keeps in Redis, built here and nowhere else.
 *
 * Every key of one account carries the account's hash tag (`{<account id>}`),
 * so in a Redis Cluster an account's queue, dead letters, limiter, batches
 * and the rest share one slot (BullMQ's scripts and closer's own need that),
 * while different accounts spread over the slots and the masters. The few
 * keys that span accounts (which account a batch belongs to, the published
 * account list, readiness probes) are off the per-close path.
 *
 * Queue names carry no `:` (BullMQ rejects it).
 */
export const accountQueueName = (accountId: string): string => `account-${accountId}`;
export const deadLetterQueueName = (accountId: string): string => `account-${accountId}-dlq`;

export interface KeyNames {
  /** BullMQ's prefix for the account's queues: `<base>:{<account>}`. */
  queuePrefix(accountId: string): string;
  limiter(accountId: string): string;
  sendLog(accountId: string): string;
  authFailures(accountId: string): string;
  pauseReason(accountId: string): string;
  lastSweep(accountId: string): string;
  /** Closes, dead letters and 429s per minute over the last hour, written by the workers (stats/activity-store.ts). */
  activity(accountId: string): string;
  batch(accountId: string, batchId: string): string;
  batchJobs(accountId: string, batchId: string): string;
  batchCompleted(accountId: string, batchId: string): string;
  batchDead(accountId: string, batchId: string): string;
  batchDuplicates(accountId: string, batchId: string): string;
  batchSkipped(accountId: string, batchId: string): string;
  /** Job ids a cancel removed before they ran. */
  batchCancelled(accountId: string, batchId: string): string;
  /** Conversation events waiting for their callback (a list, oldest first). */
  batchEvents(accountId: string, batchId: string): string;
  /** The account's batches by creation time (the newest LISTED_PER_ACCOUNT of them), for lists. */
  accountBatches(accountId: string): string;
  /** Every account's batches by creation time (the newest LISTED_BATCHES), for lists across accounts. */
  recentBatches(): string;
  /** Which account a batch id belongs to (batch ids are unique across accounts; GET /v1/batches/:id has no account). */
  batchOwner(batchId: string): string;
  /** Accounts the running processes serve, without credentials (account-directory.ts). */
  publishedAccounts(): string;
  /** Written by readiness checks to learn whether Redis takes writes; `tag` picks the hash slot (one per cluster master). */
  readinessProbe(tag: string): string;
  /** Accounts with work to take, scored by when (ms since the epoch): what the workers' dispatchers serve. */
  readyAccounts(): string;
  /** Accounts with jobs taken recently, scored by when: where stalled jobs are looked for. */
  activeAccounts(): string;
  /** Accounts with closes that failed for good recently: where the dead-letter reconciler looks first. */
  failedAccounts(): string;
  /** Accounts that have (or lately had) dead letters, scored by the last one's time. */
  deadLetterAccounts(): string;
  /** Accounts paused (by hand or by 401s). */
  pausedAccounts(): string;
  /** Accounts that met a provider's 429 lately, scored by the last one's time (trimmed to the last hour). */
  rateLimitedAccounts(): string;
  /** Pub/sub channel: an account just got work (its id), so idle dispatchers need not wait for their next look. */
  wakeChannel(): string;
  /** Held by the one process that reconciles the ready index with every queue, now and then. */
  reconcileLock(): string;
  /** BullMQ's prefix of the deployment's callbacks queue (one queue, one slot of its own). */
  callbacksPrefix(): string;
  /** Managed accounts (registry/registry-store.ts): id → record, credentials sealed. All registry keys share one hash tag. */
  registryAccounts(): string;
  /** API keys: id → record, the key itself only as a hash. */
  registryApiKeys(): string;
  /** The registry's change log: `kind:id` → revision of its last write (a removal stays as a tombstone). */
  registryChanges(): string;
  /** The registry's revision counter. */
  registryRevision(): string;
  /** Removed records, by removal time: tombstones pruned after a while. */
  registryTombstones(): string;
  /** The revision up to which tombstones were pruned: a process further behind reloads everything. */
  registryPruned(): string;
}

export function keyNames(base: string): KeyNames {
  const account = (id: string) => `${base}:{${id}}`;
  const batch = (id: string, batchId: string) => `${account(id)}:batch:${batchId}`;
  return {
    queuePrefix: account,
    limiter: (id) => `${account(id)}:limiter`,
    sendLog: (id) => `${account(id)}:sent`,
    authFailures: (id) => `${account(id)}:auth-failures`,
    pauseReason: (id) => `${account(id)}:pause-reason`,
    lastSweep: (id) => `${account(id)}:last-sweep`,
    activity: (id) => `${account(id)}:activity`,
    batch,
    batchJobs: (id, batchId) => `${batch(id, batchId)}:jobs`,
    batchCompleted: (id, batchId) => `${batch(id, batchId)}:completed`,
    batchDead: (id, batchId) => `${batch(id, batchId)}:dead`,
    batchDuplicates: (id, batchId) => `${batch(id, batchId)}:duplicates`,
    batchSkipped: (id, batchId) => `${batch(id, batchId)}:skipped`,
    batchCancelled: (id, batchId) => `${batch(id, batchId)}:cancelled`,
    batchEvents: (id, batchId) => `${batch(id, batchId)}:events`,
    accountBatches: (id) => `${account(id)}:batches`,
    recentBatches: () => `${base}:recent-batches`,
    batchOwner: (batchId) => `${base}:batch-owner:${batchId}`,
    publishedAccounts: () => `${base}:published-accounts`,
    readinessProbe: (tag) => `${base}:{${tag}}:readiness-probe`,
    readyAccounts: () => `${base}:ready-accounts`,
    activeAccounts: () => `${base}:active-accounts`,
    failedAccounts: () => `${base}:failed-accounts`,
    deadLetterAccounts: () => `${base}:dead-letter-accounts`,
    pausedAccounts: () => `${base}:paused-accounts`,
    rateLimitedAccounts: () => `${base}:rate-limited-accounts`,
    wakeChannel: () => `${base}:wake`,
    reconcileLock: () => `${base}:reconcile-lock`,
    callbacksPrefix: () => `${base}:{closer.callbacks}`,
    // "." is not allowed in account ids, so no account's hash tag is this one.
    registryAccounts: () => `${base}:{closer.registry}:accounts`,
    registryApiKeys: () => `${base}:{closer.registry}:api-keys`,
    registryChanges: () => `${base}:{closer.registry}:changes`,
    registryRevision: () => `${base}:{closer.registry}:revision`,
    registryTombstones: () => `${base}:{closer.registry}:tombstones`,
    registryPruned: () => `${base}:{closer.registry}:pruned`,
  };
}

/** Jobs and dead letters are addressed across accounts as `<account>.<job id>`; account ids contain no dot. */
export const qualifiedId = (accountId: string, jobId: string): string => `${accountId}.${jobId}`;

export function parseQualifiedId(id: string): { accountId: string; jobId: string } | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1) return undefined;
  return { accountId: id.slice(0, dot), jobId: id.slice(dot + 1) };
}
