import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startApi, type ApiRuntime } from '../../src/runtime/start-api.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { apiCall } from '../helpers/api-call.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnProcess, spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';

/**
 * Managed accounts' credentials at rest (issue 20): sealed with
 * CLOSER_SECRET_KEY, never in Redis in clear; a process without the key, or
 * with another one, refuses to start and says which; a rotation keeps every
 * account working. Also the CLI's `accounts add|show|update|remove`.
 */
const OLD_KEY = randomBytes(32).toString('base64');
const NEW_KEY = randomBytes(32).toString('base64');
const CREDENTIAL = 'peach-credential-7f3a9c';
let server: TestRedis;
let sim: PeachSimulator;
let config: Config;
let redis: Redis;
let api: ApiRuntime;
const processes: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  sim = await PeachSimulator.start({ credentials: CREDENTIAL });
  config = { ...testConfig(server.url, []), secretKey: OLD_KEY };
  redis = new Redis(server.url);
  // It stays up for the closes below: its producer knows the managed accounts (without their credentials).
  api = await startApi(config, createLogger({ level: 'silent' }), { host: '127.0.0.1' });
  for (const id of ['one', 'two', 'three']) {
    expect((await apiCall(api.url, config.apiToken!, 'POST', '/v1/accounts', { id, provider: 'peach', baseUrl: sim.url, apiKey: CREDENTIAL })).status).toBe(201);
  }
  // An API key's own callback secret is sealed with the same key, and rotates with the accounts.
  expect((await apiCall(api.url, config.apiToken!, 'POST', '/v1/api-keys', { name: 'app', accounts: '*', scopes: ['read'] })).body.callbackSecret).toMatch(/^whsec_/);
});

afterAll(async () => {
  for (const process of processes) if (process.child.exitCode === null) process.child.kill('SIGKILL');
  await Promise.all(processes.map((process) => process.exited()));
  await api.close();
  redis.disconnect();
  await sim.close();
  await server.stop();
});

const start = (key: string | undefined, extra: NodeJS.ProcessEnv = {}, kind: 'worker' | 'api' | 'scheduler' = 'worker') => {
  const env = { ...envFor(config), ...(key ? { CLOSER_SECRET_KEY: key } : {}), CLOSER_API_TOKEN: 't', PORT: '0', ...extra };
  const started = kind === 'worker' ? spawnWorker(env) : spawnProcess(kind, env);
  processes.push(started);
  return started;
};

/** Every value of every key in Redis, as text. */
async function everything(): Promise<string> {
  const parts: string[] = [];
  for (const key of await redis.keys('*')) {
    const type = await redis.type(key);
    parts.push(key);
    if (type === 'string') parts.push((await redis.get(key)) ?? '');
    else if (type === 'hash') parts.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') parts.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'set') parts.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'zset') parts.push(JSON.stringify(await redis.zrange(key, 0, -1)));
    else if (type === 'stream') parts.push(JSON.stringify(await redis.xrange(key, '-', '+')));
  }
  return parts.join('\n');
}

const closeOn = async (account: string) => {
  const [id] = sim.seed(1).map((conversation) => conversation.id);
  const { batchId } = await api.producer.close({ account, conversations: [{ conversationId: id! }] });
  await waitUntil(async () => (await api.producer.batch(batchId)).done, { what: `a close on ${account}` });
  return sim.statusOf(id!);
};

describe('credentials at rest', () => {
  it('never appear in Redis in clear, nor in a worker log, while the accounts work', async () => {
    const worker = start(OLD_KEY);
    await worker.started;
    for (const account of ['one', 'two', 'three']) expect(await closeOn(account)).toBe('closed');
    const stored = await everything();
    expect(stored).toContain('one');
    expect(stored).not.toContain(CREDENTIAL);
    expect(stored).not.toContain(Buffer.from(CREDENTIAL).toString('base64'));
    expect(worker.output()).not.toContain(CREDENTIAL);
    worker.child.kill('SIGTERM');
    await worker.exited();
  });

  it('a process without the key, or with another one, refuses to start and says why', async () => {
    const without = start(undefined);
    expect(await without.exited()).not.toBe(0);
    expect(without.output()).toContain('CLOSER_SECRET_KEY: is not set, and 3 managed account(s) are stored in Redis');

    const wrong = start(NEW_KEY, {}, 'api');
    expect(await wrong.exited()).not.toBe(0);
    expect(wrong.output()).toContain('CLOSER_SECRET_KEY is not the key the managed accounts were encrypted with');
    expect(wrong.output()).not.toContain(NEW_KEY);

    const malformed = start('too-short', {}, 'scheduler');
    expect(await malformed.exited()).not.toBe(0);
    expect(malformed.output()).toContain('CLOSER_SECRET_KEY: must be 32 random bytes in base64');
  });

  it('rotation: `closer keys rotate` re-encrypts every account, which keeps working under the new key alone', async () => {
    const env = { ...envFor(config), CLOSER_SECRET_KEY: NEW_KEY, CLOSER_SECRET_KEY_PREVIOUS: OLD_KEY };
    const rotated = await runCli(['keys', 'rotate'], env);
    expect(rotated).toMatchObject({ code: 0 });
    expect(rotated.stdout).toContain('re-encrypted 3 of 3');
    expect((await runCli(['keys', 'rotate'], env)).stdout).toContain('re-encrypted 0 of 3');

    const worker = start(NEW_KEY);
    await worker.started;
    for (const account of ['one', 'two', 'three']) expect(await closeOn(account)).toBe('closed');
    worker.child.kill('SIGTERM');
    await worker.exited();
    const old = start(OLD_KEY);
    expect(await old.exited()).not.toBe(0);
    expect(old.output()).toContain('is not the key the managed accounts were encrypted with');
  });
});

describe('closer accounts add|show|update|remove', () => {
  it('manages an account from a file whose secret comes from the environment', async () => {
    const env = { ...envFor(config), CLOSER_SECRET_KEY: NEW_KEY, PEACH_SECRET: CREDENTIAL };
    const file = join(tmpdir(), `closer-account-${randomBytes(4).toString('hex')}.yaml`);
    writeFileSync(file, `id: cli-made\nprovider: peach\nbaseUrl: ${sim.url}\napiKey: \${PEACH_SECRET}\nrateLimit: 10/s\n`);
    const added = await runCli(['accounts', 'add', file, '--json'], env);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'cli-made', source: 'api', rateLimit: '10/s', credentials: { apiKey: `****${CREDENTIAL.slice(-4)}` } });
    expect(added.stdout).not.toContain(CREDENTIAL);

    writeFileSync(file, 'rateLimit: 5/s\n');
    expect(JSON.parse((await runCli(['accounts', 'update', 'cli-made', file, '--json'], env)).stdout)).toMatchObject({ rateLimit: '5/s' });
    const shown = await runCli(['accounts', 'show', 'cli-made'], env);
    expect(shown.stdout).toContain('5/s');
    expect(shown.stdout).toContain(`apiKey ****${CREDENTIAL.slice(-4)}`);

    writeFileSync(file, 'rateLimit: sometimes\n');
    const invalid = await runCli(['accounts', 'update', 'cli-made', file], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('rateLimit');

    const removed = await runCli(['accounts', 'remove', 'cli-made', '--purge'], env);
    expect(removed).toMatchObject({ code: 0 });
    expect((await runCli(['accounts', 'show', 'cli-made'], env)).stderr).toContain('unknown_account');
  });
});
