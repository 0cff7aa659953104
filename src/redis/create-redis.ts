import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ClusterTarget } from '../config/types.js';

export type RedisRole = 'worker' | 'producer';

/** A standalone Redis or a Redis Cluster: closer runs the same commands on either (every multi-key command stays in one slot). */
export type RedisClient = Redis | Cluster;

/** Where Redis is: REDIS_CLUSTER_NODES when set, REDIS_URL otherwise. */
export interface RedisTarget {
  redisUrl: string;
  redisCluster?: ClusterTarget | undefined;
}

/** Waits between reconnection attempts: quick at first, every 2 s while Redis stays away. */
const retryDelay = (times: number) => Math.min(times * 200, 2_000);

/**
 * Connections as BullMQ's production guide wants them: workers wait for
 * Redis forever (`maxRetriesPerRequest: null`), producers fail fast
 * (`enableOfflineQueue: false`) so an API call answers 503 instead of hanging.
 */
export function createRedis(target: RedisTarget, role: RedisRole, name = `closer-${role}`): RedisClient {
  const options: RedisOptions = {
    connectionName: name,
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: retryDelay,
    // A socket still connecting when we disconnect is destroyed after this (ioredis waits 2 s by default, holding the process).
    disconnectTimeout: 200,
  };
  const cluster = target.redisCluster;
  if (!cluster) return new Redis(target.redisUrl, options);
  const clusterOptions: ClusterOptions = {
    redisOptions: {
      ...options,
      ...(cluster.username ? { username: cluster.username } : {}),
      ...(cluster.password ? { password: cluster.password } : {}),
      ...(cluster.tls ? { tls: {} } : {}),
    },
    enableOfflineQueue: role === 'worker',
    clusterRetryStrategy: retryDelay,
    // A failover takes the cluster a second or two: commands for the lost master's slots wait for it, briefly.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2_000,
  };
  return new Cluster(
    cluster.nodes.map(({ host, port }) => ({ host, port })),
    clusterOptions,
  );
}

/** The same Redis as `target`, as a display string without its password. */
export function describeRedis(target: RedisTarget): string {
  if (target.redisCluster) return `the Redis Cluster at ${target.redisCluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',')}`;
  try {
    const parsed = new URL(target.redisUrl);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'REDIS_URL (not a valid URL)';
  }
}
