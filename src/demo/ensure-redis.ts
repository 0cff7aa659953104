import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { pingRedis } from '../redis/check-redis-reachable.js';

export interface LocalRedis {
  /** True when this process started it (and will stop it). */
  started: boolean;
  /** Why none was started when one was needed, for the error that follows. */
  note?: string;
  stop(): Promise<void>;
}

/**
 * For the demo on a fresh machine: when nothing answers at `url` (a local
 * one) and `redis-server` is installed, start one there, in memory only, with
 * the settings closer requires (noeviction). Otherwise use what is there.
 */
export async function ensureLocalRedis(url: string): Promise<LocalRedis> {
  const nothing = { started: false, stop: async () => undefined };
  if ((await pingRedis(url, 1_000)) === undefined) return nothing;
  const { hostname, port } = new URL(url);
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(hostname)) return nothing;
  let child: ChildProcess;
  try {
    child = spawn('redis-server', ['--port', port || '6379', '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await Promise.race([
      new Promise<void>((resolve) => {
        let output = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Ready to accept connections')) resolve();
        });
      }),
      once(child, 'error').then(([error]) => Promise.reject(error as Error)),
      once(child, 'exit').then(() => Promise.reject(new Error('redis-server exited'))),
    ]);
  } catch (error) {
    // Not installed, or it could not start: the caller reports Redis as unreachable, with this.
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { ...nothing, note: missing ? 'redis-server is not installed here, so closer could not start one for this run.' : `closer tried to start redis-server for this run: ${(error as Error).message}.` };
  }
  return {
    started: true,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    },
  };
}
