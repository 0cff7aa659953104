import type { RedisClient } from './create-redis.js';
import { connectionFor } from './slot-connection.js';

/** Longest an enqueue waits for its replicas to acknowledge it. */
export const REPLICA_WAIT_MS = 2_000;

/**
 * How many replicas acknowledged every write made so far on the connection
 * to the master that holds `key`'s slot (Redis WAIT), waiting up to
 * `timeoutMs`. WAIT counts the writes of the connection it is sent on, so it
 * goes over the very connection the enqueue's transactions used.
 */
export async function acknowledgedBy(redis: RedisClient, key: string, replicas: number, timeoutMs = REPLICA_WAIT_MS): Promise<number> {
  return connectionFor(redis, key).wait(replicas, timeoutMs);
}
