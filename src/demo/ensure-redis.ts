import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';

export interface LocalRedis {
  /** True when this process started it (and will stop it). */
  started: boolean;
  stop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * For the demo on a fresh machine: when nothing answers at `url` (a local
 * one) and `redis-server` is installed, start one there, in memory only, with
 * the settings closer requires (noeviction). Otherwise use what is there.
 */
export async function ensureLocalRedis(url: string): Promise<LocalRedis> {
  const nothing = { started: false, stop: async () => undefined };
  if (await reachable(url)) return nothing;
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
  } catch {
    return nothing; // not installed or cannot start: the caller reports Redis as unreachable
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
