import { Queue } from 'bullmq';
import type { AccountSource } from '../accounts/account-registry.js';
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
  /** Closes the queues made for an account that is gone (its keys stay). */
  forget(accountId: string): Promise<void>;
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
 *
 * The account in an entry is the source's at the time of asking: a managed
 * account changed at run time (its rate limit, its credentials) is seen by
 * the next get().
 */
export function createAccountQueues<A extends AccountInfo>(source: AccountSource<A>, connection: RedisClient, keys: KeyNames): AccountQueues<A> {
  const made = new Map<string, Omit<AccountQueue<A>, 'account'>>();
  const queue = (name: string, accountId: string) => new Queue(name, { connection, prefix: keys.queuePrefix(accountId) }).on('error', () => undefined);
  const get = (accountId: string): AccountQueue<A> | undefined => {
    const account = source.get(accountId);
    if (!account) return undefined;
    let queues = made.get(accountId);
    if (!queues) {
      queues = { queue: queue(accountQueueName(accountId), accountId), deadLetters: queue(deadLetterQueueName(accountId), accountId) };
      made.set(accountId, queues);
    }
    return { account, ...queues };
  };
  const closeQueues = ({ queue, deadLetters }: Omit<AccountQueue<A>, 'account'>) => Promise.all([queue.close(), deadLetters.close()]);
  return {
    get,
    all: () => source.ids().flatMap((id) => get(id) ?? []),
    ids: () => source.ids(),
    accountOf: (accountId) => source.get(accountId),
    async forget(accountId) {
      const queues = made.get(accountId);
      made.delete(accountId);
      if (queues) await closeQueues(queues);
    },
    close: async () => {
      await Promise.all([...made.values()].map(closeQueues));
    },
  };
}
