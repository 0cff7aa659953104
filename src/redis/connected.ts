import type { RedisClient } from './create-redis.js';

/**
 * Resolves once the connection is ready. A producer connection fails its
 * commands while it connects (no offline queue), so a process that must
 * read before it serves (the registry) waits here first; Redis was found
 * reachable just before (check-redis-reachable.ts), so this is the time of
 * a handshake, and the deadline only guards against Redis going away meanwhile.
 */
export async function connected(redis: RedisClient, deadlineMs = 10_000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', ready);
      reject(new Error(`Redis did not accept the connection within ${deadlineMs / 1000} s`));
    }, deadlineMs);
    const ready = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', ready);
  });
}
