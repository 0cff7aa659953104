import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { AccountConfig, Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { keyNames } from '../../src/queues/names.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { createActivityStore, MINUTE_MS } from '../../src/stats/activity-store.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The console's live numbers (issue 22): closes, dead letters and 429s per
 * minute, counted by the workers and written every few seconds, and the
 * rate limit's use now, read from the limiter's keys, as the API's console
 * shows them.
 */
const KEY = 'peach-activity-key-5c1e';
const TOKEN = 'console-activity-token';

let server: TestRedis;
let sim: PeachSimulator;
let admin: Redis;
let api: ApiRuntime;
let workers: WorkerRuntime;
let config: Config;
let cookie: string;

// 600 a minute: a send every ~100 ms and no leases, so the send log holds exactly the requests sent.
const busy: AccountConfig = { ...peachAccount('', KEY, 'busy'), rateLimit: rate('600/60s') };
const limited = peachAccount('', KEY, 'limited');
/** Not served by the workers of this test: its closes stay waiting, a plain backlog. */
const backlogged = peachAccount('', KEY, 'backlogged');
/** Served by a worker that writes its counts only when it stops. */
const stopping = peachAccount('', KEY, 'stopping');

interface Row {
  id: string;
  attention: string[];
  activity: { lastHour: { closed: number; deadLettered: number; rateLimited: number }; perMinute: { closed: number[] }; closedLastMinute: number };
  rateLimitUse: { sent: number; max: number; windowMs: number; blockedForMs: number };
}

const at = (account: AccountConfig): AccountConfig => ({ ...account, baseUrl: sim.url });

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: KEY });
  admin = new Redis(server.url);
  config = { ...testConfig(server.url, [busy, limited, backlogged, stopping].map(at)), apiToken: TOKEN };
  const logger = createLogger({ level: 'silent' });
  workers = await startWorkers({ ...config, accounts: [at(busy), at(limited)] }, logger, { activityFlushMs: 100 });
  api = await startApi(config, logger, { host: '127.0.0.1' });
  await waitUntil(async () => (await api.producer.readiness()).ready, { what: 'redis' });
  const login = await fetch(`${api.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${TOKEN}` });
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
}, 60_000);

afterAll(async () => {
  await workers?.close();
  await api?.close();
  admin?.disconnect();
  await sim?.close();
  await server?.stop();
});

async function rows(): Promise<Row[]> {
  const answer = await fetch(`${api.url}/console/api/accounts`, { headers: { cookie } });
  expect(answer.status).toBe(200);
  return ((await answer.json()) as { items: Row[] }).items;
}
const rowOf = async (id: string) => (await rows()).find((row) => row.id === id)!;

const closeAll = (account: string, ids: readonly number[]) => api.producer.close({ account, conversations: ids.map((conversationId) => ({ conversationId })) });
const untilDone = (batchId: string) =>
  waitUntil(async () => {
    const report = await api.producer.batch(batchId);
    return report.done ? report : undefined;
  }, { what: `batch ${batchId}` });

