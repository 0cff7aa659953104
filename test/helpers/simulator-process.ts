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
  /** The simulator's longest event-loop stall since it was ready: its stamps are no better than this. */
  longestStallMs: number;
  /** Requests not answered 200: status, path and ms after the first request. */
  others: { status: number; path: string; atMs: number }[];
}

export interface SimulatorProcess {
  url: string;
  ids: number[];
  stats(windowMs: number): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

/**
 * A real provider does not share CPUs with our workers; here it does, and a
 * simulator descheduled for 90 ms stamps the requests that waited as if they
 * had arrived together (traced once in the benchmark: closer's send times held
 * 50 in any second, the simulator's stamps 53). A higher priority (allowed as
 * root, as in CI) brings its clock closer to a provider's own machine.
 * Returns whether it worked; without it the rate-limit margin still covers the usual jitter.
 */
export function favourProvider(child: ChildProcess): boolean {
  try {
    setPriority(child.pid!, -10);
    return true;
  } catch {
    return false;
  }
}

/** A Peach simulator in a child process (built code), seeded with `seed` open conversations. */
export async function startSimulatorProcess(simulator: PeachSimulatorOptions, seed: number): Promise<SimulatorProcess> {
  const child: ChildProcess = fork(SCRIPT, [], { env: { ...process.env, SIMULATOR_OPTIONS: JSON.stringify({ simulator, seed }) }, stdio: 'inherit' });
  favourProvider(child);
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
