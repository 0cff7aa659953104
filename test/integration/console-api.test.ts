import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { keyNames } from '../../src/queues/names.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The console's server side (issue 22) with 10,000 accounts: login and
 * session, CSRF refusals, the accounts list sorted by attention, searched
 * and paged at a cost that does not grow with the accounts, and no
 * credential in any answer. The browser tests (test/e2e/console.test.ts)
 * drive the pages.
 */
const ACCOUNTS = 10_000;
const TOKEN = 'console-api-token-4b1d';
const PEACH_KEY = 'peach-secret-key-77aa31';
const BASIC = { user: 'ops', password: 'ops-pass-9911' };

let server: TestRedis;
let sim: PeachSimulator;
let admin: Redis;
let config: Config;
let api: ApiRuntime;

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: PEACH_KEY });
  admin = new Redis(server.url);
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => peachAccount(sim.url, PEACH_KEY, `acct-${String(i).padStart(5, '0')}`));
  config = { ...testConfig(server.url, accounts), apiToken: TOKEN, dashboardBasicAuth: BASIC };
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  await waitUntil(async () => (await api.producer.readiness()).ready, { what: 'redis' });
}, 60_000);

afterAll(async () => {
  await api.close();
  admin.disconnect();
  await sim.close();
  await server.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => Record<string, unknown>;
}

async function send(method: string, path: string, { headers = {}, body }: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await fetch(`${api.url}${path}`, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const form = (fields: Record<string, string>) => ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

/** Logs in; the session's cookie header and the CSRF token its page carries. */
async function logIn(fields: Record<string, string> = { password: TOKEN }): Promise<{ cookie: string; csrf: string }> {
  const login = await send('POST', '/console/login', form(fields));
  expect(login.status).toBe(303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const page = await send('GET', '/console', { headers: { cookie } });
  expect(page.status).toBe(200);
  const csrf = /name="closer-csrf" content="([^"]+)"/.exec(page.text)![1]!;
  return { cookie, csrf };
}

/** Commands Redis ran for `action`, not counting the INFO calls that measure them. */
async function commandsFor(action: () => Promise<unknown>): Promise<number> {
  const processed = async () => Number(/total_commands_processed:(\d+)/.exec((await admin.info('stats')) as string)![1]);
  const before = await processed();
  await action();
  return (await processed()) - before - 1;
}

describe('console login', () => {
  it('sends a visitor without a session to the login page, and the bare address to the console', async () => {
    expect((await send('GET', '/')).headers.get('location')).toBe('/console');
    const console = await send('GET', '/console');
    expect(console.status).toBe(303);
    expect(console.headers.get('location')).toBe('/console/login');
    const login = await send('GET', '/console/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('<form method="post" action="/console/login">');
    expect((await send('GET', '/console/api/accounts')).status).toBe(401);
  });

  it('takes the API token or the dashboard user and password, and sets a strict, script-proof session cookie', async () => {
    for (const wrong of <Record<string, string>[]>[{ password: 'nope' }, { user: BASIC.user, password: 'nope' }, { user: 'someone', password: BASIC.password }, {}]) {
      const refused = await send('POST', '/console/login', form(wrong));
      expect(refused.status).toBe(401);
      expect(refused.headers.get('set-cookie')).toBeNull();
      expect(refused.text).toContain('Those credentials do not open the console.');
    }
    const login = await send('POST', '/console/login', form({ user: 'anyone', password: TOKEN }));
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/console');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^closer_console=[^;]+; Path=\/console; Max-Age=43200; HttpOnly; SameSite=Strict$/);
    const { cookie: basicSession } = await logIn(BASIC);
    expect((await send('GET', '/console/api/accounts', { headers: { cookie: basicSession } })).status).toBe(200);
  });

  it('serves the page with its CSRF token, a strict content security policy, and the front end from this server', async () => {
    const { cookie, csrf } = await logIn();
    const page = await send('GET', '/console', { headers: { cookie } });
    expect(csrf.length).toBeGreaterThan(20);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self' 'nonce-[^']+'/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.text).not.toMatch(/https?:\/\//);
    for (const asset of ['/console/assets/app.js', '/console/assets/console.css', '/console/assets/vendor/preact.mjs', '/console/assets/vendor/hooks.mjs', '/console/assets/vendor/htm.mjs']) {
      const answer = await send('GET', asset);
      expect([asset, answer.status]).toEqual([asset, 200]);
      expect(answer.headers.get('content-type')).toMatch(/^text\/(javascript|css)/);
    }
    expect((await send('GET', '/console/assets/..%2Fconsole-data.ts')).status).toBe(404);
  });

  it('ends the session on logout, which needs the CSRF token too', async () => {
    const { cookie, csrf } = await logIn();
    expect((await send('POST', '/console/api/logout', { headers: { cookie } })).status).toBe(403);
    const out = await send('POST', '/console/api/logout', { headers: { cookie, 'x-closer-csrf': csrf } });
    expect(out.status).toBe(200);
    expect(out.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await send('GET', '/console/api/accounts', { headers: { cookie } })).status).toBe(401);
    expect((await send('GET', '/console', { headers: { cookie } })).status).toBe(303);
  });
});

describe('console actions', () => {
  const paused = async (id: string) => (await api.producer.account(id)).paused;

  it('refuse a state-changing request without the session CSRF token, or from another origin, and change nothing', async () => {
    const { cookie, csrf } = await logIn();
    const basic = `Basic ${Buffer.from(`${BASIC.user}:${BASIC.password}`).toString('base64')}`;
    const attempts: [Record<string, string>, number, string][] = [
      [{ cookie }, 403, 'csrf_refused'],
      [{ cookie, 'x-closer-csrf': 'forged' }, 403, 'csrf_refused'],
      [{ cookie, 'x-closer-csrf': csrf, origin: 'http://127.0.0.1:1' }, 403, 'csrf_refused'],
      [{ cookie, 'x-closer-csrf': csrf, origin: 'null' }, 403, 'csrf_refused'],
      [{ cookie, 'x-closer-csrf': csrf, 'sec-fetch-site': 'same-site' }, 403, 'csrf_refused'],
      // What a browser holds for the dashboard, without a session: nothing here.
      [{ authorization: basic }, 401, 'console_login_required'],
      [{ authorization: `Bearer ${TOKEN}`, 'x-closer-csrf': csrf }, 401, 'console_login_required'],
    ];
    for (const [headers, status, code] of attempts) {
      const answer = await send('POST', '/console/api/accounts/acct-00001/pause', { headers });
      expect([headers, answer.status, answer.json().error]).toEqual([headers, status, code]);
    }
    expect(await paused('acct-00001')).toBe(false);

    const origin = api.url;
    const done = await send('POST', '/console/api/accounts/acct-00001/pause', { headers: { cookie, 'x-closer-csrf': csrf, origin, 'sec-fetch-site': 'same-origin' } });
    expect(done.status).toBe(200);
    expect(done.json().message).toBe('Paused "acct-00001": its jobs wait until it is resumed.');
    expect(await paused('acct-00001')).toBe(true);
    expect((await send('POST', '/console/api/accounts/acct-00001/resume', { headers: { cookie, 'x-closer-csrf': csrf } })).status).toBe(200);
    expect(await paused('acct-00001')).toBe(false);
  });

  it('refuses a login posted from another origin', async () => {
    const login = await send('POST', '/console/login', { ...form({ password: TOKEN }), headers: { ...form({}).headers, origin: 'http://127.0.0.1:1' } });
    expect(login.status).toBe(403);
    expect(login.headers.get('set-cookie')).toBeNull();
  });
});

describe('the accounts list with 10,000 accounts', () => {
  it('puts those needing attention first, searches and pages on the server, reads only the page, and shows no credential', async () => {
    const { cookie } = await logIn();
    await api.producer.pauseAccount('acct-07777');
    await admin.set(keyNames(config.queuePrefix).pauseReason('acct-07777'), 'unauthorized');
    await api.producer.pauseAccount('acct-03333');
    for (const account of ['acct-09000', 'acct-00042']) await api.producer.close({ account, conversations: [{ conversationId: 1 }] });

    const get = async (path: string) => {
      const answer = await send('GET', path, { headers: { cookie } });
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(PEACH_KEY);
      expect(answer.text).not.toContain(sim.url);
      return answer.json() as { total: number; pages: number; page: number; summary: Record<string, number>; items: { id: string; attention: string[]; pausedReason: string | null; counts: { waiting: number } }[] };
    };
    // Refreshes within a second share one reading of the notable sets: the list shows the pauses once a newer one is made.
    await waitUntil(async () => (await get('/console/api/accounts')).items[0]!.id === 'acct-07777', { what: 'the list to read the pauses' });
    let first: Awaited<ReturnType<typeof get>> | undefined;
    const refresh = await commandsFor(async () => (first = await get('/console/api/accounts')));
    expect(first!.total).toBe(ACCOUNTS);
    expect(first!.pages).toBe(ACCOUNTS / 50);
    expect(first!.items).toHaveLength(50);
    expect(first!.items.slice(0, 2).map((item) => [item.id, item.attention])).toEqual([
      ['acct-07777', ['unauthorized']],
      ['acct-03333', ['paused']],
    ]);
    // Then the backlogs, the longest waiting first; then (after acct-00001, which its resume put in the ready index) the rest by id.
    expect(first!.items.filter((item) => item.attention.includes('backlog')).map((item) => [item.id, item.counts.waiting])).toEqual([
      ['acct-09000', 1],
      ['acct-00042', 1],
    ]);
    expect(first!.items.slice(2, 5).map((item) => item.id).sort()).toEqual(['acct-00001', 'acct-00042', 'acct-09000']);
    expect(first!.items.slice(5, 7).map((item) => item.id)).toEqual(['acct-00000', 'acct-00002']);
    // The summary counts the notable sets: acct-00001 stays in the ready index until a dispatcher finds nothing to take.
    expect(first!.summary).toMatchObject({ accounts: ACCOUNTS, unauthorized: 1, paused: 1, backlog: 3 });
    // The notable sets and the paused reasons, then a status read of each of the 50 accounts shown (two BullMQ
    // count scripts, whose reads Redis counts one by one, and a HEXISTS: 12 commands), its activity (an HGETALL)
    // and its rate limit's use (a script: TIME, HGET, ZCOUNT and itself, 4): 17 commands; nothing for the 9,950 others.
    expect(refresh).toBeLessThan(50 * 17 + 50);
    // No worker ran here: nothing in the last hour, nothing of the limit in use.
    expect(first!.items[0]).toMatchObject({ activity: { lastHour: { closed: 0, deadLettered: 0, rateLimited: 0 } }, rateLimitUse: { sent: 0, max: 1000, windowMs: 1000, blockedForMs: 0 } });

    const found = await get('/console/api/accounts?q=ACCT-0424');
    expect(found.total).toBe(10);
    expect(found.items.map((item) => item.id)).toEqual(Array.from({ length: 10 }, (_, i) => `acct-0424${i}`));
    const last = await get('/console/api/accounts?page=200');
    expect([last.page, last.items.at(-1)!.id]).toEqual([200, 'acct-09999']);
    const account = await send('GET', '/console/api/accounts/acct-07777', { headers: { cookie } });
    expect(account.text).not.toContain(PEACH_KEY);
    expect(account.json()).toMatchObject({ account: { id: 'acct-07777', paused: true, pausedReason: 'unauthorized' }, deadLetters: { total: 0, groups: [] } });
    expect((await send('GET', '/console/api/accounts/nobody', { headers: { cookie } })).status).toBe(404);
    expect((await send('GET', '/console/api/accounts?page=0', { headers: { cookie } })).json().error).toBe('validation');
  }, 60_000);
});

// Last in this file: it leaves 127.0.0.1 refused for a minute.
describe('console login throttle', () => {
  it('refuses a client after 10 refused logins within a minute, the right token included, saying how long to wait', async () => {
    for (let attempt = 1; attempt <= 10; attempt += 1) expect((await send('POST', '/console/login', form({ password: `guess-${attempt}` }))).status).toBe(401);
    const throttled = await send('POST', '/console/login', form({ password: TOKEN }));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.headers.get('set-cookie')).toBeNull();
    expect(throttled.text).toContain('Too many refused logins from this address');
  });
});
