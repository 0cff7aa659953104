// npm run bench:scale -- [--build <checkout>]... [--section idle|dashboard|fairness|managed]...
// How one closer worker process (dist/workers/worker.js of each build) scales with its accounts, for one or more
// builds in one run:
// 1. Idle footprint at 10, 1,000 and 10,000 Callbell accounts: time to start and to be ready, the Redis connections it
//    opens, Redis commands/s and CPU while it waits for jobs, its resident memory.
// 2. Fairness: 200 small accounts get a batch of 10 closes each while one account works through a 50,000-close
//    backlog: how long the small batches take, and what the process closes meanwhile against the backlog alone.
// 3. Dashboard: the API process with 10,000 accounts, a few with work: how long the page and its refresh take, and what
//    a refresh costs Redis.
// 4. Managed accounts (builds that have them): 10,000 Callbell accounts made through the API process's POST /v1/accounts,
//    what a create costs, then one worker process serving them from Redis alone (no accounts file), measured as in 1.
//    BENCH_MANAGED_ACCOUNTS=<n> makes n instead (a quick check of the section).
// Every measurement runs on a throwaway redis-server of its own. Writes dist/bench/scale.json.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import { rateOf } from '../src/config/rate.js';
import type { AccountConfig, Config } from '../src/config/types.js';
import { createProducer, type Producer } from '../src/producer/producer.js';
import { CallbellSimulator } from '../src/simulators/index.js';
import { freePort, spawnRedisServer } from '../test/helpers/redis-server.js';
import { envFor } from '../test/helpers/worker-process.js';
import { cpuLoopMs } from './measures.js';
import { cpuMs, rssBytes, startSimulator, stopChild } from './processes.js';

// ---- settings -------------------------------------------------------------------------------------------------------
const IDLE_ACCOUNTS = [10, 1_000, 10_000];
/** From spawn to "workers started" and /readyz 200; a build that takes longer is recorded as not ready. */
const START_DEADLINE_MS = 120_000;
const IDLE_WINDOW_MS = 20_000;
/** The old design opens a blocking connection per account: room for 10,000 of them (Redis lowers it to what its file limit allows). */
const MAX_CLIENTS = 20_000;
/** The name of the bench's own Redis connections, told apart in CLIENT LIST. */
const BENCH_CLIENT = 'scale-bench';

const CONCURRENCY = 10;
const BACKLOG = { id: 'backlog', rate: '1000/s', closes: 50_000, perRequest: 10_000 };
const SMALL = { accounts: 200, rate: '50/s', closes: 10 };
/** The backlog's closes/s alone is measured over this long, before the small batches and after them. */
const RATE_WINDOW_MS = 3_000;
/** After the backlog's enqueue, before its rate is measured (V8 compiles the hot code). */
const WARMUP_MS = 2_000;
/** No backlog close done this long after its enqueue began: the build's worker does not see the producer's jobs. */
const FIRST_CLOSE_DEADLINE_MS = 60_000;
/** Small batches not done this long after the first small enqueue are counted as not done. */
const SMALL_DEADLINE_MS = 120_000;
const POLL_MS = 100;
const WITHIN_S = 5;
/** The dashboard section: accounts configured, of which a few have work (what the page lists first). */
const DASHBOARD = { accounts: 10_000, busy: 3, refreshes: 5, token: 'scale-bench-token' };
/** The managed section: accounts made through the API, and the creates it is sent at a time. */
const MANAGED = { accounts: Number(process.env.BENCH_MANAGED_ACCOUNTS ?? 10_000), inFlight: 32, rate: '50/s', readyDeadlineMs: 60_000 };
if (!Number.isSafeInteger(MANAGED.accounts) || MANAGED.accounts < 1) throw new Error(`BENCH_MANAGED_ACCOUNTS: must be a whole number above 0, not ${process.env.BENCH_MANAGED_ACCOUNTS}`);

const { values } = parseArgs({ options: { build: { type: 'string', multiple: true }, section: { type: 'string', multiple: true } } });
/** --section idle|dashboard|fairness|managed (repeatable): only those; every section by default. */
const sections = new Set(values.section ?? ['idle', 'dashboard', 'fairness', 'managed']);
const here = (file: string) => new URL(file, import.meta.url).pathname;
// dist/bench/ is two levels below the checkout this bench was built in.
const builds = (values.build ?? [here('../..')]).map((build) => resolve(build));

// Before anything else runs, so nothing of the benchmark's own slows it.
const loopMs = cpuLoopMs();
console.log(`cpu loop: ${Math.round(loopMs)} ms (300 million steps; see cpuLoopMs in bench/measures.ts)`);

const base = loadConfig({});
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const readText = (path: string) => readFileSync(path, 'utf8');
const fmt = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 300);

/** Everything still running, stopped in `finally` blocks and on Ctrl-C. */
const running = new Set<() => Promise<void>>();
process.once('SIGINT', () => void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130)));
/** Runs `stop` on Ctrl-C until it has run once. */
function track(stop: () => Promise<void>): () => Promise<void> {
  const stopOnce = async () => {
    running.delete(stopOnce);
    await stop();
  };
  running.add(stopOnce);
  return stopOnce;
}

// ---- Redis ----------------------------------------------------------------------------------------------------------
interface BenchRedis {
  url: string;
  pid: number;
  /** The bench's own connection (named BENCH_CLIENT). */
  admin: Redis;
  stop(): Promise<void>;
}

/** A throwaway redis-server as test/helpers/redis-server.ts starts one (no persistence, noeviction), with maxclients raised. */
async function startBenchRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'closer-scale-redis-'));
  let server: ChildProcess;
  try {
    server = await spawnRedisServer(
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'].concat(
        ['--maxmemory-policy', 'noeviction', '--maxclients', String(MAX_CLIENTS)],
      ),
    );
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const admin = new Redis(port, '127.0.0.1', { connectionName: BENCH_CLIENT });
  const stop = track(async () => {
    admin.disconnect();
    await stopChild(server);
    rmSync(dir, { recursive: true, force: true });
  });
  return { url: `redis://127.0.0.1:${port}`, pid: server.pid!, admin, stop };
}

/**
 * Commands run so far (INFO commandstats: a script counts once for its EVALSHA and once per command it runs) and
 * Redis's CPU so far (user + system, ms), from one INFO command: the only command of the bench's between two readings.
 */
