import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { startWorkers } from '../../src/runtime/start-workers.js';
import { PeachSimulator } from '../../src/simulators/index.js';
import { peachAccount } from '../helpers/accounts.js';
import { runCli } from '../helpers/cli.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig } from '../helpers/test-config.js';
import { envFor } from '../helpers/worker-process.js';


let server: TestRedis;
let config: Config;
let env: NodeJS.ProcessEnv;

/** The built CLI against this file's Redis and accounts. */
const closer = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { ...env, ...extraEnv });

beforeAll(async () => {
  server = await startRedis();
  config = testConfig(server.url, [peachAccount('http://127.0.0.1:9', 'k')]);
  env = envFor(config);
});

afterAll(async () => {
  await server.stop();
});

describe('closer CLI (built, against real Redis)', () => {
  it('enqueues closes and reports the batch', async () => {
    const closed = await closer(['close', '-a', 'peach', '-b', 'cli-batch', '{"conversationId": 1}', '{"conversationId": 2}', '--json']);
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout)).toEqual({ batchId: 'cli-batch', total: 2, accepted: 2, duplicates: 0 });
    const batch = await closer(['batch', 'cli-batch', '--json']);
    expect(JSON.parse(batch.stdout)).toMatchObject({ batchId: 'cli-batch', account: 'peach', total: 2, pending: 2, done: false });
    const table = await closer(['batch', 'cli-batch']);
    expect(table.stdout).toMatch(/BATCHID\s+ACCOUNT\s+TOTAL/);
  });

  it('refuses invalid refs through the same validation as the API, enqueuing nothing', async () => {
    const result = await closer(['close', '-a', 'peach', '-b', 'cli-bad', '{"conversationId": 3}', '{"conversationId": "x"}']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('conversations[1].conversationId: must be a number');
    expect((await closer(['batch', 'cli-bad'])).stderr).toContain('not_found');
  });

  it('names an unknown account and an unreadable ref', async () => {
    expect((await closer(['close', '-a', 'nope', '{"conversationId": 1}'])).stderr).toContain('unknown_account');
    const notJson = await closer(['close', '-a', 'peach', '{conversationId: 1}']);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('is not valid JSON');
  });

  it('lists accounts and dead letters, pauses and resumes', async () => {
    expect(JSON.parse((await closer(['accounts', '--json'])).stdout)).toEqual([expect.objectContaining({ id: 'peach', paused: false })]);
    expect((await closer(['accounts', 'pause', 'peach'])).stdout).toContain('paused peach');
    expect(JSON.parse((await closer(['accounts', '--json'])).stdout)[0]).toMatchObject({ paused: true, pausedReason: 'manual' });
    expect((await closer(['accounts', 'resume', 'peach'])).stdout).toContain('resumed peach');
    expect(JSON.parse((await closer(['dlq', 'list', '--json'])).stdout)).toEqual({ total: 0, items: [] });
    expect((await closer(['dlq', 'redrive'])).stdout).toContain('redriven: 0');
    const missing = await closer(['dlq', 'delete', 'peach.nothing']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not_found');
  });

  it('lists idle conversations, and closes them from the list output', async () => {
    const sim = await PeachSimulator.start({ credentials: 'cli-key', pageSize: 3 });
    const listConfig = testConfig(server.url, [peachAccount(sim.url, 'cli-key', 'shop')]);
    const workers = await startWorkers(listConfig, createLogger({ level: 'silent' }));
    const listEnv = envFor(listConfig);
    try {
      const old = Date.now() - 48 * 3_600_000;
      const idle = [0, 1, 2, 3].map((i) => sim.addConversation({ contact: { name: `Idle ${i}`, phoneNumber: `+1555777000${i}` }, lastActivityAt: old }).id);
      sim.addConversation({ contact: { name: 'Busy', phoneNumber: '+15557770099' } });
      const listed = await closer(['list', '-a', 'shop', '--idle-for', '24h', '--json'], listEnv);
      expect(listed.code).toBe(0);
      const result = JSON.parse(listed.stdout) as { conversations: { id: string }[]; truncated: boolean };
      expect(result.conversations.map((c) => Number(c.id)).sort((a, b) => a - b)).toEqual(idle);
      const file = join(tmpdir(), `closer-list-${Date.now()}.json`);
      writeFileSync(file, listed.stdout);
      const closed = await closer(['close', '-a', 'shop', '-f', file, '-b', 'from-list', '--wait'], listEnv);
      // Not a terminal: progress lines, then the summary.
      expect(closed.stdout).toMatch(/\[#{30}\] 4\/4 {2}completed 4 {2}dead-lettered 0 {2}pending 0/);
      expect(closed.stdout).toMatch(/batch from-list done in [\d.]+ s, [\d.]+\/s: 4 completed, 0 dead-lettered/);
      expect(closed.code).toBe(0);
      // A batch that ends with dead letters says so in its exit code.
      const dead = await closer(['close', '-a', 'shop', '-b', 'to-dead-letters', '--wait', '{"conversationId": 999999}'], listEnv);
      expect(dead.stdout).toMatch(/done in [\d.]+ s, [\d.]+\/s: 0 completed, 1 dead-lettered/);
      expect(dead.stderr).toContain('1 of 1 close(s) were dead-lettered; see why with: closer dlq list -a shop');
      expect(dead.code).toBe(3);
      expect((await closer(['batch', 'to-dead-letters', '--watch', '--json'], listEnv)).code).toBe(3);
      expect(idle.every((id) => sim.statusOf(id) === 'closed')).toBe(true);
      const watched = await closer(['batch', 'from-list', '--watch', '--json'], listEnv);
      expect(JSON.parse(watched.stdout)).toMatchObject({ batchId: 'from-list', total: 4, completed: 4, done: true });
      expect((await closer(['list', '-a', 'shop', '--status', 'all'], listEnv)).stdout).toMatch(/^ID\s+STATUS\s+LASTACTIVITYAT/);
      expect((await closer(['list', '-a', 'shop', '--status', 'sleeping'], listEnv)).stderr).toContain('filter.status');
    } finally {
      await workers.close();
      await sim.close();
    }
  });

  it('says plainly that Redis is not there, with exit code 2 and no stack trace', async () => {
    const result = await closer(['accounts'], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^closer cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connection refused/);
    expect(result.stderr).toContain('docker compose up -d redis');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('stops with exit code 2 and every problem when the configuration is bad', async () => {
    const result = await closer(['accounts'], { PEACH_RATE_LIMIT: 'lots', CALLBELL_BASE_URL: 'https://x.test/v1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid configuration (2 problems)');
    expect(result.stderr).toContain('PEACH_RATE_LIMIT');
    expect(result.stderr).toContain('CALLBELL_API_TOKEN');
  });
});
