// npm run bench:api -- [--build <checkout>]... [--reps <n>]
// How responsive closer's API process stays while it enqueues bulk close requests: a prober in a
// worker thread times GET /healthz (no Redis: the API's event loop) and GET /v1/batches/:id (one
// Redis read) during concurrent POST /v1/close loads, for one or more builds of closer in one run.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Redis } from 'ioredis';
import { freePort, startRedis } from '../test/helpers/redis-server.js';
import type { ProbeResults, ProberOptions } from './api-latency-prober.js';
import { cpuLoopMs, ownCpuMs, redisCpuMs } from './measures.js';
import { cpuMs, stopChild } from './processes.js';

const TOKEN = 'bench-token';
const SCENARIOS = [
  { name: '50 × 1,000 refs', requests: 50, refs: 1_000 },
  { name: '8 × 10,000 refs', requests: 8, refs: 10_000 },
];
/** The probe batch's ids, apart from every load's (which start at 1). */
const PROBE_FIRST_ID = 10_000_000;
/** A bulk request still unanswered after this counts as a connection error, so a hung API cannot hang the bench. */
const BULK_TIMEOUT_MS = 120_000;

const { values } = parseArgs({ options: { build: { type: 'string', multiple: true }, reps: { type: 'string', default: '1' } } });
const here = (file: string) => new URL(file, import.meta.url).pathname;
// dist/bench/ is two levels below the checkout this bench was built in.
const builds = (values.build ?? [here('../..')]).map((build) => resolve(build));
const reps = Number(values.reps);

// Before anything else runs, so nothing of the benchmark's own slows it.
const loopMs = cpuLoopMs();
console.log(`cpu loop: ${Math.round(loopMs)} ms (300 million steps; see cpuLoopMs in bench/measures.ts)`);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const ids = (first: number, count: number) => Array.from({ length: count }, (_, i) => ({ conversationId: first + i }));
const closeBody = (first: number, count: number) => JSON.stringify({ account: 'peach', conversations: ids(first, count) });
const post = (url: string, body: string) =>
  fetch(`${url}/v1/close`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(BULK_TIMEOUT_MS) });

/** Everything still running, stopped in `finally` blocks and on Ctrl-C. */
const running = new Set<() => Promise<void>>();
process.once('SIGINT', () => void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130)));


/** The line of a log that starts with an error's name ("TypeError: ..."; Node prints an uncaught error's source line before it), else its last line. */
function reason(log: string): string {
  const lines = log.trim().split('\n');
  return (lines.find((line) => /^[\w$.]*Error\b/.test(line)) ?? lines.at(-1) ?? '').trim().slice(0, 300);
}

interface Api {
  child: ChildProcess;
  url: string;
  /** The last few KB of its stdout and stderr, to say why it died. */
  log(): string;
}

