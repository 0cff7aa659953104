import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './create-redis.js';

/**
 * The connection `key`'s commands go over: the client itself, or on a
 * cluster the client's connection to the master that serves the key's slot
 * now (the same one its commands for that slot use).
 */
export function connectionFor(redis: RedisClient, key: string): Redis {
  if (!(redis instanceof Cluster)) return redis;
  const nodeKey = redis.slots[calculateSlot(key)]?.[0];
  const master = redis.nodes('master').find(({ options }) => `${options.host}:${options.port}` === nodeKey);
  if (!master) throw new Error(`no master serves the slot of ${key} right now`);
  return master;
}

/**
 * Loads every script defined on the client into the Redis that serves `key`.
 * ioredis sends a script's body once per connection and its SHA after that;
 * when that first send was inside a transaction Redis then discarded (as
 * during a failover), the script never loaded, and every later transaction
 * on that connection fails with NOSCRIPT (ioredis resends a NOSCRIPT'd script
 * only outside transactions). Loading them makes the SHAs good again.
 */
export async function loadScriptsFor(redis: RedisClient, key: string): Promise<void> {
  const connection = connectionFor(redis, key);
  const scripts = Object.values(redis.scriptsSet as Record<string, { lua: string }>);
  await Promise.all(scripts.map(({ lua }) => connection.script('LOAD', lua)));
}