async function redisReading(admin: Redis): Promise<{ calls: Record<string, number>; cpuMs: number }> {
  const info = await admin.info('all');
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/cmdstat_([\w|-]+):calls=(\d+)/g)) calls[name!] = Number(count);
  const cpuSeconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
  return { calls, cpuMs: (cpuSeconds('used_cpu_user') + cpuSeconds('used_cpu_sys')) * 1000 };
}

/** Clients of CLIENT LIST but the bench's own: their count and their count by name up to its first ':' ("(unnamed)" for none). */
async function clients(admin: Redis): Promise<{ total: number; byName: Record<string, number> }> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  const byName: Record<string, number> = {};
  let total = 0;
  for (const line of list.split('\n').filter((l) => l.trim() !== '')) {
    const name = / name=(\S*)/.exec(line)?.[1] ?? '';
    if (name === BENCH_CLIENT) continue;
    const prefix = name === '' ? '(unnamed)' : name.split(':')[0]!;
    byName[prefix] = (byName[prefix] ?? 0) + 1;
    total += 1;
  }
  return { total, byName };
}

// ---- the others on this host ------------------------------------------------------------------------------------------
/** CPU time every core of this host has used so far (user, nice, system, irq, softirq, steal), ms, from /proc/stat (ticks of 10 ms). */
function hostCpuMs(): number {
  const [user, nice, system, , , irq, softirq, steal] = readText('/proc/stat').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return [user, nice, system, irq, softirq, steal].reduce<number>((sum, ticks) => sum + (ticks ?? 0), 0) * 10;
}

/**
 * Starts timing the CPU the host uses besides these processes and this one (the bench, with its in-process Callbell
 * simulator): on a shared VM another load shows here. `stop()` answers it in % of one core since the start.
 */
function othersCpu(pids: readonly number[]): { stop(): number | null } {
  const all = [process.pid, ...pids];
  const ours = () => all.reduce((sum, pid) => sum + cpuMs(pid, readText), 0);
  const start = { host: hostCpuMs(), ours: ours(), at: performance.now() };
  return {
    stop() {
      try {
        return (hostCpuMs() - start.host - (ours() - start.ours)) / 10 / ((performance.now() - start.at) / 1000);
      } catch {
        return null; // one of the processes is gone
      }
    },
  };
}

// ---- a worker process ------------------------------------------------------------------------------------------------
interface WorkerProcess {
  child: ChildProcess;
  /** When the process was spawned (performance.now()). */
  spawnedAt: number;
  /** ms from spawn to its "workers started" line, once seen. */
  startedMs(): number | undefined;
  /** Its health server, once logged. */
  healthUrl(): string | undefined;
  /** The managed accounts its "workers started" line counts (builds that have them). */
  managed(): number | undefined;
  /** Why it died, from the end of its output. */
  reason(): string;
  stop(): Promise<void>;
}

function spawnWorker(build: string, env: NodeJS.ProcessEnv): WorkerProcess {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [join(build, 'dist/workers/worker.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = track(() => stopChild(child));
  let startedMs: number | undefined;
  let healthUrl: string | undefined;
  let managed: number | undefined;
  let partial = '';
  let stdoutTail = '';
  let stderrTail = '';
  // Read line by line to the end (a full pipe would stall the worker); with 10,000 accounts "workers started" is a line of 150 KB.
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (startedMs === undefined && line.includes('workers started')) {
        startedMs = performance.now() - spawnedAt;
        const count = /"managed":(\d+)/.exec(line)?.[1];
        if (count !== undefined) managed = Number(count);
      }
      if (healthUrl === undefined && line.includes('worker health and metrics listening')) healthUrl = /"health":"([^"]+)"/.exec(line)?.[1];
      stdoutTail = `${stdoutTail}\n${line.slice(0, 1_000)}`.slice(-4_000);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-4_000)));
  const reason = () => {
    const lines = `${stderrTail}\n${stdoutTail}`.trim().split('\n');
    const line = lines.find((l) => /^[\w$.]*Error\b|FATAL|"level":(50|60)/.test(l)) ?? lines.at(-1) ?? '';
    return line.trim().slice(0, 300);
  };
  return { child, spawnedAt, startedMs: () => startedMs, healthUrl: () => healthUrl, managed: () => managed, reason, stop };
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const exitOf = (child: ChildProcess) => `exited (${child.exitCode ?? child.signalCode})`;

/** Waits for "workers started" and then /readyz 200, both within START_DEADLINE_MS of spawn; answers what it saw. */
async function waitReady(worker: WorkerProcess): Promise<{ startedMs: number | null; readyzMs: number | null; problem?: string }> {
  const deadline = worker.spawnedAt + START_DEADLINE_MS;
  while (worker.startedMs() === undefined) {
    if (!alive(worker.child)) return { startedMs: null, readyzMs: null, problem: `${exitOf(worker.child)} before "workers started": ${worker.reason()}` };
    if (performance.now() > deadline) return { startedMs: null, readyzMs: null, problem: `no "workers started" within ${START_DEADLINE_MS / 1000} s; last output: ${worker.reason()}` };
    await sleep(20);
  }
  const startedMs = worker.startedMs()!;
  for (;;) {
    const url = worker.healthUrl();
    if (url) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
        async (response) => (await response.arrayBuffer(), response.status === 200),
        () => false,
      );
      if (ok) return { startedMs, readyzMs: performance.now() - worker.spawnedAt };
    }
    if (!alive(worker.child)) return { startedMs, readyzMs: null, problem: `${exitOf(worker.child)} before /readyz answered 200: ${worker.reason()}` };
    if (performance.now() > deadline) return { startedMs, readyzMs: null, problem: `/readyz not 200 within ${START_DEADLINE_MS / 1000} s${url ? '' : ' (no health URL logged)'}` };
    await sleep(50);
  }
}

/** The commit a checkout is at, "-dirty" when its files differ from it (its dist may be built from either). */
function commitOf(build: string): string {
  try {
    return execFileSync('git', ['-C', build, 'describe', '--always', '--dirty'], { encoding: 'utf8' }).trim();
  } catch {
    return 'not a git checkout';
  }
}

