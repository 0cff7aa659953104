/**
 * Names of everything closer keeps in Redis. Queue names carry no `:`
 * (BullMQ rejects it); the prefix is a hash tag such as `{closer}` so every
 * key of one deployment lands in one Redis Cluster slot.
 */
export const accountQueueName = (accountId: string): string => `account-${accountId}`;
export const deadLetterQueueName = (accountId: string): string => `account-${accountId}-dlq`;

export interface KeyNames {
  limiter(accountId: string): string;
  sendLog(accountId: string): string;
  authFailures(accountId: string): string;
  pauseReason(accountId: string): string;
  batch(batchId: string): string;
  batchJobs(batchId: string): string;
  batchCompleted(batchId: string): string;
  batchDead(batchId: string): string;
  batchDuplicates(batchId: string): string;
  batchSkipped(batchId: string): string;
  lastSweep(accountId: string): string;
  /** Written by readiness checks to learn whether Redis takes writes. */
  readinessProbe(): string;
  /** Accounts the running processes serve, without credentials (account-directory.ts). */
  publishedAccounts(): string;
}

export function keyNames(prefix: string): KeyNames {
  return {
    limiter: (id) => `${prefix}:limiter:${id}`,
    sendLog: (id) => `${prefix}:sent:${id}`,
    authFailures: (id) => `${prefix}:auth-failures:${id}`,
    pauseReason: (id) => `${prefix}:pause-reason:${id}`,
    batch: (id) => `${prefix}:batch:${id}`,
    batchJobs: (id) => `${prefix}:batch:${id}:jobs`,
    batchCompleted: (id) => `${prefix}:batch:${id}:completed`,
    batchDead: (id) => `${prefix}:batch:${id}:dead`,
    batchDuplicates: (id) => `${prefix}:batch:${id}:duplicates`,
    batchSkipped: (id) => `${prefix}:batch:${id}:skipped`,
    lastSweep: (id) => `${prefix}:last-sweep:${id}`,
    readinessProbe: () => `${prefix}:readiness-probe`,
    publishedAccounts: () => `${prefix}:published-accounts`,
  };
}

/** Jobs and dead letters are addressed across accounts as `<account>.<job id>`; account ids contain no dot. */
export const qualifiedId = (accountId: string, jobId: string): string => `${accountId}.${jobId}`;

export function parseQualifiedId(id: string): { accountId: string; jobId: string } | undefined {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1) return undefined;
  return { accountId: id.slice(0, dot), jobId: id.slice(dot + 1) };
}
