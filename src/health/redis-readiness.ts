import type { Redis } from 'ioredis';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

/**
 * Redis is usable for closer: connected, answering, and configured not to
 * evict keys (an evicted key is a lost job). Never waits longer than `timeoutMs`.
 */
export async function redisReadiness(redis: Redis, timeoutMs = 2_000): Promise<Readiness> {
  if (redis.status !== 'ready') return { ready: false, reason: `redis connection is ${redis.status}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = redis.config('GET', 'maxmemory-policy') as Promise<[string, string]>;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    const [, policy] = await Promise.race([answer, timeout]);
    if (policy !== 'noeviction') return { ready: false, reason: `redis maxmemory-policy is ${policy}; closer needs noeviction or jobs can vanish` };
    return { ready: true };
  } catch (error) {
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
