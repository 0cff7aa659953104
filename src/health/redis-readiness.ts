import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import type { KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';
import { isOutOfMemory } from '../redis/redis-errors.js';

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
}

export interface ReadinessOptions {
  /** Where the probe writes (a few bytes that expire), to learn whether Redis takes writes. */
  keys: KeyNames;
  timeoutMs?: number;
}

/** Redis Cluster answers a command sent to the wrong node, or while it reshapes, with one of these. */
const CLUSTER_TROUBLE = /^(MOVED|ASK|CROSSSLOT|CLUSTERDOWN|TRYAGAIN)\b/;

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (isOutOfMemory(error)) return 'redis is out of memory (maxmemory reached) and refuses writes';
  if (CLUSTER_TROUBLE.test(message)) return `redis cluster answers ${message.split('\n')[0]}`;
  return `redis does not answer: ${message}`;
}

async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** noeviction, or why not. */
async function evictionProblem(node: { config(...args: string[]): Promise<unknown> }): Promise<string | undefined> {
  const [, policy] = (await node.config('GET', 'maxmemory-policy')) as [string, string];
  return policy === 'noeviction' ? undefined : `redis maxmemory-policy is ${policy}; closer needs noeviction or jobs can vanish`;
}

/**
 * One probe key per master: a tag whose slot that master serves, so the
 * write lands there (ioredis routes by the key's slot).
 */
function probeTagFor(cluster: Cluster, nodeKey: string): string | undefined {
  for (let index = 0; index < 50_000; index += 1) {
    const tag = `probe-${index}`;
    if (cluster.slots[calculateSlot(tag)]?.[0] === nodeKey) return tag;
  }
  return undefined;
}

async function clusterReadiness(cluster: Cluster, keys: KeyNames): Promise<Readiness> {
  const masters = cluster.nodes('master');
  if (masters.length === 0) return { ready: false, reason: 'redis cluster: no master known yet' };
  for (const master of masters) {
    const info = (await master.cluster('INFO')) as string;
    const state = /cluster_state:(\w+)/.exec(info)?.[1];
    if (state !== 'ok') return { ready: false, reason: `redis cluster_state is ${state ?? 'unknown'} (seen from ${master.options.host}:${master.options.port})` };
    const eviction = await evictionProblem(master);
    if (eviction) return { ready: false, reason: eviction };
    const nodeKey = `${master.options.host}:${master.options.port}`;
    const tag = probeTagFor(cluster, nodeKey);
    if (tag === undefined) return { ready: false, reason: `redis cluster: master ${nodeKey} serves no slot` };
    // Through the cluster client, as closer's own commands go: a MOVED or CLUSTERDOWN here is what they would meet.
    await cluster.set(keys.readinessProbe(tag), Date.now(), 'PX', 60_000);
  }
  return { ready: true };
}

/**
 * Redis is usable for closer: connected, answering, configured not to evict
 * keys (an evicted key is a lost job), and taking writes (under maxmemory
 * with noeviction it refuses them, and every enqueue would fail). On a
 * cluster: every master says cluster_state:ok, and takes a write through the
 * cluster client (so MOVED, CROSSSLOT, CLUSTERDOWN or TRYAGAIN answers make
 * it not ready). Never waits longer than `timeoutMs`.
 */
export async function redisReadiness(redis: RedisClient, { keys, timeoutMs = 2_000 }: ReadinessOptions): Promise<Readiness> {
  if (redis.status !== 'ready') return { ready: false, reason: `redis connection is ${redis.status}` };
  try {
    if (redis instanceof Cluster) return await within(clusterReadiness(redis, keys), timeoutMs);
    const [eviction] = await within(Promise.all([evictionProblem(redis), redis.set(keys.readinessProbe('probe'), Date.now(), 'PX', 60_000)]), timeoutMs);
    return eviction ? { ready: false, reason: eviction } : { ready: true };
  } catch (error) {
    return { ready: false, reason: reasonOf(error) };
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