describe('the accounts list shows what the workers did in the last hour', () => {
  it('counts closes and dead letters per minute, and the rate limit in use now', async () => {
    const ids = sim.seed(13).map((conversation) => conversation.id);
    // One of them is refused for good (404): a dead letter, not a close.
    sim.faults.failFor(ids[12]!, 404, 1);
    const { batchId } = await closeAll('busy', ids);
    expect(await untilDone(batchId)).toMatchObject({ completed: 12, deadLettered: 1 });

    const row = await waitUntil(async () => {
      const found = await rowOf('busy');
      return found.activity.lastHour.closed === 12 && found.activity.lastHour.deadLettered === 1 ? found : undefined;
    }, { what: 'the closes counted' });
    expect(row.activity.perMinute.closed).toHaveLength(60);
    expect(row.activity.perMinute.closed.reduce((sum, count) => sum + count, 0)).toBe(12);
    // The close requests (and the refused one) are in the limiter's log of the last 60 s.
    expect(row.rateLimitUse).toEqual({ sent: 13, max: 600, windowMs: 60_000, blockedForMs: 0 });
    expect(row.activity.lastHour.rateLimited).toBe(0);
    expect(row.attention).toContain('dead_letters');
  }, 60_000);

  it("counts the provider's 429s, and puts an account that met them above a plain backlog", async () => {
    await closeAll('backlogged', [1]);
    const ids = sim.seed(2).map((conversation) => conversation.id);
    // The next two requests to the simulator (only this account's are under way) answer 429.
    sim.faults.failFirst(2, 429, { retryAfterMs: 100 });
    const { batchId } = await closeAll('limited', ids);
    expect(await untilDone(batchId)).toMatchObject({ completed: 2 });

    const list = await waitUntil(async () => {
      const found = await rows();
      const row = found.find((entry) => entry.id === 'limited')!;
      const above = found.findIndex((entry) => entry.id === 'limited') < found.findIndex((entry) => entry.id === 'backlogged');
      // The list's sort reads the accounts with 429s afresh at most every second.
      return row.activity.lastHour.rateLimited === 2 && row.activity.lastHour.closed === 2 && above ? found : undefined;
    }, { what: 'the 429s counted and sorted' });
    expect(list.map((row) => [row.id, row.attention])).toEqual([
      ['busy', ['dead_letters']],
      ['limited', ['rate_limited']],
      ['backlogged', ['backlog']],
      ['stopping', []],
    ]);
  }, 60_000);

  it("writes a stopping worker's last counts when it closes", async () => {
    const logger = createLogger({ level: 'silent' });
    // Counts written every hour: only its close writes them.
    const last = await startWorkers({ ...config, accounts: [at(stopping)] }, logger, { activityFlushMs: 3_600_000 });
    try {
      const ids = sim.seed(3).map((conversation) => conversation.id);
      const { batchId } = await closeAll('stopping', ids);
      expect(await untilDone(batchId)).toMatchObject({ completed: 3 });
      expect((await rowOf('stopping')).activity.lastHour.closed).toBe(0);
    } finally {
      await last.close();
    }
    expect((await rowOf('stopping')).activity.lastHour.closed).toBe(3);
  }, 60_000);
});

describe('the activity hash', () => {
  it('keeps one field per minute of the hour, in the account slot, replacing what an hour-old minute left', async () => {
    const store = createActivityStore(admin, keyNames(config.queuePrefix));
    const now = Date.UTC(2030, 0, 1, 12, 30, 10);
    const minute = Math.floor(now / MINUTE_MS);
    const key = keyNames(config.queuePrefix).activity('hash-test');
    expect(key).toBe(`${config.queuePrefix}:{hash-test}:activity`);
    await store.add('hash-test', [
      { minute: minute - 60, counts: [7, 7, 7] },
      { minute: minute - 1, counts: [4, 0, 1] },
    ]);
    // The same slot as minute - 60: replaces it. Then more for the same minute add up.
    await store.add('hash-test', [{ minute, counts: [2, 1, 0] }]);
    await store.add('hash-test', [{ minute, counts: [3, 0, 0] }, { minute: minute - 1, counts: [1, 0, 0] }]);
    // A flush over an hour late finds its slot taken by a newer minute: dropped.
    await store.add('hash-test', [{ minute: minute - 60, counts: [100, 0, 0] }]);
    expect(await admin.hlen(key)).toBe(2);
    expect(await admin.pttl(key)).toBeGreaterThan(60 * MINUTE_MS);
    const activity = await store.read('hash-test', now);
    expect(activity.lastHour).toEqual({ closed: 10, deadLettered: 1, rateLimited: 1 });
    expect(activity.closedLastMinute).toBe(5);
    expect(activity.perMinute.closed.slice(-2)).toEqual([5, 5]);
    // An hour later nothing of it shows.
    expect((await store.read('hash-test', now + 60 * MINUTE_MS)).lastHour).toEqual({ closed: 0, deadLettered: 0, rateLimited: 0 });
  });
});
