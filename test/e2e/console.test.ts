import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount, rate } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/**
 * The operations console in a real browser (issue 22): Debian's Chromium
 * driven by playwright-core, against the API and workers of this process,
 * Redis of its own and the Peach simulator. Each page's screenshot goes to
 * docs/screenshots/ (the README shows them).
 */
const CHROMIUM = '/usr/bin/chromium';
/** What keeps Chromium off the network on these machines (docs: shared/docs/browser-tests.md); Playwright adds --headless. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

const TOKEN = 'console-e2e-token-58c2e1';
const BASIC = { user: 'ops', password: 'ops-pass-3317' };
const PEACH_KEY = 'peach-e2e-key-0b7d44';
const SHOPS = 1_000;

let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let workers: WorkerRuntime;
let api: ApiRuntime;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Script errors and console errors of the pages (a CSP refusal shows here). */
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: PEACH_KEY });
  const shops = Array.from({ length: SHOPS }, (_, i) => peachAccount(sim.url, PEACH_KEY, `shop-${String(i).padStart(4, '0')}`));
  // `peach-main` runs at 20 closes a second, so a batch of 100 takes seconds: long enough to watch.
  const main = { ...peachAccount(sim.url, PEACH_KEY, 'peach-main'), rateLimit: rate('20/1s') };
  const bad = peachAccount(sim.url, 'wrong-key-of-peach-bad', 'peach-bad');
  config = { ...testConfig(server.url, [...shops, main, bad], { unauthorizedPauseAfter: 2, attempts: 2 }), apiToken: TOKEN, dashboardBasicAuth: BASIC };
  const logger = createLogger({ level: 'silent' });
  workers = await startWorkers(config, logger);
  api = await startApi(config, logger, { host: '127.0.0.1' });
  await waitUntil(async () => (await api.producer.readiness()).ready, { what: 'redis' });
  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  // The browser holds the dashboard's basic-auth credentials for the API's origin, as one that opened /dashboard would.
  context = await browser.newContext({ viewport: { width: 1200, height: 800 }, httpCredentials: { username: BASIC.user, password: BASIC.password, origin: api.url } });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => message.type() === 'error' && pageErrors.push(`console: ${message.text()} (${message.location().url})`));
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await workers?.close();
  await sim?.close();
  await server?.stop();
});

const screenshot = (name: string) => page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
/** Confirms the action's dialog and returns what the console says it did (told once the action ended and the dialog closed). */
async function confirmAction(): Promise<string> {
  const dialog = page.locator('dialog.confirm');
  await dialog.locator('button', { hasText: 'Confirm' }).click();
  await dialog.waitFor({ state: 'detached' });
  return page.locator('p.notice').innerText();
}
const closeAll = (account: string, ids: readonly number[]) => api.producer.close({ account, conversations: ids.map((conversationId) => ({ conversationId })) });
const rowIds = () => page.locator('table.accounts tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-account')));

