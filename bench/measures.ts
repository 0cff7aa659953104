// Readings shared by the benchmarks (bench/run.ts, bench/costs.ts).
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { Redis } from 'ioredis';

/** The middle value (the upper one of the two middles for an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** CPU time (user + system) this process has used so far, in ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Redis's own CPU time so far (user + system), in ms. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1000;
}

/** The loop, as this project's notes have timed the VM with `node -e` since the first benchmarks. */
const CPU_LOOP = 'const t = performance.now(); let s = 0; for (let i = 0; i < 3e8; i++) s += i % 7; console.log(performance.now() - t)';

/**
 * How long a fixed loop of 300 million steps takes in a fresh Node process, in
 * ms: a rough speed of this shared VM at the moment, which has varied more
 * than 3× between days. A process of its own, so the figure compares with
 * the same command run by hand.
 */
export function cpuLoopMs(): number {
  return Number(execFileSync(process.execPath, ['-e', CPU_LOOP], { encoding: 'utf8' }).trim());
}

/** A number for a table: grouped thousands, `digits` decimals, a dash for none. */
export const fmt = (value: number | null | undefined, digits = 0): string =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error)).slice(0, 300);

/** Nearest-rank percentile of sorted values. */
export const percentile = (sorted: number[], p: number): number => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;

/**
 * What a bench started, stopped newest first at the end, on errors and on
 * Ctrl-C: `track` registers a stop (made safe to call twice) and returns it.
 */
export function createStops(): { track(stop: () => Promise<void>): () => Promise<void>; stopAll(): Promise<void> } {
  const running: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of running.toReversed()) await stop().catch((error: unknown) => console.error(`stopping: ${errorText(error)}`));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  return {
    track(stop) {
      let stopped = false;
      const stopOnce = async () => {
        if (stopped) return;
        stopped = true;
        await stop();
      };
      running.push(stopOnce);
      return stopOnce;
    },
    stopAll,
  };
}

/** The machine a bench ran on, for its report: cores, CPU model, Node, Redis and the CPU loop's time. */
export function machineLine(loopMs: number): string {
  const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}; cpu loop ${Math.round(loopMs)} ms`;
}

/** The build a bench measured: `git describe` of the checkout at `dir`. */
export function buildOf(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not a git checkout';
  }
}
