import type { Redis } from 'ioredis';
import { isOutOfMemory } from '../redis/redis-errors.js';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export interface ReadinessProbe {
  /** A key of this deployment's that the check writes (a few bytes that expire), to learn whether Redis takes writes. */
  probeKey: string;
  timeoutMs?: number;
}

/**
 * Redis is usable for closer: connected, answering, configured not to evict
 * keys (an evicted key is a lost job), and taking writes (under maxmemory
 * with noeviction it refuses them, and every enqueue would fail). Never
 * waits longer than `timeoutMs`.
 */
export async function redisReadiness(redis: Redis, { probeKey, timeoutMs = 2_000 }: ReadinessProbe): Promise<Readiness> {
  if (redis.status !== 'ready') return { ready: false, reason: `redis connection is ${redis.status}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const answers = Promise.all([redis.config('GET', 'maxmemory-policy') as Promise<[string, string]>, redis.set(probeKey, Date.now(), 'PX', 60_000)]);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const [[, policy]] = await Promise.race([answers, timeout]);
    if (policy !== 'noeviction') return { ready: false, reason: `redis maxmemory-policy is ${policy}; closer needs noeviction or jobs can vanish` };
    return { ready: true };
  } catch (error) {
    if (isOutOfMemory(error)) return { ready: false, reason: 'redis is out of memory (maxmemory reached) and refuses writes' };
    return { ready: false, reason: `redis does not answer: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}

/** The first reason not to be ready, or ready. */
export async function allReady(checks: readonly (() => Promise<Readiness>)[]): Promise<Readiness> {
  for (const check of checks) {
    const result = await check();
    if (!result.ready) return result;
  }
  return { ready: true };
}
