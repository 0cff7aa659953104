import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The API of a deployment with 10,000 accounts: a dashboard refresh and a
 * metrics scrape read the accounts with something to show, not every one.
 */
const ACCOUNTS = 10_000;
const TOKEN = 'many-accounts-token';

let server: TestRedis;
let sim: PeachSimulator;
let admin: Redis;
let config: Config;
let api: ApiRuntime;

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: 'k' });
  admin = new Redis(server.url);
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => peachAccount(sim.url, 'k', `acct-${String(i).padStart(5, '0')}`));
  config = { ...testConfig(server.url, accounts), apiToken: TOKEN };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  await waitUntil(async () => (await api.producer.readiness()).ready, { what: 'redis' });
}, 60_000);

afterAll(async () => {
  await api.close();
  admin.disconnect();
  await sim.close();
  await server.stop();
});

const get = (path: string) => fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });

/** Commands Redis ran for `action`, not counting the INFO calls that measure them. */
async function commandsFor(action: () => Promise<unknown>): Promise<number> {
  const processed = async () => Number(/total_commands_processed:(\d+)/.exec((await admin.info('stats')) as string)![1]);
  const before = await processed();
  await action();
  return (await processed()) - before - 1;
}

describe('an API serving 10,000 accounts', () => {
  it('lists on the dashboard the accounts with work, at a cost that does not grow with the accounts', async () => {
    const busy = ['acct-00007', 'acct-04242', 'acct-09999'];
    for (const account of busy) await api.producer.close({ account, conversations: [{ conversationId: 1 }] });

    let listed: string[] = [];
    const refresh = await commandsFor(async () => {
      const response = await get('/dashboard/api/queues');
      expect(response.status).toBe(200);
      listed = ((await response.json()) as { queues: { name: string }[] }).queues.map((queue) => queue.name);
    });
    expect(listed.sort()).toEqual(busy.map((account) => `account-${account}`).sort());
    // Four to choose the accounts, then bull-board's reads of three queues: far from one per account.
    expect(refresh).toBeLessThan(200);
    const page = await get('/dashboard');
    expect(page.status).toBe(200);
  });

  it('exports job gauges for the accounts with work only, at a cost that does not grow with the accounts', async () => {
    let text = '';
    const scrape = await commandsFor(async () => (text = await (await get('/metrics')).text()));
    const accountsInJobs = new Set([...text.matchAll(/^closer_jobs\{account="([^"]+)"/gm)].map((match) => match[1]));
    expect([...accountsInJobs].sort()).toEqual(['acct-00007', 'acct-04242', 'acct-09999']);
    expect(scrape).toBeLessThan(100);
  });
});
