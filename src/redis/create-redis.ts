import { Redis } from 'ioredis';

export type RedisRole = 'worker' | 'producer';

/**
 * Connections as BullMQ's production guide wants them: workers wait for
 * Redis forever (`maxRetriesPerRequest: null`), producers fail fast
 * (`enableOfflineQueue: false`) so an API call answers 503 instead of hanging.
 */
export function createRedis(url: string, role: RedisRole, name = `closer-${role}`): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // A socket still connecting when we disconnect is destroyed after this (ioredis waits 2 s by default, holding the process).
    disconnectTimeout: 200,
  });
}
