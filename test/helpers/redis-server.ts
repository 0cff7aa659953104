import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server; with `keepData` its directory stays for a restart. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** SIGKILL: no shutdown of its own (with AOF `always`, what it acknowledged is on disk). Its directory stays for a restart. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory (AOF replayed when enabled). */
  restart(): Promise<void>;
}

/** A port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Starts `redis-server` with these arguments; resolves once it accepts connections (rejects if it exits first). */
export async function spawnRedisServer(args: readonly string[]): Promise<ChildProcess> {
  const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume();
        resolve();
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`)));
  });
  return proc;
}

/**
 * A throwaway redis-server on a free port, so no test depends on (or
 * disturbs) the machine's Redis. `appendOnly` turns AOF on for restart tests.
 */
export async function startRedis(
  options: { appendOnly?: boolean; appendFsync?: 'always' | 'everysec'; maxmemoryPolicy?: string; maxmemory?: string; replicaOf?: number } = {},
): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'closer-redis-'));
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no'];
    args.push('--appendonly', options.appendOnly ? 'yes' : 'no', '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction');
    if (options.maxmemory) args.push('--maxmemory', options.maxmemory);
    if (options.appendFsync) args.push('--appendfsync', options.appendFsync);
    if (options.replicaOf) args.push('--replicaof', '127.0.0.1', String(options.replicaOf));
    child = await spawnRedisServer(args);
  };

  const stop = async ({ keepData = false } = {}) => {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null) {
      proc.kill('SIGTERM');
      await once(proc, 'exit');
    }
    if (!keepData) await rm(dir, { recursive: true, force: true });
  };

  const kill = async () => {
    const proc = child;
    child = undefined;
    if (proc && proc.exitCode === null) {
      proc.kill('SIGKILL');
      await once(proc, 'exit');
    }
  };

  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, stop, kill, restart: launch };
}
