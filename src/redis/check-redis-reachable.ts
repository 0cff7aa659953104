import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisUnreachableError } from './redis-unreachable-error.js';

/** A Redis URL as it may be shown: without its password. */
export function displayRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return 'REDIS_URL (not a valid URL)';
  }
}

function plainReason(error: unknown): string {
  const { code, message = String(error) } = error as { code?: string; message?: string };
  if (code === 'ECONNREFUSED') return 'connection refused (nothing listens there)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'the host name does not resolve';
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) return 'no answer (a firewall, or the wrong host)';
  if (/NOAUTH|WRONGPASS|invalid password|AUTH/i.test(message)) return 'authentication failed (check the password in REDIS_URL)';
  return message.split('\n')[0]!;
}

/** One PING on a connection of its own: undefined when Redis answered, the reason otherwise. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<Error | undefined> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
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

/**
 * Start-up check: Redis answers PING at `url` within `withinMs` (a Redis that
 * is itself starting gets a few tries). Throws RedisUnreachableError with a
 * plain explanation otherwise, so a process never starts its parts into a
 * storm of reconnection errors.
 */
export async function checkRedisReachable(url: string, { withinMs = 3_000, note }: { withinMs?: number; note?: string } = {}): Promise<void> {
  const deadline = Date.now() + withinMs;
  let error: Error | undefined;
  for (let attempt = 0; attempt === 0 || Date.now() < deadline; attempt += 1) {
    error = await pingRedis(url, Math.min(2_000, withinMs));
    if (!error) return;
    await sleep(Math.min(250 * 2 ** attempt, 1_000));
  }
  throw new RedisUnreachableError(displayRedisUrl(url), plainReason(error), note);
}
