import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import type { Config } from '../src/config/types.js';
import { favourProvider } from '../test/helpers/simulator-process.js';
import { envFor } from '../test/helpers/worker-process.js';

const here = (file: string) => new URL(file, import.meta.url).pathname;

export interface Child {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** SIGTERM, and SIGKILL after 10 s: a process stuck under load may ignore SIGTERM for long, and a bench moves on. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export interface SimulatorChild extends Child {
  url: string;
  /** Runs at a higher priority than the workers (see favourProvider). */
  favoured: boolean;
  first: number;
  stats(windowMs?: number): Promise<{ count: number; status429: number; maxInWindow: number; firstAt: number; lastAt: number; longestStallMs: number }>;
  reset(): Promise<void>;
}

export async function startSimulator(seed: number, credentials = 'bench-key'): Promise<SimulatorChild> {
  const child = fork(here('./simulator-process.js'), [], { env: { ...process.env, SIMULATOR_OPTIONS: JSON.stringify({ credentials, seed }) }, execArgv: ['--max-old-space-size=4096'] });
  const favoured = favourProvider(child);
  const [ready] = (await once(child, 'message')) as [{ url: string; first: number }];
  const ask = async <T>(type: string, extra: object = {}): Promise<T> => {
    const reply = once(child, 'message');
    child.send({ type, ...extra });
    return ((await reply) as [T])[0];
  };
  return { child, favoured, url: ready.url, first: ready.first, stats: (windowMs = 1_000) => ask('stats', { windowMs }), reset: () => ask('reset'), stop: () => stopChild(child) };
}

/** BENCH_PROF=<dir> writes a CPU profile of every worker process there (closer-*.cpuprofile, bare-*.cpuprofile). */
const profile = (name: string) => (process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : []);

export async function startBareWorker(env: Record<string, string>): Promise<Child> {
  const child = fork(here('./bare-worker.js'), [], { env: { ...process.env, ...env }, execArgv: profile('bare') });
  await once(child, 'message');
  return { child, stop: () => stopChild(child) };
}

/** A closer worker process (dist/workers/worker.js) for this Config, as production starts it (envFor: REDIS_URL or REDIS_CLUSTER_NODES, accounts through a file). */
export async function startCloserWorker(config: Config): Promise<Child> {
  const env = envFor(config);
  const child = spawn(process.execPath, [...profile('closer'), here('../workers/worker.js')], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('workers started')) {
          child.stdout!.removeAllListeners('data');
          child.stdout!.resume();
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`closer worker exited with ${code}`)));
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    rmSync(env.CLOSER_ACCOUNTS_FILE!, { force: true });
  }
  return { child, stop: () => stopChild(child) };
}

/** Resident memory of a process, from /proc (Linux). */
export function rssBytes(pid: number, read: (path: string) => string): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; clock ticks of 10 ms). */
export function cpuMs(pid: number, read: (path: string) => string): number {
  // Fields after the command name (which may hold spaces) start at state; utime and stime are the 12th and 13th of them.
  const fields = read(`/proc/${pid}/stat`).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Write system calls (write, writev, sendmsg ...) a process has made so far, from /proc (Linux): each is a trip into the kernel. */
export function writeCalls(pid: number, read: (path: string) => string): number {
  const match = /^syscw: (\d+)$/m.exec(read(`/proc/${pid}/io`));
  return match ? Number(match[1]) : NaN;
}

export interface RequestCost {
  /** CPU (user + system, all threads) per request, µs. */
  cpuUs: number;
  /** Time in garbage collection per request, µs. */
  gcUs: number;
  /** Full (mark-compact) collections during the measured requests. */
  majorGcs: number;
}

/** Runs bench/request-cost.js in a process of its own and answers what it measured. */
export function measureRequestCost(env: Record<string, string>): Promise<RequestCost> {
  const child = fork(here('./request-cost.js'), [], { env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    let result: RequestCost | undefined;
    child.once('message', (message: RequestCost) => (result = message));
    child.once('exit', (code) => (result ? resolve(result) : reject(new Error(`request-cost exited with ${code}`))));
  });
}
