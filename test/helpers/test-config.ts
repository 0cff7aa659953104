import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config/load-config.js';
import type { AccountConfig, Config, JobSettings } from '../../src/config/types.js';
import { keyNames } from '../../src/queues/names.js';

/**
 * A full Config for one test: defaults from loadConfig, a Redis of the test's
 * own, a queue prefix nobody else uses, and short backoffs so retries are quick.
 */
export function testConfig(redisUrl: string, accounts: AccountConfig[], jobs: Partial<JobSettings> = {}): Config {
  const base = loadConfig({});
  return {
    ...base,
    redisUrl,
    apiToken: 'test-api-token',
    logLevel: 'silent',
    queuePrefix: `t${randomUUID().slice(0, 8)}`,
    healthPort: 0,
    // Test files run side by side: each API they start takes a free port.
    port: 0,
    accounts,
    jobs: { ...base.jobs, backoffDelayMs: 20, backoffMaxMs: 200, attempts: 4, ...jobs },
  };
}

/** BullMQ's prefix of an account's queues under a test's Config (its keys carry the account's hash tag). */
export const queuePrefixOf = (config: Pick<Config, 'queuePrefix'>, account: string): string => keyNames(config.queuePrefix).queuePrefix(account);

/** Waits until `check` holds, re-checking every 20 ms: for conditions that no single event announces. */
export async function waitUntil<T>(check: () => Promise<T | undefined | false> | T | undefined | false, { timeoutMs = 20_000, what = 'condition' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