describe('the operations console in Chromium', () => {
  it('sends the bare address to the login page, and logs in with the API token', async () => {
    await page.goto(`${api.url}/`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    await screenshot('login');
    await page.fill('input[name="password"]', 'not-the-token');
    await page.click('button[type="submit"]');
    await page.locator('p.notice.error').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/login');

    await page.fill('input[name="password"]', TOKEN);
    await page.click('button[type="submit"]');
    await page.locator('table.accounts tbody tr').first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/console');
    const cookie = (await context.cookies(`${api.url}/console`)).find((entry) => entry.name === 'closer_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
  });

  it('shows the account paused by 401s at the top of the list, and finds an account among 1,000 by search', async () => {
    await closeAll('peach-bad', sim.seed(3).map((conversation) => conversation.id));
    // The list refreshes by itself: the paused account comes to the top, marked as unauthorized.
    await page.locator('table.accounts tbody tr:first-child[data-account="peach-bad"] .badge.unauthorized').waitFor({ timeout: 20_000 });
    expect((await api.producer.account('peach-bad')).pausedReason).toBe('unauthorized');
    await screenshot('accounts');

    await page.fill('input[name="q"]', 'shop-0421');
    await page.locator('table.accounts tbody tr:only-child[data-account="shop-0421"]').waitFor();
    expect(await rowIds()).toEqual(['shop-0421']);
    expect(await page.locator('.pager').innerText()).toContain('1 account matching');
    await page.fill('input[name="q"]', '');
    await page.locator('table.accounts tbody tr:nth-child(50)').waitFor();
  }, 60_000);

  it('opens an account and redrives a group of its dead letters, which then complete', async () => {
    const missing = sim.seed(3).map((conversation) => conversation.id);
    const [rejected] = sim.seed(1).map((conversation) => conversation.id);
    for (const id of missing) sim.faults.failFor(id, 404);
    sim.faults.failFor(rejected!, 400);
    const { batchId } = await closeAll('peach-main', [...missing, rejected!]);
    await waitUntil(async () => (await api.producer.batch(batchId)).deadLettered === 4, { what: 'four dead letters' });
    sim.faults.clear();

    await page.fill('input[name="q"]', 'peach-main');
    await page.locator('table.accounts tbody tr[data-account="peach-main"] a').click();
    const notFound = page.locator('.group[data-reason="PROVIDER_NOT_FOUND"]');
    await notFound.waitFor();
    expect(await notFound.locator('tbody tr').count()).toBe(3);
    expect(await page.locator('.group[data-reason="PROVIDER_REJECTED"] tbody tr').count()).toBe(1);
    await screenshot('account');

    await notFound.locator('button', { hasText: 'Redrive group' }).click();
    expect(await page.locator('dialog.confirm').innerText()).toContain('Redrive every PROVIDER_NOT_FOUND 404 dead letter of "peach-main"?');
    expect(await confirmAction()).toContain('Redrove 3 dead letters');
    // The page shows them gone as its next refresh finds them closed; the other group stays.
    await notFound.waitFor({ state: 'detached', timeout: 20_000 });
    await waitUntil(async () => (await api.producer.batch(batchId)).completed === 3, { what: 'the redriven closes' });
    expect(missing.map((id) => sim.statusOf(id))).toEqual(['closed', 'closed', 'closed']);
    expect(await page.locator('.group[data-reason="PROVIDER_REJECTED"] tbody tr').count()).toBe(1);
    expect(await page.locator('[data-count="deadLettered"] dd').innerText()).toBe('1');
  }, 60_000);

  it('pauses and resumes the account, each after a confirmation, saying what it did', async () => {
    await page.locator('.actions button', { hasText: 'Pause' }).click();
    expect(await confirmAction()).toContain('Paused "peach-main": its jobs wait until it is resumed.');
    await page.locator('p.state', { hasText: 'Paused by hand.' }).waitFor();
    expect((await api.producer.account('peach-main')).pausedReason).toBe('manual');

    await page.locator('p.notice button', { hasText: 'dismiss' }).click();
    await page.locator('.actions button', { hasText: 'Resume' }).click();
    expect(await confirmAction()).toContain('Resumed "peach-main"');
    await page.locator('p.state', { hasText: 'Running.' }).waitFor();
    expect((await api.producer.account('peach-main')).paused).toBe(false);
  }, 30_000);

  it('deletes a chosen dead letter from the dead letters across accounts', async () => {
    await page.goto(`${api.url}/console#/dead-letters`);
    const rejected = page.locator('.group[data-reason="PROVIDER_REJECTED"]');
    await rejected.waitFor();
    expect(await rejected.innerText()).toContain('peach-main');
    await screenshot('dead-letters');
    await rejected.locator('tbody input[type="checkbox"]').check();
    await page.locator('button', { hasText: 'Delete chosen' }).click();
    expect(await confirmAction()).toContain('Deleted 1 dead letter.');
    // peach-bad's unauthorized closes stay; peach-main's last one is gone.
    await rejected.waitFor({ state: 'detached' });
    expect(await page.locator('.group[data-reason="PROVIDER_UNAUTHORIZED"]').innerText()).toContain('peach-bad');
    expect((await api.producer.deadLetters({ account: 'peach-main' })).total).toBe(0);
  }, 30_000);

  it("shows a batch's progress bar moving to done", async () => {
    // Held back until the page shows it: what the bar shows first does not depend on how fast the page comes up.
    await api.producer.pauseAccount('peach-main');
    const ids = sim.seed(100).map((conversation) => conversation.id);
    const { batchId } = await closeAll('peach-main', ids);
    await page.goto(`${api.url}/console#/batches`);
    await page.fill('input[name="batch"]', batchId);
    await page.click('form.filters button[type="submit"]');
    const bar = page.locator('section.batch[data-done="false"] progress[value="0"][max="100"]');
    const shown = await bar.elementHandle();
    await api.producer.resumeAccount('peach-main');
    // 20 closes a second: some way along, not yet done, is what the screenshot shows.
    await page.waitForFunction((element) => Number(element?.getAttribute('value')) >= 20, shown, { timeout: 20_000 });
    await screenshot('batch');
    await page.locator('section.batch[data-done="true"] progress[value="100"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-count="completed"] dd').innerText()).toBe('100');
    expect(await page.locator('.progress-text').innerText()).toMatch(/^Done .*: 100 of 100 ended\.$/);
    // The list of every account's batches shows it first (the newest), done, and so does its account's page.
    await page.goto(`${api.url}/console#/batches`);
    await page.locator(`.batch-list tbody tr:first-child[data-batch="${batchId}"][data-done="true"] progress[value="100"]`).waitFor({ timeout: 10_000 });
    await screenshot('batches');
    await page.goto(`${api.url}/console#/accounts/peach-main`);
    await page.locator(`.batch-list tr[data-batch="${batchId}"][data-done="true"]`).waitFor({ timeout: 10_000 });
  }, 60_000);

  it("refuses cross-origin POSTs that carry the browser's session cookie or its basic-auth credentials, and nothing changes", async () => {
    const target = `${api.url}/console/api/accounts/shop-0001/pause`;
    const boardTarget = `${api.url}/dashboard/api/queues/account-shop-0001/add`;
    // A page on another port of the same host: another origin, the same site, so the Strict cookie goes along. It
    // posts with fetch (no-cors: the page cannot read the answer, the browser still sends the request) and with
    // plain forms, the classic cross-site request: to the console, and to bull-board, which takes basic auth.
    const evil: Server = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html>
<form method="post" action="${target}"></form>
<form method="post" action="${boardTarget}" enctype="text/plain"><input name='{"name":"close","data":{},"x' value='":1}'></form>
<script>fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include' });</script>`),
    );
    evil.listen(0, '127.0.0.1');
    await once(evil, 'listening');
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    const attacker = await context.newPage();
    try {
      const fetched = attacker.waitForResponse((response) => response.url() === target && response.request().resourceType() === 'fetch');
      await attacker.goto(evilUrl);
      const fetchAnswer = await fetched;
      const posted = attacker.waitForResponse((response) => response.url() === target && response.request().resourceType() === 'document');
      await attacker.evaluate('document.forms[0].submit()');
      const formAnswer = await posted;
      await attacker.waitForURL(target);
      // 403 csrf_refused, not 401 console_login_required: the session cookie did ride along, and was not enough.
      // (The fetch's answer is opaque to the page, and to the test but for its status.)
      expect([fetchAnswer.status(), formAnswer.status()]).toEqual([403, 403]);
      expect(JSON.parse(await attacker.locator('body').innerText()).error).toBe('csrf_refused');
      for (const answer of [fetchAnswer, formAnswer]) expect((await answer.request().allHeaders()).cookie).toContain('closer_console=');

      // bull-board asks for basic auth; the browser answers with the credentials it holds, and is refused all the same.
      await attacker.goto(evilUrl);
      const boardPosted = attacker.waitForResponse((response) => response.url() === boardTarget);
      await attacker.evaluate('document.forms[1].submit()');
      // 403, not 401: the dashboard checks credentials first, so these passed (the browser answered its prompt) and the
      // request was refused for its origin.
      expect((await boardPosted).status()).toBe(403);
      await attacker.waitForURL(boardTarget);
      expect(JSON.parse(await attacker.locator('body').innerText()).error).toBe('csrf_refused');
    } finally {
      await attacker.close();
      evil.close();
    }
    const account = await api.producer.account('shop-0001');
    expect([account.paused, account.counts.waiting]).toEqual([false, 0]);
  }, 30_000);

  it('ran every page without a script error or a refused resource', () => {
    // The one refusal asked for: the wrong token at the login.
    const wrongLogin = /status of 401 .*\/console\/login\)$/;
    expect(pageErrors.filter((error) => !wrongLogin.test(error))).toEqual([]);
    expect(pageErrors.filter((error) => wrongLogin.test(error))).toHaveLength(1);
  });
});
