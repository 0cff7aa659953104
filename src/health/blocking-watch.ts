import type { Command } from 'ioredis';
import type { RedisClient } from '../redis/create-redis.js';
import type { Readiness } from './redis-readiness.js';

/**
 * BullMQ blocks on Redis for at most 10 s per fetch (its cap for Redis), so a
 * healthy blocking connection answers at least that often while it waits.
 */
export const DEFAULT_STUCK_AFTER_MS = 15_000;

export interface BlockingWatch {
  /** Not ready when a blocking connection is down, or waits without any answer for too long. */
  readiness(): Readiness;
  /** The watched connections, for diagnostics. */
  connections(): readonly RedisClient[];
}

interface Watched {
  client: RedisClient;
  pending: number;
  lastAnswerAt: number;
}

/**
 * Watches the connections BullMQ duplicates from `connection` for its workers'
 * blocking fetches. A worker whose blocking connection gets no answers (a
 * half-open socket, a stalled stream, a paused Redis) fetches no jobs while
 * looking alive; this makes it report not ready. BullMQ reconnects a blocking
 * connection it finds stuck, but a reconnection alone is no answer: only a
 * reply (even an empty one at the end of a block) counts.
 */
export function watchBlockingConnections(connection: RedisClient, stuckAfterMs = DEFAULT_STUCK_AFTER_MS): BlockingWatch {
  const watched: Watched[] = [];
  // Redis and Cluster differ in their duplicate() and sendCommand() signatures; both are passed through as they are.
  const duplicate = connection.duplicate.bind(connection) as (...args: unknown[]) => RedisClient;
  connection.duplicate = ((...args: unknown[]) => {
    const client = duplicate(...args);
    const entry: Watched = { client, pending: 0, lastAnswerAt: performance.now() };
    watched.push(entry);
    const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
    client.sendCommand = ((command: Command, ...rest: unknown[]) => {
      entry.pending += 1;
      command.promise.then(
        () => {
          entry.pending -= 1;
          entry.lastAnswerAt = performance.now();
        },
        () => {
          entry.pending -= 1;
        },
      );
      return send(command, ...rest);
    }) as never;
    return client;
  }) as never;

  return {
    connections: () => watched.map((entry) => entry.client),
    readiness() {
      const now = performance.now();
      for (const { client, pending, lastAnswerAt } of watched) {
        if (client.status === 'end') continue;
        if (client.status !== 'ready' && now - lastAnswerAt > stuckAfterMs) {
          return { ready: false, reason: `a worker's blocking redis connection is ${client.status} since ${Math.round((now - lastAnswerAt) / 1000)} s` };
        }
        if (pending > 0 && now - lastAnswerAt > stuckAfterMs) {
          return { ready: false, reason: `a worker's blocking redis connection has not answered for ${Math.round((now - lastAnswerAt) / 1000)} s` };
        }
      }
      return { ready: true };
    },
  };
}