// ---- 1. idle footprint -----------------------------------------------------------------------------------------------
interface IdleRow {
  build: string;
  accounts: number;
  /** ms from spawn; null when not seen in time. */
  startedMs: number | null;
  readyzMs: number | null;
  /** Connections of CLIENT LIST but the bench's, after the idle window. */
  connections: number | null;
  connectionsByName: Record<string, number>;
  /** Redis commands/s during the idle window, the bench's own taken out; by command too. */
  commandsPerSecond: number | null;
  commandsByName: Record<string, number>;
  /** CPU during the idle window, % of one core. */
  workerCpuPercent: number | null;
  redisCpuPercent: number | null;
  /** CPU (% of one core) of everything else on the host during the idle window (see othersCpu). */
  othersCpuPercent: number | null;
  rssMb: number | null;
  notes: string[];
}

const idleRow = (build: string, accounts: number): IdleRow => ({
  build,
  accounts,
  startedMs: null,
  readyzMs: null,
  connections: null,
  connectionsByName: {},
  commandsPerSecond: null,
  commandsByName: {},
  workerCpuPercent: null,
  redisCpuPercent: null,
  othersCpuPercent: null,
  rssMb: null,
  notes: [],
});

async function idleRun(build: string, label: string, accounts: number, callbellUrl: string): Promise<IdleRow> {
  const row = idleRow(label, accounts);
  const file = join(tmpdir(), `closer-scale-accounts-${process.pid}-${accounts}.json`);
  const ids = Array.from({ length: accounts }, (_, i) => `cb-${String(i + 1).padStart(5, '0')}`);
  writeFileSync(file, JSON.stringify({ accounts: ids.map((id) => ({ id, provider: 'callbell', apiToken: 't', baseUrl: callbellUrl, rateLimit: '50/s' })) }));
  let redis: BenchRedis | undefined;
  try {
    redis = await startBenchRedis();
    await idleMeasure(build, row, redis, { PATH: process.env.PATH, REDIS_URL: redis.url, CLOSER_ACCOUNTS_FILE: file, CLOSER_HEALTH_PORT: '0', LOG_LEVEL: 'info' });
  } catch (error) {
    row.notes.push(`stopped early: ${errorText(error)}`);
  } finally {
    await redis?.stop();
    rmSync(file, { force: true });
  }
  return row;
}

/**
 * One worker process of `build` on `redis`, started with `env`, from spawn through its idle window into `row`; stopped
 * before it returns or throws, and answered for what its log told. The caller's Redis outlives it: the managed section
 * has filled it through the API first.
 */
async function idleMeasure(build: string, row: IdleRow, redis: BenchRedis, env: NodeJS.ProcessEnv): Promise<WorkerProcess> {
  const worker = spawnWorker(build, env);
  try {
    const ready = await waitReady(worker);
    row.startedMs = ready.startedMs;
    row.readyzMs = ready.readyzMs;
    if (ready.problem) row.notes.push(ready.problem);
    // Measured whenever its workers started, ready or not; a process that never got that far has no idle to measure.
    if (ready.startedMs === null || !alive(worker.child)) return worker;
    const pid = worker.child.pid!;
    // Between the two readings the bench sends Redis exactly one command: the first reading's INFO (Redis counts a command
    // once it has run, so each INFO's answer leaves itself out).
    const before = await redisReading(redis.admin);
    const cpuBefore = cpuMs(pid, readText);
    const others = othersCpu([pid, redis.pid]);
    const from = performance.now();
    await sleep(IDLE_WINDOW_MS);
    const after = await redisReading(redis.admin);
    const seconds = (performance.now() - from) / 1000;
    row.othersCpuPercent = others.stop();
    if (!alive(worker.child)) {
      row.notes.push(`${exitOf(worker.child)} while idle: ${worker.reason()}`);
      return worker;
    }
    row.workerCpuPercent = ((cpuMs(pid, readText) - cpuBefore) / 10) / seconds;
    row.rssMb = rssBytes(pid, readText) / 2 ** 20;
    row.redisCpuPercent = ((after.cpuMs - before.cpuMs) / 10) / seconds;
    const own: Record<string, number> = { info: 1 };
    let total = 0;
    for (const [name, calls] of Object.entries(after.calls)) {
      const delta = calls - (before.calls[name] ?? 0) - (own[name] ?? 0);
      if (delta > 0) row.commandsByName[name] = delta / seconds;
      total += Math.max(0, delta);
    }
    row.commandsPerSecond = total / seconds;
    const seen = await clients(redis.admin);
    row.connections = seen.total;
    row.connectionsByName = seen.byName;
    return worker;
  } finally {
    await worker.stop();
  }
}

// ---- 2. fairness -----------------------------------------------------------------------------------------------------
interface SmallBatch {
  account: string;
  /** performance.now() when its enqueue began. */
  enqueuedAt: number;
  batchId?: string;
  doneAt?: number;
  completed: number;
  deadLettered: number;
}

interface FairnessRow {
  build: string;
  /** The backlog account's closes/s before the small batches, alone. */
  backlogBefore: number | null;
  backlogAfter: number | null;
  /** Seconds from each small batch's enqueue to its done (null: not done within SMALL_DEADLINE_MS). */
  smallSeconds: (number | null)[];
  /** From the first small enqueue to the last small batch done (or the deadline). */
  windowSeconds: number | null;
  /** Closes/s of the whole process in that window, and of the backlog account alone in it. */
  totalDuring: number | null;
  backlogDuring: number | null;
  ratio: number | null;
  deadLettered: number;
  /** CPU (% of one core) of everything else on the host from the backlog's enqueue to the end (see othersCpu). */
  othersCpuPercent: number | null;
  notes: string[];
  /** Set when the run could not measure what it is for (jobs never ran, the worker died ...). */
  failed?: string;
}

const refs = (first: number, count: number) => Array.from({ length: count }, (_, i) => ({ conversationId: first + i }));

