import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { describeRedis, type RedisTarget } from './create-redis.js';
import { RedisUnreachableError } from './redis-unreachable-error.js';

function plainReason(error: unknown): string {
  const { code, message = String(error) } = error as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'no answer (a firewall, or the wrong host)';
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) return 'authentication failed (check the password in REDIS_URL)';
  return message.split('\n')[0]!;
}

/** One PING on a connection of its own: undefined when Redis answered, the reason otherwise. */
export async function pingRedis(where: string | RedisOptions, timeoutMs = 2_000): Promise<Error | undefined> {
  const options: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false };
  const probe = typeof where === 'string' ? new Redis(where, options) : new Redis({ ...where, ...options });
  // connect() rejects with a generic "Connection is closed"; the socket's own error says why.
  let socketError: Error | undefined;
  probe.on('error', (error: Error) => (socketError ??= error));
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return socketError ?? (error as Error);
  } finally {
    probe.disconnect();
  }
}

/** A standalone Redis, or any seed node of a cluster, answers PING: undefined then, the reason otherwise. */
async function pingTarget(target: RedisTarget, timeoutMs: number): Promise<Error | undefined> {
  const cluster = target.redisCluster;
  if (!cluster) return pingRedis(target.redisUrl, timeoutMs);
  let first: Error | undefined;
  for (const { host, port } of cluster.nodes) {
    const auth = { ...(cluster.username ? { username: cluster.username } : {}), ...(cluster.password ? { password: cluster.password } : {}), ...(cluster.tls ? { tls: {} } : {}) };
    const error = await pingRedis({ host, port, ...auth }, timeoutMs);
    if (!error) return undefined;
    first ??= error;
  }
  return first;
}

/**
 * Start-up check: Redis (a cluster: one of its seed nodes) answers PING
 * within `withinMs` (a Redis that is itself starting gets a few tries).
 * Throws RedisUnreachableError with a plain explanation otherwise, so a
 * process never starts its parts into a storm of reconnection errors.
 */
export async function checkRedisReachable(target: RedisTarget, { withinMs = 3_000, note }: { withinMs?: number; note?: string } = {}): Promise<void> {
  const deadline = Date.now() + withinMs;
  let error: Error | undefined;
  for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt += 1) {
    error = await pingTarget(target, Math.min(2_000, withinMs));
    if (!error) return;
    await sleep(Math.min(250 * 2 ** attempt, 1_000));
  }
  throw new RedisUnreachableError(describeRedis(target), plainReason(error), note);
}
