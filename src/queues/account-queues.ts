import { Queue } from 'bullmq';
import type { AccountInfo } from '../config/types.js';
import type { RedisClient } from '../redis/create-redis.js';
import { accountQueueName, deadLetterQueueName, type KeyNames } from './names.js';

/** An account's queues; `A` is AccountConfig where the credentials are needed (workers), AccountInfo elsewhere. */
export interface AccountQueue<A extends AccountInfo = AccountInfo> {
  account: A;
  queue: Queue;
  /** Never processed: its jobs are the account's dead letters. */
  deadLetters: Queue;
}

export interface AccountQueues<A extends AccountInfo = AccountInfo> {
  get(accountId: string): AccountQueue<A> | undefined;
  /** Every account's queues (made for all of them: for what really looks at every account). */
  all(): AccountQueue<A>[];
  /** Every account id, without making any queue. */
  ids(): string[];
  /** An account, without making its queues. */
  accountOf(accountId: string): A | undefined;
  close(): Promise<void>;
}

/**
 * One queue and one dead-letter queue per account, sharing one (non-blocking)
 * connection, under the account's own prefix (its hash tag). Made when first
 * asked for: a BullMQ Queue costs about 13 KB and three listeners on the
 * connection, and a process may serve 10,000 accounts of which few have work
 * at a time. A queue re-emits its connection's errors, and BullMQ prints
 * them when nobody listens; the connection's owner reports its state once
 * (connection-log.ts), so the queues' copies are dropped.
 */
export function createAccountQueues<A extends AccountInfo>(accounts: readonly A[], connection: RedisClient, keys: KeyNames): AccountQueues<A> {
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const made = new Map<string, AccountQueue<A>>();
  const queue = (name: string, accountId: string) => new Queue(name, { connection, prefix: keys.queuePrefix(accountId) }).on('error', () => undefined);
  const get = (accountId: string): AccountQueue<A> | undefined => {
    const existing = made.get(accountId);
    if (existing) return existing;
    const account = byId.get(accountId);
    if (!account) return undefined;
    const entry = { account, queue: queue(accountQueueName(accountId), accountId), deadLetters: queue(deadLetterQueueName(accountId), accountId) };
    made.set(accountId, entry);
    return entry;
  };
  return {
    get,
    all: () => [...byId.keys()].map((id) => get(id)!),
    ids: () => [...byId.keys()],
    accountOf: (accountId) => byId.get(accountId),
    close: async () => {
      await Promise.all([...made.values()].flatMap(({ queue, deadLetters }) => [queue.close(), deadLetters.close()]));
    },
  };
}