async function fairnessRun(build: string, label: string): Promise<FairnessRow> {
  const row: FairnessRow = {
    build: label,
    backlogBefore: null,
    backlogAfter: null,
    smallSeconds: [],
    windowSeconds: null,
    totalDuring: null,
    backlogDuring: null,
    ratio: null,
    deadLettered: 0,
    othersCpuPercent: null,
    notes: [],
  };
  let redis: BenchRedis | undefined;
  let worker: WorkerProcess | undefined;
  let producer: Producer | undefined;
  let stopSimulator: (() => Promise<void>) | undefined;
  try {
    redis = await startBenchRedis();
    const sim = await startSimulator(BACKLOG.closes + SMALL.accounts * SMALL.closes + 1_000);
    stopSimulator = track(() => sim.stop());
    const peach = (id: string, rate: string): AccountConfig => ({ id, provider: 'peach', baseUrl: sim.url, apiKey: 'bench-key', rateLimit: rateOf(rate) });
    const smallIds = Array.from({ length: SMALL.accounts }, (_, i) => `small-${String(i + 1).padStart(3, '0')}`);
    const config: Config = {
      ...base,
      redisUrl: redis.url,
      logLevel: 'silent',
      accounts: [peach(BACKLOG.id, BACKLOG.rate), ...smallIds.map((id) => peach(id, SMALL.rate))],
      jobs: { ...base.jobs, concurrency: CONCURRENCY },
    };
    // The producer of this checkout's src/ enqueues for every build, under the queue prefix the worker is given (envFor).
    producer = createProducer(config);
    const deadline = performance.now() + 10_000;
    while (!(await producer.readiness()).ready) {
      if (performance.now() > deadline) throw new Error('the producer found Redis not ready');
      await sleep(50);
    }
    const env = envFor(config);
    try {
      // CLOSER_WORKER_CONCURRENCY (envFor) is per account in the per-account design and per process in the dispatcher's,
      // where CLOSER_ACCOUNT_CONCURRENCY bounds one account; a build that does not know it ignores it.
      worker = spawnWorker(build, { ...env, CLOSER_ACCOUNT_CONCURRENCY: String(CONCURRENCY), LOG_LEVEL: 'info' });
      const ready = await waitReady(worker);
      if (ready.problem) throw new Error(ready.problem);
    } finally {
      rmSync(env.CLOSER_ACCOUNTS_FILE!, { force: true });
    }
    const live = worker;
    const p = producer;

    const others = othersCpu([live.child.pid!, redis.pid, sim.child.pid!]);
    // The backlog, in requests of 10,000 refs.
    const enqueueStart = performance.now();
    const backlogBatches: string[] = [];
    for (let first = sim.first; first < sim.first + BACKLOG.closes; first += BACKLOG.perRequest) {
      const answer = await p.close({ account: BACKLOG.id, conversations: refs(first, BACKLOG.perRequest) });
      if (answer.accepted !== BACKLOG.perRequest) throw new Error(`the backlog enqueue accepted ${answer.accepted} of ${BACKLOG.perRequest}`);
      backlogBatches.push(answer.batchId);
    }
    const enqueueEnd = performance.now();
    /** The backlog's closes ended so far (completed or dead-lettered), what is left, and when Redis answered. */
    const backlog = async () => {
      const reports = await Promise.all(backlogBatches.map((id) => p.batch(id)));
      const ended = reports.reduce((sum, r) => sum + r.completed + r.deadLettered, 0);
      return { ended, pending: reports.reduce((sum, r) => sum + r.pending, 0), deadLettered: reports.reduce((sum, r) => sum + r.deadLettered, 0), at: performance.now() };
    };
    const checkAlive = () => {
      if (!alive(live.child)) throw new Error(`the worker ${exitOf(live.child)}: ${live.reason()}`);
    };
    while ((await backlog()).ended === 0) {
      checkAlive();
      if (performance.now() - enqueueStart > FIRST_CLOSE_DEADLINE_MS) {
        throw new Error(
          `no close of account ${BACKLOG.id} ended within ${FIRST_CLOSE_DEADLINE_MS / 1000} s of its enqueue: this build's worker does not see the jobs this checkout's producer enqueues (a different key layout or queue prefix?)`,
        );
      }
      await sleep(POLL_MS);
    }
    await sleep(Math.max(0, enqueueEnd + WARMUP_MS - performance.now()));
    /** Closes/s of the backlog over RATE_WINDOW_MS; null when it ran out meanwhile. */
    const backlogRate = async () => {
      const start = await backlog();
      await sleep(RATE_WINDOW_MS);
      const end = await backlog();
      return { rate: end.pending === 0 ? null : (end.ended - start.ended) / ((end.at - start.at) / 1000), end };
    };
    const before = await backlogRate();
    row.backlogBefore = before.rate;
    if (before.rate === null) throw new Error('the backlog ran out before the small batches started; raise BACKLOG.closes');

    // The small batches, enqueued back to back while a poller watches those enqueued so far.
    const smalls: SmallBatch[] = [];
    const windowStart = performance.now();
    let enqueuing = true;
    const poller = (async () => {
      for (let round = 1; ; round += 1) {
        const open = smalls.filter((batch) => batch.batchId !== undefined && batch.doneAt === undefined);
        if (!enqueuing && open.length === 0) return;
        if (performance.now() - windowStart > SMALL_DEADLINE_MS) return;
        checkAlive();
        await Promise.all(
          open.map(async (batch) => {
            const report = await p.batch(batch.batchId!);
            batch.completed = report.completed;
            batch.deadLettered = report.deadLettered;
            if (report.done) batch.doneAt = performance.now();
          }),
        );
        await sleep(Math.max(0, windowStart + round * POLL_MS - performance.now()));
      }
    })();
    try {
      for (const [index, account] of smallIds.entries()) {
        const batch: SmallBatch = { account, enqueuedAt: performance.now(), completed: 0, deadLettered: 0 };
        smalls.push(batch);
        const first = sim.first + BACKLOG.closes + index * SMALL.closes;
        const answer = await p.close({ account, conversations: refs(first, SMALL.closes) });
        if (answer.accepted !== SMALL.closes) throw new Error(`${account}'s enqueue accepted ${answer.accepted} of ${SMALL.closes}`);
        batch.batchId = answer.batchId;
      }
    } finally {
      enqueuing = false;
      await poller;
    }
    const end = await backlog();
    const notDone = smalls.filter((batch) => batch.doneAt === undefined);
    const windowEnd = notDone.length > 0 ? windowStart + SMALL_DEADLINE_MS : Math.max(...smalls.map((batch) => batch.doneAt!));
    if (notDone.length > 0) row.notes.push(`${notDone.length} small batches not done within ${SMALL_DEADLINE_MS / 1000} s (${notDone.reduce((sum, b) => sum + b.completed, 0)} of their closes done)`);
    if (smalls.every((batch) => batch.completed + batch.deadLettered === 0)) {
      throw new Error(`no close of any small account ended within ${SMALL_DEADLINE_MS / 1000} s, while the backlog's did`);
    }
    row.smallSeconds = smalls.map((batch) => (batch.doneAt === undefined ? null : (batch.doneAt - batch.enqueuedAt) / 1000));
    row.windowSeconds = (windowEnd - windowStart) / 1000;
    const smallEnded = smalls.reduce((sum, batch) => sum + batch.completed + batch.deadLettered, 0);
    // The backlog's count was read right before the first small enqueue, and again right after the last small batch was done.
    row.backlogDuring = (end.ended - before.end.ended) / ((end.at - before.end.at) / 1000);
    row.totalDuring = (end.ended - before.end.ended + smallEnded) / row.windowSeconds;
    row.ratio = row.totalDuring / before.rate;
    if (end.pending === 0) row.notes.push('the backlog ran out before the last small batch was done: the closes/s during include idle time');

    const after = await backlogRate();
    row.othersCpuPercent = others.stop();
    row.backlogAfter = after.rate;
    if (after.rate === null) row.notes.push('the backlog ran out before its closes/s after the small batches could be measured');
    row.deadLettered = after.end.deadLettered + smalls.reduce((sum, batch) => sum + batch.deadLettered, 0);
    if (row.deadLettered > 0) row.notes.push(`${row.deadLettered} closes dead-lettered (see the simulator and the worker's log)`);
  } catch (error) {
    row.failed = errorText(error);
  } finally {
    await worker?.stop();
    await producer?.dispose();
    await stopSimulator?.();
    await redis?.stop();
  }
  return row;
}

