import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setPriority } from 'node:os';
import type { PeachSimulatorOptions } from '../../src/simulators/index.js';

const SCRIPT = new URL('./simulator-child.mjs', import.meta.url).pathname;

export interface SimulatorStats {
  count: number;
  statuses: Record<string, number>;
  distinctPaths: number;
  maxInWindow: number;
  firstAt: number;
  lastAt: number;
  closed: number;
  /** Requests not answered 200: status, path and ms after the first request. */
  others: { status: number; path: string; atMs: number }[];
}

export interface SimulatorProcess {
  url: string;
  ids: number[];
  stats(windowMs: number): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

/** A Peach simulator in a child process (built code), seeded with `seed` open conversations. */
export async function startSimulatorProcess(simulator: PeachSimulatorOptions, seed: number): Promise<SimulatorProcess> {
  const child: ChildProcess = fork(SCRIPT, [], { env: { ...process.env, SIMULATOR_OPTIONS: JSON.stringify({ simulator, seed }) }, stdio: 'inherit' });
  // A provider does not share CPUs with our workers. Here it does, and when descheduled it stamps waiting
  // requests as if they came together; a higher priority (allowed as root, as in CI) keeps its clock honest.
  try {
    setPriority(child.pid!, -10);
  } catch {
    // not root: the rate-limit margin still covers the usual jitter
  }
  const [ready] = (await once(child, 'message')) as [{ url: string; ids: number[] }];
  return {
    url: ready.url,
    ids: ready.ids,
    async stats(windowMs) {
      const reply = once(child, 'message');
      child.send({ type: 'stats', windowMs });
      return ((await reply) as [SimulatorStats])[0];
    },
    async stop() {
      const exited = once(child, 'exit');
      child.send({ type: 'stop' });
      await exited;
    },
  };
}
