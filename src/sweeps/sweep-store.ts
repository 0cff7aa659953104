import type { RedisClient } from '../redis/create-redis.js';
import type { KeyNames } from '../queues/names.js';
import type { SweepResult } from '../queues/sweep-job.js';

/** The last sweep of each account, kept until the next one. */
export interface SweepStore {
  save(accountId: string, result: SweepResult): Promise<void>;
  last(accountId: string): Promise<SweepResult | null>;
}

export function createSweepStore(redis: RedisClient, keys: KeyNames): SweepStore {
  return {
    save: async (accountId, result) => {
      await redis.set(keys.lastSweep(accountId), JSON.stringify(result));
    },
    last: async (accountId) => {
      const text = await redis.get(keys.lastSweep(accountId));
      return text ? (JSON.parse(text) as SweepResult) : null;
    },
  };
}
