import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger, scrubSecrets } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { ChatwootSimulator, PeachSimulator } from '../../src/simulators/index.js';
import { chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

/** Credentials that must never show up in a log line. */
const SECRETS = { api: 'api-token-7f3a9c2e11', peach: 'peach-secret-key-5d8b1e', chatwoot: 'chatwoot-secret-token-91ac4f', basic: 'dash-pass-4421' };
const HOUR = 3_600_000;

let server: TestRedis;
let peach: PeachSimulator;
let chatwoot: ChatwootSimulator;
let config: Config;
let api: ApiRuntime;
let workers: WorkerRuntime;
let logs = '';

const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logs += chunk.toString();
    done();
  },
});

beforeAll(async () => {
  server = await startRedis();
  peach = await PeachSimulator.start({ credentials: SECRETS.peach });
  chatwoot = await ChatwootSimulator.start({ credentials: SECRETS.chatwoot, accountId: 2 });
  config = {
    ...testConfig(server.url, [
      peachAccount(peach.url, SECRETS.peach),
      { ...chatwootAccount(chatwoot.url, { apiAccessToken: SECRETS.chatwoot, accountId: 2 }), autoClose: { idleAfterMs: 24 * HOUR, everyMs: HOUR, maxPerRun: 10, dryRun: false, skipWaiting: false } },
      peachAccount(peach.url, 'wrong-but-secret-key-0042', 'peach-bad'),
    ]),
    apiToken: SECRETS.api,
    logLevel: 'debug',
    dashboardBasicAuth: { user: 'ops', password: SECRETS.basic },
  };
  const logger = createLogger({ level: 'debug', destination: capture });
  const metrics = createMetrics();
  workers = await startWorkers(config, logger, { metrics });
  api = await startApi(config, logger, { metrics, readiness: workers.readiness, host: '127.0.0.1' });
  await waitUntil(async () => (await api.producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await api.close();
  await workers.close();
  await Promise.all([peach.close(), chatwoot.close()]);
  await server.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
const bearer = { authorization: `Bearer ${SECRETS.api}` };

describe('dashboard', () => {
  it('answers 401 with a basic-auth prompt, never an open dashboard', async () => {
    for (const headers of [{}, basic('ops', 'wrong'), { authorization: 'Bearer nope' }, basic('someone', 'nope')]) {
      for (const path of ['/dashboard', '/dashboard/api/queues']) {
        const response = await get(path, headers);
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toContain('Basic');
      }
    }
  });

  it('serves the board with the API token or the configured basic auth', async () => {
    for (const headers of [bearer, basic('anyone', SECRETS.api), basic('ops', SECRETS.basic)]) {
      const page = await get('/dashboard', headers);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<!DOCTYPE html>');
    }
  });

  it('lists every account queue read-only, and no dead-letter queue (the console shows dead letters)', async () => {
    const body = (await (await get('/dashboard/api/queues', bearer)).json()) as { queues: { name: string; readOnlyMode?: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['account-chatwoot', 'account-peach', 'account-peach-bad']);
    // No clean, empty, retry, promote or delete buttons on live queues.
    expect(body.queues.map((q) => q.readOnlyMode)).toEqual([true, true, true]);
    const cleaned = await fetch(`${api.url}/dashboard/api/queues/account-peach/clean/completed`, { method: 'PUT', headers: bearer });
    expect(cleaned.status).toBeGreaterThanOrEqual(400);
  });

  it('refuses a state-changing request from a page of another origin, whatever credentials it carries', async () => {
    const url = `${api.url}/dashboard/api/queues/account-peach/add`;
    const body = JSON.stringify({ name: 'close', data: {} });
    for (const headers of <Record<string, string>[]>[{ origin: 'http://127.0.0.1:1' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }]) {
      const response = await fetch(url, { method: 'POST', headers: { ...basic('ops', SECRETS.basic), 'content-type': 'application/json', ...headers }, body });
      expect([headers, response.status, ((await response.json()) as { error: string }).error]).toEqual([headers, 403, 'csrf_refused']);
    }
    expect((await api.producer.account('peach')).counts.waiting).toBe(0);
    // Reading stays open to a link from elsewhere: a GET changes nothing.
    expect((await get('/dashboard', { ...basic('ops', SECRETS.basic), 'sec-fetch-site': 'cross-site' })).status).toBe(200);
  });
});

describe('metrics after a batch', () => {
  const metricsText = async () => (await get('/metrics')).text();
  const value = (text: string, series: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ').pop()) : NaN;
  };

  it('count closes, outcomes, retries, 429s, dead letters, latency and queue states', async () => {
    const ids = peach.seed(6).map((c) => c.id);
    const [flaky, limited, gone, already] = ids;
    peach.faults.failFor(flaky!, 503, 1);
    peach.faults.failFor(limited!, 429, 1, { retryAfterMs: 1_000 });
    peach.faults.failFor(gone!, 404);
    peach.addConversation({ contact: { name: 'x', phoneNumber: '+15550009999' } });
    const closedAlready = peach.addConversation({ contact: { name: 'y', phoneNumber: '+15550008888' }, status: 'closed' }).id;
    const { batchId } = await api.producer.close({ account: 'peach', conversations: [...ids, closedAlready].map((conversationId) => ({ conversationId })) });
    await waitUntil(async () => (await api.producer.batch(batchId)).done, { what: 'batch' });
    void already;

    const text = await metricsText();
    expect(value(text, 'closer_closes_total{account="peach",outcome="closed"}')).toBe(5);
    expect(value(text, 'closer_closes_total{account="peach",outcome="already_closed"}')).toBe(1);
    expect(value(text, 'closer_retries_total{account="peach",job="close"}')).toBe(1);
    expect(value(text, 'closer_provider_rate_limited_total{account="peach"}')).toBe(1);
    expect(value(text, 'closer_dead_letters_added_total{account="peach",reason="PROVIDER_NOT_FOUND"}')).toBe(1);
    expect(value(text, 'closer_provider_requests_total{account="peach",operation="close",status="200"}')).toBe(5);
    expect(value(text, 'closer_provider_requests_total{account="peach",operation="close",status="503"}')).toBe(1);
    expect(value(text, 'closer_provider_requests_total{account="peach",operation="close",status="429"}')).toBe(1);
    expect(value(text, 'closer_provider_requests_total{account="peach",operation="close",status="404"}')).toBe(1);
    expect(value(text, 'closer_provider_requests_total{account="peach",operation="close",status="422"}')).toBe(1);
    expect(value(text, 'closer_provider_request_duration_seconds_count{account="peach",operation="close"}')).toBe(9);
    expect(value(text, 'closer_rate_limit_wait_seconds_count{account="peach"}')).toBe(9);
    expect(value(text, 'closer_enqueue_to_close_seconds_count{account="peach"}')).toBe(6);
    expect(value(text, 'closer_jobs{account="peach",state="dead_lettered"}')).toBe(1);
    expect(value(text, 'closer_jobs{account="peach",state="completed"}')).toBe(6);
    expect(value(text, 'closer_dead_letter_oldest_age_seconds{account="peach"}')).toBeGreaterThan(0);
    expect(text).not.toMatch(/closer_account_paused\{account="peach",/);
    expect(text).toContain('closer_process_resident_memory_bytes');

    peach.faults.clear();
    await api.producer.redrive({ account: 'peach' });
    await waitUntil(async () => (await api.producer.batch(batchId)).deadLettered === 0, { what: 'redrive' });
    expect(value(await metricsText(), 'closer_dead_letters_removed_total{account="peach",how="redriven"}')).toBe(1);
  });

  it('count sweeps and their results, and paused accounts', async () => {
    chatwoot.addConversation({ contact: { name: 'idle' }, lastActivityAt: Date.now() - 48 * HOUR });
    chatwoot.addConversation({ contact: { name: 'busy' }, lastActivityAt: Date.now() });
    const { jobId } = await api.producer.sweepNow('chatwoot');
    await waitUntil(async () => (await api.producer.job(jobId)).state === 'completed', { what: 'sweep' });
    await api.producer.pauseAccount('peach-bad');
    const text = await metricsText();
    expect(value(text, 'closer_sweeps_total{account="chatwoot",dry_run="false"}')).toBe(1);
    expect(value(text, 'closer_sweep_conversations_total{account="chatwoot",result="scanned"}')).toBe(2);
    expect(value(text, 'closer_sweep_conversations_total{account="chatwoot",result="idle"}')).toBe(1);
    expect(value(text, 'closer_sweep_conversations_total{account="chatwoot",result="enqueued"}')).toBe(1);
    expect(value(text, 'closer_account_paused{account="peach-bad",reason="manual"}')).toBe(1);
    await api.producer.resumeAccount('peach-bad');
  });
});

describe('logs', () => {
  it('carry a child logger per job (job id, account, batch) and never a credential', async () => {
    const bad = await api.producer.close({ account: 'peach-bad', conversations: [{ conversationId: 1 }] });
    await waitUntil(async () => (await api.producer.batch(bad.batchId)).done, { what: 'unauthorized batch' });
    await get('/dashboard', basic('ops', SECRETS.basic));
    const jobLine = logs.split('\n').find((line) => line.includes('"batchId":"' + bad.batchId + '"'));
    expect(JSON.parse(jobLine!)).toMatchObject({ account: 'peach-bad', jobId: expect.any(String), batchId: bad.batchId });
    expect(logs.length).toBeGreaterThan(1_000);
    for (const secret of Object.values(SECRETS)) expect(logs).not.toContain(secret);
    expect(logs).not.toContain('wrong-but-secret-key-0042');
  });

  it('scrubs credentials out of messages and error texts', () => {
    let line = '';
    const logger = createLogger({ level: 'info', destination: { write: (text: string) => void (line += text) } });
    logger.info({ headers: { authorization: 'Bearer abc', api_access_token: 'tok' } }, 'GET https://x.test/api?api_access_token=SECRET1&page=2');
    logger.error({ err: new Error('failed: Authorization: Bearer SECRET2 at https://user:SECRET3@x.test') }, 'boom');
    expect(line).not.toMatch(/SECRET1|SECRET2|SECRET3|"tok"|Bearer abc/);
    expect(scrubSecrets('a?token=xyz&b=1')).toBe('a?token=[redacted]&b=1');
  });
});

describe('readiness', () => {
  it('is ready with Redis up and workers fetching', async () => {
    const response = await get('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ready: true });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('is not ready while the worker process\'s connection is down, and ready again after', async () => {
    const admin = new Redis(server.url);
    const [, maxclients] = (await admin.config('GET', 'maxclients')) as [string, string];
    // Redis takes no new connections, then the worker side loses its own: the process looks alive but can take no job.
    await admin.config('SET', 'maxclients', '1');
    try {
      const list = (await admin.client('LIST')) as string;
      const workerConnections = list.split('\n').filter((line) => / name=closer-worker /.test(line)).map((line) => /\bid=(\d+)/.exec(line)![1]!);
      expect(workerConnections.length).toBeGreaterThan(0);
      for (const id of workerConnections) await admin.client('KILL', 'ID', id);
      const notReady = await waitUntil(async () => {
        const response = await get('/readyz');
        return response.status === 503 ? ((await response.json()) as { reason: string }) : undefined;
      }, { timeoutMs: 20_000, what: 'not ready' });
      expect(notReady.reason).toMatch(/redis connection is (reconnecting|connecting|close)/);
    } finally {
      await admin.config('SET', 'maxclients', maxclients);
      await admin.quit();
    }
    await waitUntil(async () => (await get('/readyz')).status === 200, { timeoutMs: 30_000, what: 'ready again' });
  }, 60_000);
});