// ---- 3. dashboard ---------------------------------------------------------------------------------------------------
interface DashboardRow {
  build: string;
  /** ms from spawn to /readyz 200 of the API process. */
  readyMs: number | null;
  /** GET /dashboard (the page), ms. */
  pageMs: number | null;
  /** GET /dashboard/api/queues (what the page asks for on load and on every refresh): the first, and the median of the next ones. */
  firstQueuesMs: number | null;
  queuesMs: number | null;
  /** Queues the page lists. */
  queuesListed: number | null;
  /** Redis commands per refresh (median). */
  commandsPerRefresh: number | null;
  apiRssMb: number | null;
  notes: string[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;

/** The API process of `build` with DASHBOARD.accounts accounts, DASHBOARD.busy of them with a job: what opening the dashboard costs. */
async function dashboardRun(build: string, label: string, callbellUrl: string): Promise<DashboardRow> {
  const row: DashboardRow = { build: label, readyMs: null, pageMs: null, firstQueuesMs: null, queuesMs: null, queuesListed: null, commandsPerRefresh: null, apiRssMb: null, notes: [] };
  const file = join(tmpdir(), `closer-scale-dashboard-${process.pid}.json`);
  const ids = Array.from({ length: DASHBOARD.accounts }, (_, i) => `cb-${String(i + 1).padStart(5, '0')}`);
  const accounts = ids.map((id) => ({ id, provider: 'callbell', apiToken: 't', baseUrl: callbellUrl, rateLimit: '50/s' }));
  writeFileSync(file, JSON.stringify({ accounts }));
  let redis: BenchRedis | undefined;
  let stopApi: (() => Promise<void>) | undefined;
  try {
    redis = await startBenchRedis();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${DASHBOARD.token}` };
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [join(build, 'dist/workers/api.js')], {
      env: { PATH: process.env.PATH, REDIS_URL: redis.url, CLOSER_ACCOUNTS_FILE: file, CLOSER_API_TOKEN: DASHBOARD.token, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    stopApi = track(() => stopChild(child));
    for (;;) {
      const ok = await fetch(`${url}/readyz`).then((response) => response.status === 200, () => false);
      if (ok) break;
      if (!alive(child)) throw new Error(`the API ${exitOf(child)}`);
      if (performance.now() - spawnedAt > START_DEADLINE_MS) throw new Error(`the API not ready within ${START_DEADLINE_MS / 1000} s`);
      await sleep(50);
    }
    row.readyMs = performance.now() - spawnedAt;
    // Work on a few accounts spread over the list, through the API as an app enqueues it.
    for (let i = 0; i < DASHBOARD.busy; i += 1) {
      const account = ids[Math.floor((i * DASHBOARD.accounts) / DASHBOARD.busy)]!;
      const response = await fetch(`${url}/v1/close`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ account, conversations: [{ contactUuid: 'c-1' }] }),
      });
      if (response.status !== 202) row.notes.push(`enqueue on ${account}: ${response.status}`);
    }
    const timed = async (path: string) => {
      const from = performance.now();
      const response = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(120_000) });
      const body = await response.text();
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
      return { ms: performance.now() - from, body };
    };
    row.pageMs = (await timed('/dashboard')).ms;
    const first = await timed('/dashboard/api/queues');
    row.firstQueuesMs = first.ms;
    row.queuesListed = (JSON.parse(first.body) as { queues: unknown[] }).queues.length;
    const times: number[] = [];
    const commands: number[] = [];
    for (let i = 0; i < DASHBOARD.refreshes; i += 1) {
      const before = await redisReading(redis.admin);
      times.push((await timed('/dashboard/api/queues')).ms);
      const after = await redisReading(redis.admin);
      // Everything Redis ran between the two readings, but the first reading's INFO.
      commands.push(Object.entries(after.calls).reduce((sum, [name, calls]) => sum + calls - (before.calls[name] ?? 0), 0) - 1);
    }
    row.queuesMs = median(times);
    row.commandsPerRefresh = median(commands);
    row.apiRssMb = rssBytes(child.pid!, readText) / 2 ** 20;
  } catch (error) {
    row.notes.push(`stopped early: ${errorText(error)}`);
  } finally {
    await stopApi?.();
    await redis?.stop();
    rmSync(file, { force: true });
  }
  return row;
}

// ---- 4. managed accounts --------------------------------------------------------------------------------------------
interface ManagedRow {
  build: string;
  /** Creates sent, and those answered 201. */
  requested: number;
  created: number;
  /** From the first create sent to the last answer read. */
  totalSeconds: number | null;
  createsPerSecond: number | null;
  /** A create from sending it to its whole answer read, 201s only. */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Everything Redis ran while the creates went on (the API's own background work too), the bench's INFO taken out, per create sent. */
  commandsPerCreate: number | null;
  apiRssMb: number | null;
  notes: string[];
}

/**
 * A fresh Redis, the API process of `build` alone: MANAGED.accounts Callbell accounts made with POST /v1/accounts,
 * MANAGED.inFlight at a time; then, the API stopped, one worker process with no accounts file on that Redis, measured
 * as an idle row (none when the build has no managed accounts or no create got through).
 */
async function managedRun(build: string, label: string, callbellUrl: string): Promise<{ create: ManagedRow; worker?: IdleRow }> {
  const row: ManagedRow = { build: label, requested: MANAGED.accounts, created: 0, totalSeconds: null, createsPerSecond: null, p50Ms: null, p99Ms: null, commandsPerCreate: null, apiRssMb: null, notes: [] };
  if (!existsSync(join(build, 'dist/src/accounts/account-admin.js'))) {
    row.notes.push('no managed accounts in this build');
    return { create: row };
  }
  // The worker opens what the API sealed: both get the same key.
  const secretKey = randomBytes(32).toString('base64');
  let redis: BenchRedis | undefined;
  let worker: IdleRow | undefined;
  try {
    redis = await startBenchRedis();
    try {
      await createThroughApi(build, row, redis, secretKey, callbellUrl);
    } catch (error) {
      row.notes.push(`stopped early: ${errorText(error)}`);
    }
    if (row.created === 0) return { create: row };
    worker = idleRow(label, row.created);
    try {
      const live = await idleMeasure(build, worker, redis, { PATH: process.env.PATH, REDIS_URL: redis.url, CLOSER_SECRET_KEY: secretKey, CLOSER_HEALTH_PORT: '0', LOG_LEVEL: 'info' });
      // Counted when its workers started: fewer means it began serving before it had read every account from Redis.
      const managed = live.managed();
      if (worker.startedMs !== null && managed !== row.created) worker.notes.push(`its "workers started" line counts ${managed === undefined ? 'no' : fmt(managed)} managed accounts`);
    } catch (error) {
      worker.notes.push(`stopped early: ${errorText(error)}`);
    }
  } catch (error) {
    row.notes.push(`stopped early: ${errorText(error)}`);
  } finally {
    await redis?.stop();
  }
  return { create: row, ...(worker ? { worker } : {}) };
}

/** The API process of `build` on `redis`, from spawn until it has exited again; what the creates cost goes into `row`. */
async function createThroughApi(build: string, row: ManagedRow, redis: BenchRedis, secretKey: string, callbellUrl: string): Promise<void> {
  const token = randomBytes(24).toString('base64url');
  let stopApi: (() => Promise<void>) | undefined;
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [join(build, 'dist/workers/api.js')], {
      env: { PATH: process.env.PATH, REDIS_URL: redis.url, CLOSER_API_TOKEN: token, CLOSER_SECRET_KEY: secretKey, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stopApi = track(() => stopChild(child));
    // Read to the end (a full pipe would stall the API); its last words say why it died or what it warned of.
    let output = '';
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const lastWords = () => output.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
    for (;;) {
      const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) }).then(
        async (response) => (await response.arrayBuffer(), response.status === 200),
        () => false,
      );
      if (ok) break;
      if (!alive(child)) throw new Error(`the API ${exitOf(child)}: ${lastWords()}`);
      if (performance.now() - spawnedAt > MANAGED.readyDeadlineMs) throw new Error(`the API not ready within ${MANAGED.readyDeadlineMs / 1000} s`);
      await sleep(50);
    }

    const ids = Array.from({ length: MANAGED.accounts }, (_, i) => `m-${String(i + 1).padStart(5, '0')}`);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const latencies: number[] = [];
    /** Answers other than 201 by status ("failed" for no answer), and the first body or error of each. */
    const others = new Map<string, { count: number; first: string }>();
    const other = (status: string, text: string) => {
      const seen = others.get(status);
      if (seen) seen.count += 1;
      else others.set(status, { count: 1, first: text.replace(/\s+/g, ' ').slice(0, 200) });
    };
    let next = 0;
    const before = await redisReading(redis.admin);
    const from = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(MANAGED.inFlight, ids.length) }, async () => {
        while (next < ids.length) {
          const id = ids[next++]!;
          const body = JSON.stringify({ id, provider: 'callbell', apiToken: `token-${id}-0123456789`, baseUrl: callbellUrl, rateLimit: MANAGED.rate });
          const sentAt = performance.now();
          try {
            const response = await fetch(`${url}/v1/accounts`, { method: 'POST', headers, body, signal: AbortSignal.timeout(60_000) });
            const text = await response.text();
            if (response.status === 201) {
              latencies.push(performance.now() - sentAt);
              row.created += 1;
            } else other(String(response.status), text);
          } catch (error) {
            other('failed', errorText(error));
          }
        }
      }),
    );
    row.totalSeconds = (performance.now() - from) / 1000;
    const after = await redisReading(redis.admin);
    // Everything Redis ran between the two readings, but the first reading's INFO.
    row.commandsPerCreate = (Object.entries(after.calls).reduce((sum, [name, calls]) => sum + calls - (before.calls[name] ?? 0), 0) - 1) / ids.length;
    row.createsPerSecond = row.created / row.totalSeconds;
    latencies.sort((a, b) => a - b);
    if (latencies.length > 0) {
      row.p50Ms = percentile(latencies, 0.5);
      row.p99Ms = percentile(latencies, 0.99);
    }
    for (const [status, { count, first }] of others) row.notes.push(`${fmt(count)} ${status === 'failed' ? 'got no answer' : `answered ${status}`}, first: ${first}`);
    if (!alive(child)) throw new Error(`the API ${exitOf(child)} during the creates: ${lastWords()}`);
    row.apiRssMb = rssBytes(child.pid!, readText) / 2 ** 20;
    await stopApi();
    // stopChild sends SIGKILL after 10 s: an API that needed it did not shut down on its own.
    if (child.signalCode === 'SIGKILL') row.notes.push('the API did not exit within 10 s of SIGTERM (killed)');
  } finally {
    await stopApi?.();
  }
}

// ---- run ------------------------------------------------------------------------------------------------------------
// Builds are told apart by their place on the command line, so one build given twice is an A/A check.
const labels = builds.map((build, index) => `${String.fromCharCode(65 + index)}: ${build} (${commitOf(build)})`);
const idle: IdleRow[] = [];
const fairness: FairnessRow[] = [];
const dashboard: DashboardRow[] = [];
const managed: ManagedRow[] = [];
const managedWorker: IdleRow[] = [];
try {
  const callbell = await CallbellSimulator.start({ credentials: 't' });
  track(() => callbell.close());
  try {
    for (const accounts of sections.has('idle') ? IDLE_ACCOUNTS : []) {
      // Builds interleaved for each size, so a VM slowing down over the run favours none.
      for (const index of builds.keys()) {
        const row = await idleRun(builds[index]!, labels[index]!, accounts, callbell.url);
        idle.push(row);
        console.log(
          `idle, ${labels[index]}, ${fmt(accounts)} accounts: started ${fmt(row.startedMs)} ms, /readyz ${fmt(row.readyzMs)} ms, ${fmt(row.connections)} connections, ${fmt(row.commandsPerSecond, 1)} commands/s, RSS ${fmt(row.rssMb)} MB${row.notes.length ? ` (${row.notes.join('; ')})` : ''}`,
        );
      }
    }
    for (const index of sections.has('dashboard') ? builds.keys() : []) {
      const row = await dashboardRun(builds[index]!, labels[index]!, callbell.url);
      dashboard.push(row);
      console.log(`dashboard, ${labels[index]}: page ${fmt(row.pageMs)} ms, queues ${fmt(row.firstQueuesMs)} ms first, ${fmt(row.queuesMs)} ms after, ${fmt(row.commandsPerRefresh)} commands a refresh${row.notes.length ? ` (${row.notes.join('; ')})` : ''}`);
    }
    for (const index of sections.has('managed') ? builds.keys() : []) {
      const { create, worker } = await managedRun(builds[index]!, labels[index]!, callbell.url);
      managed.push(create);
      console.log(
        `managed, ${labels[index]}: ${fmt(create.created)} of ${fmt(create.requested)} created in ${fmt(create.totalSeconds, 1)} s (${fmt(create.createsPerSecond)}/s, p50 ${fmt(create.p50Ms, 1)} ms, p99 ${fmt(create.p99Ms, 1)} ms), ${fmt(create.commandsPerCreate, 1)} Redis commands a create${create.notes.length ? ` (${create.notes.join('; ')})` : ''}`,
      );
      if (!worker) continue;
      managedWorker.push(worker);
      console.log(
        `managed, ${labels[index]}, worker: started ${fmt(worker.startedMs)} ms, /readyz ${fmt(worker.readyzMs)} ms, ${fmt(worker.connections)} connections, ${fmt(worker.commandsPerSecond, 1)} commands/s, RSS ${fmt(worker.rssMb)} MB${worker.notes.length ? ` (${worker.notes.join('; ')})` : ''}`,
      );
    }
  } finally {
    await callbell.close();
  }
  for (const index of sections.has('fairness') ? builds.keys() : []) {
    const row = await fairnessRun(builds[index]!, labels[index]!);
    fairness.push(row);
    if (row.failed) console.error(`FAIRNESS FAILED, ${labels[index]}: ${row.failed}`);
    else console.log(`fairness, ${labels[index]}: backlog alone ${fmt(row.backlogBefore)} closes/s, during ${fmt(row.totalDuring)} closes/s (ratio ${fmt(row.ratio, 2)})`);
  }
} finally {
  await Promise.allSettled([...running].map((stop) => stop()));
}

// ---- report ---------------------------------------------------------------------------------------------------------
const byCount = (counts: Record<string, number>, digits = 0, top = Infinity) =>
  Object.entries(counts)
    .sort(([, a], [, b]) => b - a)
    .slice(0, top)
    .map(([name, count]) => `${name} ${fmt(count, digits)}`)
    .join(', ') || '–';
function smallSummary(row: FairnessRow) {
  const done = row.smallSeconds.filter((s): s is number => s !== null).sort((a, b) => a - b);
  // A batch not done counts as slower than any done one.
  const all = [...done, ...row.smallSeconds.filter((s) => s === null).map(() => Infinity)];
  const pick = (p: number) => (all.length === 0 ? null : percentile(all, p));
  return { p50: pick(0.5), p99: pick(0.99), max: all.length === 0 ? null : all.at(-1)!, withinLimit: done.filter((s) => s <= WITHIN_S).length, done: done.length, batches: row.smallSeconds.length };
}
const secondsText = (value: number | null) => (value === Infinity ? `> ${SMALL_DEADLINE_MS / 1000}` : fmt(value, 2));
const idleTable = (rows: IdleRow[]) => [
  '| build | accounts | started ms | /readyz ms | Redis connections | by name | Redis commands/s idle | top commands/s | worker CPU % | Redis CPU % | others\' CPU % | worker RSS MB | notes |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    [
      r.build,
      fmt(r.accounts),
      fmt(r.startedMs),
      fmt(r.readyzMs),
      fmt(r.connections),
      byCount(r.connectionsByName),
      fmt(r.commandsPerSecond, 1),
      byCount(r.commandsByName, 1, 4),
      fmt(r.workerCpuPercent, 1),
      fmt(r.redisCpuPercent, 1),
      fmt(r.othersCpuPercent, 1),
      fmt(r.rssMb),
      r.notes.join('; ').replace(/\|/g, '\\|') || '–',
    ].join(' | '),
  ).map((line) => `| ${line} |`),
];

const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}; cpu loop ${Math.round(loopMs)} ms`;
const fairnessSummaries = fairness.map((row) => ({ ...row, small: smallSummary(row) }));
const report = [
  '## Scale: one worker process by its number of accounts',
  '',
  `Machine: ${machine} (300 million steps, see cpuLoopMs in bench/measures.ts), ${new Date().toISOString().slice(0, 10)}.`,
  '',
  'Builds:',
  ...labels.map((label) => `- ${label}`),
  '',
  `### Idle footprint: one worker process, N Callbell accounts at 50/s, no jobs`,
  '',
  `A fresh redis-server (maxclients ${fmt(MAX_CLIENTS)}) per row. Started: ms from spawn to the "workers started" log line; ready: to /readyz 200`,
  `(both within ${START_DEADLINE_MS / 1000} s). Connections: CLIENT LIST but the bench's own, by client name up to its first ':', after the idle window.`,
  `Commands/s, CPU (% of one core) and RSS over and after ${IDLE_WINDOW_MS / 1000} s idle once ready; commands are INFO commandstats, the bench's INFO`,
  'taken out: a script counts once for its EVALSHA and once per command it runs. Others\' CPU: what the rest of the host used meanwhile',
  '(all of it but the worker, its redis-server, the simulators and the bench), % of one core: another load on a shared VM shows here',
  '(a few % either way, below zero too, is the kernel\'s accounting).',
  '',
  ...idleTable(idle),
  '',
  `### Fairness: ${fmt(SMALL.accounts)} small accounts (${SMALL.rate}) get ${SMALL.closes} closes each while \`${BACKLOG.id}\` (${BACKLOG.rate}) works through ${fmt(BACKLOG.closes)}`,
  '',
  `One worker process, CLOSER_WORKER_CONCURRENCY=${CONCURRENCY} and CLOSER_ACCOUNT_CONCURRENCY=${CONCURRENCY}, ${fmt(SMALL.accounts + 1)} Peach accounts on one simulator`,
  `(a child process). The backlog is enqueued first (${fmt(BACKLOG.perRequest)}-ref requests of this checkout's producer library); its closes/s alone`,
  `are measured over ${RATE_WINDOW_MS / 1000} s, ${WARMUP_MS / 1000} s after its enqueue; then the small batches are enqueued back to back. Small batch: s from the start`,
  `of its enqueue until \`producer.batch(id).done\` (polled every ${POLL_MS} ms). During: closes ended (completed or dead-lettered) by every account from`,
  `the first small enqueue to the last small batch done, per second; ratio: during / backlog alone before. After: the backlog alone again.`,
  `Others' CPU: as above, from the backlog's enqueue to the end of "after".`,
  '',
  `| build | backlog alone before, closes/s | small batch p50 / p99 / max s | done within ${WITHIN_S} s | window s | during: all accounts, closes/s | during: backlog, closes/s | ratio during / before | backlog alone after, closes/s | others' CPU % | notes |`,
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...fairnessSummaries.map((r) =>
    r.failed
      ? `| ${r.build} | ${fmt(r.backlogBefore)} | **failed: ${r.failed.replace(/\|/g, '\\|')}** | | | | | | | | |`
      : `| ${[
          r.build,
          fmt(r.backlogBefore),
          `${secondsText(r.small.p50)} / ${secondsText(r.small.p99)} / ${secondsText(r.small.max)}`,
          `${r.small.withinLimit} of ${r.small.batches}`,
          fmt(r.windowSeconds, 2),
          fmt(r.totalDuring),
          fmt(r.backlogDuring),
          fmt(r.ratio, 2),
          fmt(r.backlogAfter),
          fmt(r.othersCpuPercent, 1),
          r.notes.join('; ').replace(/\|/g, '\\|') || '–',
        ].join(' | ')} |`,
  ),
  '',
  `### Dashboard: the API process with ${fmt(DASHBOARD.accounts)} Callbell accounts, ${DASHBOARD.busy} of them with a close waiting`,
  '',
  'A fresh redis-server per row, the API process of the build alone (no worker). Page: GET /dashboard. Queues: GET /dashboard/api/queues, what the',
  `page asks for when it opens and on every refresh: the first, then the median of ${DASHBOARD.refreshes}, with the Redis commands each cost (INFO commandstats).`,
  '',
  '| build | API ready ms | page ms | queues, first ms | queues, refresh ms | queues listed | Redis commands per refresh | API RSS MB | notes |',
  '|---|---|---|---|---|---|---|---|---|',
  ...dashboard.map(
    (r) =>
      `| ${[r.build, fmt(r.readyMs), fmt(r.pageMs), fmt(r.firstQueuesMs), fmt(r.queuesMs), fmt(r.queuesListed), fmt(r.commandsPerRefresh), fmt(r.apiRssMb), r.notes.join('; ').replace(/\|/g, '\\|') || '–'].join(' | ')} |`,
  ),
  '',
  `### Managed accounts: ${fmt(MANAGED.accounts)} created through the API, then one worker process serving them`,
  '',
  `A fresh redis-server per build, the API process of the build alone (CLOSER_SECRET_KEY set, no accounts file): ${fmt(MANAGED.accounts)} Callbell accounts`,
  `(${MANAGED.rate}) made with POST /v1/accounts, ${MANAGED.inFlight} requests in flight on kept-alive connections. Total: from the first create sent to the last`,
  'answer; a create\'s latency: from sending it to its whole answer read (201s only). Redis commands per create: everything Redis ran while the',
  'creates went on (the API\'s background work too; INFO commandstats, the bench\'s INFO taken out), divided by the creates sent. API RSS: after',
  'the last create. Then the API is stopped and one worker process of the build starts on that Redis with the same key and no accounts file, so',
  'it serves the managed accounts alone; it is measured as in the idle table above.',
  '',
  '| build | accounts | total s | creates/s | p50 ms | p99 ms | Redis commands per create | API RSS MB | notes |',
  '|---|---|---|---|---|---|---|---|---|',
  ...managed.map(
    (r) =>
      `| ${[r.build, fmt(r.created), fmt(r.totalSeconds, 1), fmt(r.createsPerSecond), fmt(r.p50Ms, 1), fmt(r.p99Ms, 1), fmt(r.commandsPerCreate, 1), fmt(r.apiRssMb), r.notes.join('; ').replace(/\|/g, '\\|') || '–'].join(' | ')} |`,
  ),
  '',
  ...idleTable(managedWorker),
].join('\n');
console.log(`\n${report}`);
writeFileSync(here('./scale.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, cpuLoopMs: loopMs, builds: labels, idle, fairness: fairnessSummaries, dashboard, managed, managedWorker, report }, null, 2)}\n`);
if (fairness.some((row) => row.failed)) {
  console.error('\nfairness failed for at least one build (see the table)');
  process.exitCode = 1;
}
process.exit();