async function startApi(build: string, redisUrl: string): Promise<Api> {
  const port = await freePort();
  // BENCH_PROF=<dir> writes a CPU profile of each API process there, as bench/processes.ts does for workers (only when it exits cleanly).
  const profile = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, join(build, 'dist/workers/api.js')], {
    env: { PATH: process.env.PATH, REDIS_URL: redisUrl, PORT: String(port), CLOSER_API_TOKEN: TOKEN, LOG_LEVEL: 'warn', PEACH_API_KEY: 'bench-key', PEACH_BASE_URL: 'http://127.0.0.1:9' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => stopChild(child);
  running.add(stop);
  child.once('exit', () => running.delete(stop));
  let log = '';
  const keep = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const ready = () => fetch(`${url}/readyz`).then(async (response) => (await response.arrayBuffer(), response.status === 200), () => false);
  const deadline = Date.now() + 30_000;
  while (!(await ready())) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the API of ${build} did not get ready: ${reason(log)}`);
    }
    await sleep(50);
  }
  return { child, url, log: () => log };
}

interface Prober {
  /** Ends probing after the current probe and answers what was measured. */
  results(): Promise<ProbeResults>;
  terminate(): Promise<void>;
}

/** Starts probing and resolves once the first (unmeasured) round is done. */
async function startProber(options: ProberOptions): Promise<Prober> {
  const worker = new Worker(here('./api-latency-prober.js'), { workerData: options });
  const terminate = async () => {
    running.delete(terminate);
    await worker.terminate();
  };
  running.add(terminate);
  const [first] = (await once(worker, 'message')) as [unknown];
  if (first !== 'probing') throw new Error(`prober: ${String(first)}`);
  return {
    async results() {
      const answer = once(worker, 'message');
      worker.postMessage('stop');
      return ((await answer) as [ProbeResults])[0];
    },
    terminate,
  };
}

/** Whether the child has exited, waiting a little: a crash resets its connections a moment before its exit is seen here. */
async function exited(child: ChildProcess, graceMs = 500): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return Promise.race([once(child, 'exit').then(() => true), sleep(graceMs).then(() => false)]);
}

type Outcome = '202' | '429' | '503' | 'other' | 'error';
/** One scenario against one build, once. */
interface Run {
  /** The build's letter and path. */
  build: string;
  scenario: string;
  rep: number;
  /** Latencies (ms) of the probes that got an answer, of any status. */
  healthzMs: number[];
  batchMs: number[];
  /** Probes without an answer, or answered but 200. */
  failedProbes: number;
  answers: Record<Outcome, number>;
  /** Of the 429 and 503 answers, how many had a Retry-After header. */
  retryAfter: { '429': number; '503': number };
  accepted: number;
  wallMs: number;
  /** CPU used during the load, ms: the API process (all its threads), Redis, and this bench (load generator and prober). */
  apiCpuMs: number;
  redisCpuMs: number;
  benchCpuMs: number;
  /** The API process at the end of the load; 'did not start' when it never answered /readyz. */
  api: 'alive' | 'died' | 'did not start';
  /** Answers but 202, why the API died, or why the scenario could not run. */
  notes: string[];
}

/** fetch's own message is only "fetch failed"; the cause says what happened (ECONNRESET, ECONNREFUSED, a timeout ...). */
const errorText = (error: unknown) => String((error as Error).cause ?? error).slice(0, 300);

async function runScenario(build: string, label: string, scenario: (typeof SCENARIOS)[number], rep: number): Promise<Run> {
  const row: Run = {
    build: label,
    scenario: scenario.name,
    rep,
    healthzMs: [],
    batchMs: [],
    failedProbes: 0,
    answers: { '202': 0, '429': 0, '503': 0, other: 0, error: 0 },
    retryAfter: { '429': 0, '503': 0 },
    accepted: 0,
    wallMs: NaN,
    apiCpuMs: NaN,
    redisCpuMs: NaN,
    benchCpuMs: NaN,
    api: 'did not start',
    notes: [],
  };
  const redis = await startRedis();
  running.add(redis.stop);
  const admin = new Redis(redis.url);
  let api: Api | undefined;
  let prober: Prober | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    api = await startApi(build, redis.url);
    const probeAnswer = await post(api.url, closeBody(PROBE_FIRST_ID, 10));
    if (probeAnswer.status !== 202) throw new Error(`the probe batch answered ${probeAnswer.status}: ${await probeAnswer.text()}`);
    const { batchId } = (await probeAnswer.json()) as { batchId: string };
    const { url } = api;
    // Built before the clock starts: at 10,000 refs JSON.stringify is itself milliseconds of this thread.
    const bodies = Array.from({ length: scenario.requests }, (_, i) => closeBody(1 + i * scenario.refs, scenario.refs));
    prober = await startProber({ url, token: TOKEN, batchId });

    // Sampled while the load runs: the process may die, and its /proc entry with it.
    const pid = api.child.pid!;
    const apiCpuBefore = cpuMs(pid, (path) => readFileSync(path, 'utf8'));
    let apiCpuLast = apiCpuBefore;
    sampler = setInterval(() => {
      try {
        apiCpuLast = cpuMs(pid, (path) => readFileSync(path, 'utf8'));
      } catch {
        // gone; keep the last reading
      }
    }, 100);
    const redisBefore = await redisCpuMs(admin);
    const benchBefore = ownCpuMs();
    const started = performance.now();
    await Promise.all(
      bodies.map(async (body) => {
        try {
          const response = await post(url, body);
          const status = String(response.status);
          const outcome: Outcome = status === '202' || status === '429' || status === '503' ? status : 'other';
          row.answers[outcome] += 1;
          if ((outcome === '429' || outcome === '503') && response.headers.has('retry-after')) row.retryAfter[outcome] += 1;
          const answer = (await response.json()) as { accepted?: number };
          if (outcome === '202') row.accepted += answer.accepted ?? 0;
          else if (row.notes.length < 3) row.notes.push(`${status}: ${JSON.stringify(answer).slice(0, 200)}`);
        } catch (error) {
          row.answers.error += 1;
          if (row.notes.length < 3) row.notes.push(`connection error: ${errorText(error)}`);
        }
      }),
    );
    row.wallMs = performance.now() - started;
    row.benchCpuMs = ownCpuMs() - benchBefore;
    const probes = await prober.results();
    row.redisCpuMs = (await redisCpuMs(admin)) - redisBefore;
    row.apiCpuMs = apiCpuLast - apiCpuBefore;
    Object.assign(row, { healthzMs: probes.healthz, batchMs: probes.batch, failedProbes: probes.failed });
  } catch (error) {
    row.notes.push(`stopped early: ${errorText(error)}`);
  } finally {
    clearInterval(sampler);
    await prober?.terminate();
    if (api && (await exited(api.child))) {
      row.api = 'died';
      row.notes.push(`API exited (${api.child.exitCode ?? api.child.signalCode}): ${reason(api.log())}`);
    } else if (api) row.api = 'alive';
    if (api) await stopChild(api.child);
    admin.disconnect();
    await redis.stop();
    running.delete(redis.stop);
  }
  return row;
}

/** The commit a checkout is at, "-dirty" when its files differ from it (its dist may be built from either). */
function commitOf(build: string): string {
  try {
    return execFileSync('git', ['-C', build, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not a git checkout';
  }
}
// Builds are told apart by their place on the command line, so one build given twice is an A/A check.
const labels = builds.map((build, index) => `${String.fromCharCode(65 + index)}: ${build} (${commitOf(build)})`);
const runs: Run[] = [];
try {
  for (let rep = 1; rep <= reps; rep += 1) {
    for (const scenario of SCENARIOS) {
      // Builds interleaved within each scenario (A, B, A, B ...), so a VM slowing down over the run favours none.
      for (const index of builds.keys()) {
        const run = await runScenario(builds[index]!, labels[index]!, scenario, rep);
        runs.push(run);
        console.log(`${run.build}, ${scenario.name}, rep ${rep}: /healthz max ${run.healthzMs.length ? Math.round(Math.max(...run.healthzMs)) : '–'} ms, answers ${JSON.stringify(run.answers)}, API ${run.api}`);
      }
    }
  }
} finally {
  await Promise.allSettled([...running].map((stop) => stop()));
}

// ---- report: one row per build × scenario, its repetitions pooled ------------------------
/** Nearest-rank percentile. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
function latency(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length === 0 ? undefined : { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1)!, n: sorted.length };
}
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const rows = labels.flatMap((build) =>
  SCENARIOS.map(({ name }) => {
    const of = runs.filter((run) => run.build === build && run.scenario === name);
    const total = (pick: (run: Run) => number) => sum(of.map(pick));
    const share = (cpu: (run: Run) => number) => total(cpu) / total((run) => run.wallMs);
    return {
      build,
      scenario: name,
      runs: of.length,
      healthz: latency(of.flatMap((run) => run.healthzMs)),
      batch: latency(of.flatMap((run) => run.batchMs)),
      failedProbes: total((run) => run.failedProbes),
      answers: Object.fromEntries((['202', '429', '503', 'other', 'error'] as const).map((outcome) => [outcome, total((run) => run.answers[outcome])])) as Record<Outcome, number>,
      retryAfter: { '429': total((run) => run.retryAfter['429']), '503': total((run) => run.retryAfter['503']) },
      acceptedPerRun: of.map((run) => run.accepted),
      wallMsPerRun: of.map((run) => run.wallMs),
      /** Pooled: all runs' CPU over all runs' wall time. */
      cpuShare: { api: share((run) => run.apiCpuMs), redis: share((run) => run.redisCpuMs), bench: share((run) => run.benchCpuMs) },
      died: of.filter((run) => run.api === 'died').length,
      notStarted: of.filter((run) => run.api === 'did not start').length,
    };
  }),
);

const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}; cpu loop ${Math.round(loopMs)} ms`;
const ms = (value: number) => (value < 10 ? value.toFixed(1) : Math.round(value).toString());
const triple = (l: ReturnType<typeof latency>) => (l ? `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}` : '–');
const percent = (share: number) => (Number.isFinite(share) ? `${Math.round(100 * share)}%` : '–');
/** Each distinct note once per build × scenario, with the runs it came from. */
function notes(): string[] {
  const repsOf = new Map<string, number[]>();
  for (const run of runs) {
    for (const note of new Set(run.notes)) {
      const key = `${run.build}, ${run.scenario}: ${note}`;
      repsOf.set(key, [...(repsOf.get(key) ?? []), run.rep]);
    }
  }
  return [...repsOf].map(([note, reps]) => `- ${note} (rep ${reps.join(', ')})`);
}
const table = [
  `Machine: ${machine}`,
  '',
  '| build | scenario | runs | /healthz p50 / p99 / max ms | batch GET p50 / p99 / max ms | probes (failed) | 202 / 429 / 503 / other / conn. error | Retry-After on 429, 503 | refs accepted per run | load wall s per run | CPU: API / Redis / bench | API at end |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const cells = [
      r.build,
      r.scenario,
      r.runs,
      triple(r.healthz),
      triple(r.batch),
      `${(r.healthz?.n ?? 0) + (r.batch?.n ?? 0)} (${r.failedProbes})`,
      `${r.answers['202']} / ${r.answers['429']} / ${r.answers['503']} / ${r.answers.other} / ${r.answers.error}`,
      r.answers['429'] + r.answers['503'] === 0 ? '–' : `${r.retryAfter['429']}/${r.answers['429']}, ${r.retryAfter['503']}/${r.answers['503']}`,
      r.acceptedPerRun.map((n) => n.toLocaleString('en-US')).join(', '),
      r.wallMsPerRun.map((wall) => (Number.isFinite(wall) ? (wall / 1000).toFixed(2) : '–')).join(', '),
      [r.cpuShare.api, r.cpuShare.redis, r.cpuShare.bench].map(percent).join(' / '),
      r.died + r.notStarted === 0 ? 'alive' : [r.died && `**died in ${r.died} of ${r.runs}**`, r.notStarted && `**did not start in ${r.notStarted}**`].filter(Boolean).join(', '),
    ];
    return `| ${cells.join(' | ')} |`;
  }),
  '',
  `Latencies pool all runs' probes (under 100 probes, p99 is the max). CPU: CPU time used during the loads / their wall time (100% = one core busy throughout; this machine has ${cpus().length}).`,
  ...notes(),
].join('\n');
console.log(`\n${table}`);
writeFileSync(here('./api-latency.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, cpuLoopMs: loopMs, rows, runs }, null, 2)}\n`);
