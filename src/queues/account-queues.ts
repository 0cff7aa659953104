import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AccountConfig } from '../config/types.js';
import { accountQueueName, deadLetterQueueName } from './names.js';

export interface AccountQueue {
  account: AccountConfig;
  queue: Queue;
  /** Never processed: its jobs are the account's dead letters. */
  deadLetters: Queue;
}

export interface AccountQueues {
  get(accountId: string): AccountQueue | undefined;
  all(): AccountQueue[];
  close(): Promise<void>;
}

/** One queue and one dead-letter queue per account, sharing one (non-blocking) connection. */
export function createAccountQueues(accounts: readonly AccountConfig[], connection: Redis, prefix: string): AccountQueues {
  const byId = new Map<string, AccountQueue>();
  for (const account of accounts) {
    byId.set(account.id, {
      account,
      queue: new Queue(accountQueueName(account.id), { connection, prefix }),
      deadLetters: new Queue(deadLetterQueueName(account.id), { connection, prefix }),
    });
  }
  return {
    get: (accountId) => byId.get(accountId),
    all: () => [...byId.values()],
    close: async () => {
      await Promise.all([...byId.values()].flatMap(({ queue, deadLetters }) => [queue.close(), deadLetters.close()]));
    },
  };
}
