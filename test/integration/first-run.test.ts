import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../helpers/redis-server.js';

const CLI = new URL('../../dist/src/cli/main.js', import.meta.url).pathname;

/** `npm start` as a newcomer runs it (npm start is `node dist/src/cli/main.js start`); gives up after `withinMs`. */
async function start(env: NodeJS.ProcessEnv, withinMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: { ...env, PORT: '0', CLOSER_HEALTH_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), withinMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A PATH with node and nothing else: no redis-server to start. */
function pathWithNodeOnly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'closer-path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  return dir;
}

describe('a first run', () => {
  it('without any Redis: one plain message saying what was tried and how to get Redis, exit code 2, no stack trace', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await start({ PATH: pathWithNodeOnly(), REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(code).toBe(2);
    expect(stderr).toBe(
      [
        `closer cannot reach Redis at redis://127.0.0.1:${port}: connection refused (nothing listens there).`,
        'redis-server is not installed here, so closer could not start one for this run.',
        'Start Redis there, or point REDIS_URL at one:',
        '  - Debian or Ubuntu: sudo apt-get install redis-server (it starts on 127.0.0.1:6379); macOS: brew install redis && brew services start redis',
        "  - Docker: docker compose up -d redis (docker-compose.yml in closer's repository)",
        '  - elsewhere: REDIS_URL=redis://<host>:6379 (rediss:// for TLS, redis://:<password>@<host>:6379 with a password)',
        '',
      ].join('\n'),
    );
    expect(stdout).toBe('');
  });

  it('never shows a Redis password', async () => {
    const port = await freePort();
    const { code, stderr } = await start({ PATH: pathWithNodeOnly(), REDIS_URL: `redis://:s3cret-pass@127.0.0.1:${port}` });
    expect(code).toBe(2);
    expect(stderr).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(stderr).not.toContain('s3cret-pass');
  });

  it('checks the configuration before starting anything: a missing API token stops it before any worker runs', async () => {
    const redis = await startRedis();
    try {
      const { code, stdout, stderr } = await start({ PATH: process.env.PATH, REDIS_URL: redis.url, PEACH_API_KEY: 'k', PEACH_BASE_URL: 'http://127.0.0.1:9', LOG_LEVEL: 'info' });
      expect(code).toBe(2);
      expect(stderr).toContain('CLOSER_API_TOKEN: is required to serve the HTTP API');
      expect(stdout).not.toContain('workers started');
    } finally {
      await redis.stop();
    }
  });
});
