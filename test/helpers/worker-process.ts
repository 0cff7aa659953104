import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { formatDuration } from '../../src/config/duration.js';
import type { Config } from '../../src/config/types.js';

/** The built entry points, as production runs them (npm test builds before jest). */
const ENTRY = { worker: 'worker.js', scheduler: 'scheduler.js', api: 'api.js' } as const;
const READY = { worker: 'workers started', scheduler: 'scheduler started', api: 'API listening' } as const;

/** Environment that makes a child process load exactly this Config (accounts through a file, as a deployment would). */
export function envFor(config: Config): NodeJS.ProcessEnv {
  const file = join(tmpdir(), `closer-accounts-${randomUUID()}.json`);
  const accounts = config.accounts.map(({ rateLimit, autoClose, ...account }) => ({
    ...account,
    rateLimit: rateLimit.text,
    ...(autoClose
      ? {
          autoClose: {
            idleAfter: formatDuration(autoClose.idleAfterMs),
            every: formatDuration(autoClose.everyMs),
            maxPerRun: autoClose.maxPerRun,
            dryRun: autoClose.dryRun,
            skipWaiting: autoClose.skipWaiting,
          },
        }
      : {}),
  }));
  writeFileSync(file, JSON.stringify({ accounts }));
  const ms = (value: number) => `${value}ms`;
  return {
    PATH: process.env.PATH,
    REDIS_URL: config.redisUrl,
    ...(config.redisCluster ? { REDIS_CLUSTER_NODES: config.redisCluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',') } : {}),
    CLOSER_ENQUEUE_REPLICAS: String(config.enqueueReplicas),
    CLOSER_ACCOUNTS_FILE: file,
    CLOSER_QUEUE_PREFIX: config.queuePrefix,
    CLOSER_MAX_ATTEMPTS: String(config.jobs.attempts),
    CLOSER_BACKOFF_DELAY: ms(config.jobs.backoffDelayMs),
    CLOSER_BACKOFF_MAX: ms(config.jobs.backoffMaxMs),
    CLOSER_HTTP_TIMEOUT: ms(config.jobs.httpTimeoutMs),
    CLOSER_WORKER_CONCURRENCY: String(config.jobs.concurrency),
    CLOSER_ACCOUNT_CONCURRENCY: String(config.jobs.accountConcurrency),
    CLOSER_UNAUTHORIZED_PAUSE_AFTER: String(config.jobs.unauthorizedPauseAfter),
    CLOSER_LOCK_DURATION: ms(config.jobs.lockDurationMs),
    CLOSER_RECONCILE_EVERY: ms(config.jobs.reconcileEveryMs),
    // Several processes run on this host: each takes a free health port.
    CLOSER_HEALTH_PORT: '0',
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the process logged that its workers started. */
  started: Promise<void>;
  output(): string;
  exited(): Promise<number | null>;
}

/** A worker process (see spawnProcess). */
export const spawnWorker = (env: NodeJS.ProcessEnv): WorkerProcess => spawnProcess('worker', env);

/** A closer process from workers/; logs at info so the test can see it start (and read why, when it fails). */
export function spawnProcess(kind: keyof typeof ENTRY, env: NodeJS.ProcessEnv): WorkerProcess {
  const entry = new URL(`../../dist/workers/${ENTRY[kind]}`, import.meta.url).pathname;
  const child = spawn(process.execPath, [entry], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const started = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY[kind])) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`${kind} exited with ${code} before starting:\n${output}`)));
  });
  started.catch(() => undefined);
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return { child, started, output: () => output, exited: () => exit };
}
