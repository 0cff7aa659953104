import { Queue } from 'bullmq';
import type { RedisClient } from '../redis/create-redis.js';
import type { AccountInfo } from '../config/types.js';
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
  all(): AccountQueue<A>[];
  close(): Promise<void>;
}

/**
 * One queue and one dead-letter queue per account, sharing one (non-blocking)
 * connection, under the account's own prefix (its hash tag). A queue re-emits its connection's errors, and BullMQ prints
 * them when nobody listens; the connection's owner reports its state once
 * (connection-log.ts), so the queues' copies are dropped.
 */
export function createAccountQueues<A extends AccountInfo>(accounts: readonly A[], connection: RedisClient, keys: KeyNames): AccountQueues<A> {
  const byId = new Map<string, AccountQueue<A>>();
  const queue = (name: string, accountId: string) => new Queue(name, { connection, prefix: keys.queuePrefix(accountId) }).on('error', () => undefined);
  for (const account of accounts) {
    byId.set(account.id, { account, queue: queue(accountQueueName(account.id), account.id), deadLetters: queue(deadLetterQueueName(account.id), account.id) });
  }
  return {
    get: (accountId) => byId.get(accountId),
    all: () => [...byId.values()],
    close: async () => {
      await Promise.all([...byId.values()].flatMap(({ queue, deadLetters }) => [queue.close(), deadLetters.close()]));
    },
  };
}
