import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The console's batches (issue 22): listed newest first across accounts or
 * for one account, searched by id and paged, each with its counts; and its
 * dead letters filtered by HTTP status.
 */
const TOKEN = 'console-batches-token-31c';
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let api: ApiRuntime;
let workers: WorkerRuntime;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: 'k' });
  config = { ...testConfig(server.url, [peachAccount(sim.url, 'k', 'shop-a'), peachAccount(sim.url, 'k', 'shop-b')]), apiToken: TOKEN };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  workers = await startWorkers(config, createLogger({ level: 'silent' }));
  const login = await fetch(`${api.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${TOKEN}` });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${api.url}/console`, { headers: { cookie } })).text();
  session = { cookie, csrf: /name="closer-csrf" content="([^"]+)"/.exec(page)![1]! };
});

afterAll(async () => {
  await workers.close();
  await api.close();
  await sim.close();
  await server.stop();
});

type Listed = { total: number; page: number; pageSize: number; items: { batchId: string; account: string; total: number; completed: number; done: boolean }[] };
const list = async (query = ''): Promise<Listed> => {
  const response = await fetch(`${api.url}/console/api/batches${query}`, { headers: { cookie: session.cookie } });
  expect(response.status).toBe(200);
  return (await response.json()) as Listed;
};

async function close(account: string, batchId: string, count: number): Promise<void> {
  const conversations = sim.seed(count).map(({ id }) => ({ conversationId: id }));
  await api.producer.close({ account, batchId, conversations });
  await waitUntil(async () => (await api.producer.batch(batchId)).done, { what: `batch ${batchId}` });
}

describe('the console\'s batches', () => {
  it('are listed newest first, across accounts or for one, searched by id, with their counts', async () => {
    await close('shop-a', 'order-1', 3);
    await close('shop-b', 'order-2', 2);
    await close('shop-a', 'other-3', 1);
    const all = await list();
    expect(all).toMatchObject({ total: 3, page: 1 });
    expect(all.items.map(({ batchId, account, total, completed, done }) => [batchId, account, total, completed, done])).toEqual([
      ['other-3', 'shop-a', 1, 1, true],
      ['order-2', 'shop-b', 2, 2, true],
      ['order-1', 'shop-a', 3, 3, true],
    ]);
    expect((await list('?account=shop-a')).items.map(({ batchId }) => batchId)).toEqual(['other-3', 'order-1']);
    expect((await list('?q=order')).items.map(({ batchId }) => batchId)).toEqual(['order-2', 'order-1']);
    expect(await list('?q=order&page=2')).toMatchObject({ total: 2, items: [] });
    // A resend of a batch lists it once, at its first time.
    await api.producer.close({ account: 'shop-a', batchId: 'order-1', conversations: [{ conversationId: sim.seed(1)[0]!.id }] });
    expect((await list()).items.map(({ batchId }) => batchId)).toEqual(['other-3', 'order-2', 'order-1']);
  });

  it('leave dead letters to the dead-letters page, which filters them by HTTP status', async () => {
    await api.producer.close({ account: 'shop-b', batchId: 'missing', conversations: [{ conversationId: 880_001 }, { conversationId: 880_002 }] });
    await waitUntil(async () => (await api.producer.batch('missing')).done, { what: 'the dead letters' });
    const read = async (query: string) => {
      const response = await fetch(`${api.url}/console/api/dead-letters${query}`, { headers: { cookie: session.cookie } });
      return { status: response.status, body: (await response.json()) as { groups: { reason: string; status: number | null; count: number }[]; statuses: (number | null)[]; issues?: { path: string }[] } };
    };
    const all = await read('');
    expect(all.body.statuses).toEqual([404]);
    expect((await read('?status=404')).body.groups).toEqual([expect.objectContaining({ reason: 'PROVIDER_NOT_FOUND', status: 404, count: 2 })]);
    expect((await read('?status=503')).body.groups).toEqual([]);
    expect((await read('?status=none')).body.groups).toEqual([]);
    expect(await read('?status=abc')).toMatchObject({ status: 400, body: { issues: [{ path: 'status' }] } });
  });

  it('refuse a bad query by naming it, and an unknown account with 404', async () => {
    const bad = await fetch(`${api.url}/console/api/batches?page=0`, { headers: { cookie: session.cookie } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'validation', issues: [{ path: 'page' }] });
    const unknown = await fetch(`${api.url}/console/api/batches?account=nope`, { headers: { cookie: session.cookie } });
    expect(unknown.status).toBe(404);
  });
});
