// npm run bench:callbacks
// How soon a signed batch.done callback follows a batch's end, and how soon a high-priority close runs on an account
// busy with a backlog (issue 21), against this checkout's build (dist/workers/worker.js):
// 1. Callback latency: R batches of 10 closes (BENCH_CALLBACK_BATCHES, 100), one after another, each asking for a
//    callback to a local receiver that verifies it with `standardwebhooks`; latency = arrival − the batch's finishedAt.
// 2. Priority: a backlog of BENCH_PRIORITY_BACKLOG closes (10,000) on an account at 50/s; once 100 of them are done,
//    5 high-priority closes of one conversation, 2 s apart, each timed from its send to its batch done.
// One worker process, the API in this process (startApi), a Peach simulator in a child process, a throwaway
// redis-server; everything started is stopped at the end, on errors and on Ctrl-C. Writes dist/bench/callbacks.json.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config/load-config.js';
import { rateOf } from '../src/config/rate.js';
import type { AccountConfig, Config } from '../src/config/types.js';
import { createLogger } from '../src/logger.js';
import { startApi } from '../src/runtime/start-api.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { envFor } from '../test/helpers/worker-process.js';
import { buildOf, cpuLoopMs, createStops, errorText, fmt, machineLine, median, percentile } from './measures.js';
import { startSimulator, stopChild } from './processes.js';

// ---- settings -------------------------------------------------------------------------------------------------------
function wholeEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name}: must be a whole number above 0, not ${process.env[name]}`);
  return value;
}
const BATCHES = wholeEnv('BENCH_CALLBACK_BATCHES', 100);
const BATCH_CLOSES = 10;
const FAST = { id: 'peach-fast', rate: '1000/s' };
const SLOW = { id: 'peach-slow', rate: '50/s' };
/** A callback not here this long after its batch was sent counts as missing (the callback job's own look comes every 30 s). */
const CALLBACK_DEADLINE_MS = 45_000;
const BACKLOG = { closes: wholeEnv('BENCH_PRIORITY_BACKLOG', 10_000), perRequest: 10_000, startedAfter: 100 };
const URGENT = { count: 5, everyMs: 2_000, pollMs: 20, deadlineMs: 30_000 };
/** The issue's target for a high-priority close behind a backlog. */
const TARGET_MS = 1_000;
const START_DEADLINE_MS = 60_000;
const TOKEN = 'bench-token';

// Before anything else runs, so nothing of the benchmark's own slows it.
const loopMs = cpuLoopMs();
console.log(`cpu loop: ${Math.round(loopMs)} ms (300 million steps; see cpuLoopMs in bench/measures.ts)`);

const here = (file: string) => new URL(file, import.meta.url).pathname;
const base = loadConfig({});
const logger = createLogger({ level: 'silent' });
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Now, in ms since the epoch with sub-ms precision. */
const epochNow = () => performance.timeOrigin + performance.now();
const refs = (ids: readonly number[]) => ids.map((conversationId) => ({ conversationId }));

/** Everything started, stopped newest first (the worker before Redis) at the end, on errors and on Ctrl-C. */
const { track, stopAll } = createStops();

// ---- the receiver ---------------------------------------------------------------------------------------------------
interface Delivery {
  /** From webhook-id (batch.done_<batchId>), else from the body. */
  batchId: string | undefined;
  /** When its body had arrived whole, ms since the epoch. */
  arrivedAt: number;
  verified: boolean;
  payload: unknown;
  error?: string;
}

/** A node:http receiver on 127.0.0.1 that stamps each delivery, verifies it the Standard Webhooks way and answers 200. */
async function startReceiver(secret: string) {
  const webhook = new Webhook(secret);
  const deliveries: Delivery[] = [];
  const waiting = new Map<string, (delivery: Delivery) => void>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const arrivedAt = epochNow();
      const body = Buffer.concat(chunks).toString();
      const id = request.headers['webhook-id'];
      const delivery: Delivery = { batchId: typeof id === 'string' && id.startsWith('batch.done_') ? id.slice('batch.done_'.length) : undefined, arrivedAt, verified: false, payload: undefined };
      try {
        delivery.payload = webhook.verify(body, request.headers as Record<string, string>);
        delivery.verified = true;
      } catch (error) {
        delivery.error = errorText(error);
        try {
          delivery.payload = JSON.parse(body);
        } catch {
          // neither signed nor JSON: kept as a delivery of no batch
        }
      }
      delivery.batchId ??= (delivery.payload as { batchId?: string } | undefined)?.batchId;
      deliveries.push(delivery);
      // 200 whatever the verification said: a refusal would be retried, and a retry would read as a second delivery.
      response.writeHead(200).end();
      if (delivery.batchId !== undefined) waiting.get(delivery.batchId)?.(delivery);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const stop = track(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/batch-done`,
    deliveries,
    /** The first delivery for this batch, or undefined after `timeoutMs`. */
    waitFor(batchId: string, timeoutMs: number): Promise<Delivery | undefined> {
      const seen = deliveries.find((delivery) => delivery.batchId === batchId);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(batchId);
          resolve(undefined);
        }, timeoutMs);
        waiting.set(batchId, (delivery) => {
          clearTimeout(timer);
          waiting.delete(batchId);
          resolve(delivery);
        });
      });
    },
    stop,
  };
}

// ---- the worker process ---------------------------------------------------------------------------------------------
/** A worker process of this build (dist/workers/worker.js) for `config`, with the callback settings; resolves once its workers started. */
async function startWorker(config: Config, secret: string) {
  const env = envFor(config);
  const child = spawn(process.execPath, [here('../workers/worker.js')], {
    env: { ...env, CLOSER_CALLBACK_SECRET: secret, CLOSER_CALLBACK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = track(() => stopChild(child));
  // Read to the end (a full pipe would stall the worker); its last words say why it died.
  let tail = '';
  let partial = '';
  let started = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.includes('workers started')) started = true;
      tail = `${tail}\n${line.slice(0, 1_000)}`.slice(-4_000);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4_000)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const reason = () => {
    const lines = tail.trim().split('\n');
    return (lines.find((l) => /^[\w$.]*Error\b|FATAL|"level":(50|60)/.test(l)) ?? lines.at(-1) ?? '').trim().slice(0, 300);
  };
  try {
    const deadline = performance.now() + START_DEADLINE_MS;
    while (!started) {
      if (!alive()) throw new Error(`the worker exited (${child.exitCode ?? child.signalCode}) before "workers started": ${reason()}`);
      if (performance.now() > deadline) throw new Error(`the worker did not start within ${START_DEADLINE_MS / 1000} s: ${reason()}`);
      await sleep(20);
    }
  } finally {
    rmSync(env.CLOSER_ACCOUNTS_FILE!, { force: true });
  }
  return {
    child,
    /** Throws when the worker died. */
    check() {
      if (!alive()) throw new Error(`the worker exited (${child.exitCode ?? child.signalCode}): ${reason()}`);
    },
    stop,
  };
}

// ---- the API --------------------------------------------------------------------------------------------------------
interface BatchReport {
  batchId: string;
  total: number;
  completed: number;
  deadLettered: number;
  pending: number;
  done: boolean;
  finishedAt: string | null;
  callback?: { state: string; attempts: number; lastStatus: number | null };
}

function apiClient(url: string) {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  return {
    async close(body: object): Promise<{ batchId: string; accepted: number }> {
      const response = await fetch(`${url}/v1/close`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(120_000) });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`POST /v1/close answered ${response.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as { batchId: string; accepted: number };
    },
    async batch(batchId: string): Promise<BatchReport> {
      const response = await fetch(`${url}/v1/batches/${encodeURIComponent(batchId)}`, { headers: { authorization: headers.authorization }, signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`GET /v1/batches/${batchId} answered ${response.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text) as BatchReport;
    },
    async cancel(batchId: string): Promise<void> {
      const response = await fetch(`${url}/v1/batches/${encodeURIComponent(batchId)}/cancel`, { method: 'POST', headers: { authorization: headers.authorization }, signal: AbortSignal.timeout(60_000) });
      await response.arrayBuffer();
    },
  };
}
type Api = ReturnType<typeof apiClient>;
type Receiver = Awaited<ReturnType<typeof startReceiver>>;
type Worker = Awaited<ReturnType<typeof startWorker>>;

// ---- 1. callback latency --------------------------------------------------------------------------------------------
interface CallbackBatch {
  batchId: string;
  /** From the send of its close request to its finishedAt, ms. */
  runMs: number | null;
  /** From its finishedAt to the callback's arrival, ms; null: no callback within CALLBACK_DEADLINE_MS. */
  latencyMs: number | null;
  verified: boolean;
  /** The verified payload's counts are the batch's (total 10, completed 10). */
  countsRight: boolean;
  /** Deliveries for it, counted at the end of the whole run; its callback state then. */
  deliveries: number;
  state: string;
  attempts: number;
}

async function callbackRun(api: Api, receiver: Receiver, worker: Worker, take: (count: number) => number[]): Promise<CallbackBatch[]> {
  const batches: CallbackBatch[] = [];
  for (let index = 0; index < BATCHES; index += 1) {
    const sentAt = epochNow();
    const { batchId, accepted } = await api.close({ account: FAST.id, conversations: refs(take(BATCH_CLOSES)), callback: { url: receiver.url } });
    if (accepted !== BATCH_CLOSES) throw new Error(`batch ${index + 1} accepted ${accepted} of ${BATCH_CLOSES}`);
    const delivery = await receiver.waitFor(batchId, CALLBACK_DEADLINE_MS);
    worker.check();
    const report = await api.batch(batchId);
    const finishedAt = report.finishedAt === null ? null : Date.parse(report.finishedAt);
    const payload = delivery?.payload as { total?: number; completed?: number } | undefined;
    batches.push({
      batchId,
      runMs: finishedAt === null ? null : finishedAt - sentAt,
      latencyMs: delivery && finishedAt !== null ? delivery.arrivedAt - finishedAt : null,
      verified: delivery?.verified ?? false,
      countsRight: payload?.total === BATCH_CLOSES && payload.completed === BATCH_CLOSES,
      deliveries: 0,
      state: report.callback?.state ?? 'none',
      attempts: report.callback?.attempts ?? 0,
    });
    if (!delivery) console.error(`batch ${index + 1} (${batchId}): no callback within ${CALLBACK_DEADLINE_MS / 1000} s`);
  }
  return batches;
}

// ---- 2. priority ----------------------------------------------------------------------------------------------------
interface UrgentClose {
  /** From the send of its request to the poll that found its batch done, ms; null: not done within URGENT.deadlineMs. */
  polledMs: number | null;
  /** From the send to its batch's finishedAt (the worker's clock, ms precision), ms. */
  finishedMs: number | null;
  /** The backlog's closes completed and still pending when it was found done. */
  backlogCompleted: number;
  backlogPending: number;
  deadLettered: number;
}

interface PriorityResult {
  urgent: UrgentClose[];
  /** From the backlog's first request sent to its 100th close completed, s. */
  startSeconds: number;
}

async function priorityRun(api: Api, worker: Worker, take: (count: number) => number[]): Promise<PriorityResult> {
  const backlogBatches: string[] = [];
  try {
    const ids = take(BACKLOG.closes);
    const enqueueStart = performance.now();
    for (let first = 0; first < ids.length; first += BACKLOG.perRequest) {
      const chunk = ids.slice(first, first + BACKLOG.perRequest);
      const answer = await api.close({ account: SLOW.id, conversations: refs(chunk) });
      backlogBatches.push(answer.batchId);
      if (answer.accepted !== chunk.length) throw new Error(`the backlog enqueue accepted ${answer.accepted} of ${chunk.length}`);
    }
    const backlog = async () => {
      const reports = await Promise.all(backlogBatches.map((id) => api.batch(id)));
      return { completed: reports.reduce((sum, r) => sum + r.completed, 0), pending: reports.reduce((sum, r) => sum + r.pending, 0) };
    };
    while ((await backlog()).completed < BACKLOG.startedAfter) {
      worker.check();
      if (performance.now() - enqueueStart > 60_000) throw new Error(`fewer than ${BACKLOG.startedAfter} backlog closes completed within 60 s of its enqueue`);
      await sleep(50);
    }
    const startSeconds = (performance.now() - enqueueStart) / 1000;
    const urgent: UrgentClose[] = [];
    const from = performance.now();
    for (let index = 0; index < URGENT.count; index += 1) {
      await sleep(Math.max(0, from + index * URGENT.everyMs - performance.now()));
      const [id] = take(1);
      const sentAtEpoch = epochNow();
      const sentAt = performance.now();
      const { batchId } = await api.close({ account: SLOW.id, priority: 'high', conversations: refs([id!]) });
      let report = await api.batch(batchId);
      while (!report.done && performance.now() - sentAt < URGENT.deadlineMs) {
        await sleep(URGENT.pollMs);
        report = await api.batch(batchId);
      }
      const polledMs = report.done ? performance.now() - sentAt : null;
      const behind = await backlog();
      worker.check();
      urgent.push({
        polledMs,
        finishedMs: report.finishedAt === null ? null : Date.parse(report.finishedAt) - sentAtEpoch,
        backlogCompleted: behind.completed,
        backlogPending: behind.pending,
        deadLettered: report.deadLettered,
      });
      console.log(`priority ${index + 1}: done ${fmt(polledMs)} ms after its send, ${fmt(behind.completed)} backlog closes completed, ${fmt(behind.pending)} pending`);
    }
    return { urgent, startSeconds };
  } finally {
    // The rest of the backlog is not needed: cancelled, so the worker stops at once.
    await Promise.allSettled(backlogBatches.map((id) => api.cancel(id)));
  }
}

// ---- run ------------------------------------------------------------------------------------------------------------
const secret = `whsec_${randomBytes(32).toString('base64')}`;
let callbacks: CallbackBatch[] = [];
let priority: PriorityResult | undefined;
let strays = 0;
const failures: string[] = [];
try {
  const redis = await startRedis();
  track(() => redis.stop());
  const sim = await startSimulator(BATCHES * BATCH_CLOSES + BACKLOG.closes + URGENT.count + 100);
  track(() => sim.stop());
  let next = sim.first;
  const take = (count: number) => Array.from({ length: count }, () => next++);
  const receiver = await startReceiver(secret);
  const peach = ({ id, rate }: { id: string; rate: string }): AccountConfig => ({ id, provider: 'peach', baseUrl: sim.url, apiKey: 'bench-key', rateLimit: rateOf(rate) });
  const config: Config = {
    ...base,
    redisUrl: redis.url,
    apiToken: TOKEN,
    logLevel: 'silent',
    port: 0,
    healthPort: 0,
    queuePrefix: `b${randomUUID().slice(0, 8)}`,
    callbackSecret: secret,
    callbackAllowPrivate: true,
    accounts: [peach(FAST), peach(SLOW)],
  };
  const runtime = await startApi(config, logger, { host: '127.0.0.1' });
  track(() => runtime.close());
  const deadline = performance.now() + 10_000;
  while (!(await runtime.producer.readiness()).ready) {
    if (performance.now() > deadline) throw new Error('the API found Redis not ready');
    await sleep(50);
  }
  const api = apiClient(runtime.url);
  const worker = await startWorker(config, secret);

  try {
    callbacks = await callbackRun(api, receiver, worker, take);
    const latencies = callbacks.flatMap((b) => (b.latencyMs === null ? [] : [b.latencyMs])).sort((a, b) => a - b);
    console.log(`callbacks: ${latencies.length} of ${callbacks.length} arrived, p50 ${fmt(latencies.length ? percentile(latencies, 0.5) : null, 1)} ms, max ${fmt(latencies.at(-1), 1)} ms`);
  } catch (error) {
    failures.push(`callbacks: ${errorText(error)}`);
  }
  try {
    priority = await priorityRun(api, worker, take);
  } catch (error) {
    failures.push(`priority: ${errorText(error)}`);
  }
  // Deliveries are counted last, the priority section's seconds after the last batch: a second delivery has had time to come.
  for (const batch of callbacks) {
    batch.deliveries = receiver.deliveries.filter((delivery) => delivery.batchId === batch.batchId).length;
    const report = await api.batch(batch.batchId).catch(() => undefined);
    batch.state = report?.callback?.state ?? batch.state;
    batch.attempts = report?.callback?.attempts ?? batch.attempts;
  }
  const ours = new Set(callbacks.map((batch) => batch.batchId));
  strays = receiver.deliveries.filter((delivery) => delivery.batchId === undefined || !ours.has(delivery.batchId)).length;
} catch (error) {
  failures.push(errorText(error));
} finally {
  await stopAll();
}

// ---- report ---------------------------------------------------------------------------------------------------------
const machine = machineLine(loopMs);
const commit = buildOf(here('../..'));

const latencies = callbacks.flatMap((b) => (b.latencyMs === null ? [] : [b.latencyMs])).sort((a, b) => a - b);
const runs = callbacks.flatMap((b) => (b.runMs === null ? [] : [b.runMs]));
const byDeliveries = (count: (n: number) => boolean) => callbacks.filter((b) => count(b.deliveries)).length;
const callbackSummary = {
  batches: callbacks.length,
  arrived: latencies.length,
  verified: callbacks.filter((b) => b.verified).length,
  countsRight: callbacks.filter((b) => b.countsRight).length,
  once: byDeliveries((n) => n === 1),
  never: byDeliveries((n) => n === 0),
  more: byDeliveries((n) => n > 1),
  deliveredOnFirstAttempt: callbacks.filter((b) => b.state === 'delivered' && b.attempts === 1).length,
  strays,
  firstMs: callbacks[0]?.latencyMs ?? null,
  p50Ms: latencies.length ? percentile(latencies, 0.5) : null,
  p99Ms: latencies.length ? percentile(latencies, 0.99) : null,
  maxMs: latencies.at(-1) ?? null,
  runP50Ms: runs.length ? median(runs) : null,
};
const urgent = priority?.urgent ?? [];
// A close not done counts as slower than any done one.
const urgentMs = urgent.map((u) => u.polledMs ?? Infinity);
const urgentSummary = {
  medianMs: urgentMs.length ? median(urgentMs) : null,
  maxMs: urgentMs.length ? Math.max(...urgentMs) : null,
  withinTarget: urgentMs.filter((ms) => ms <= TARGET_MS).length,
};
const msText = (value: number | null, digits = 0) => (value === Infinity ? `> ${fmt(URGENT.deadlineMs)}` : fmt(value, digits));

const notes: string[] = [...failures.map((failure) => `**failed**: ${failure}`)];
if (callbacks.length > 0 && callbackSummary.once !== callbacks.length) notes.push(`deliveries per batch: ${callbackSummary.never} batches got none, ${callbackSummary.more} more than one (each must get exactly 1)`);
if (callbackSummary.verified !== callbacks.length) notes.push(`${callbacks.length - callbackSummary.verified} of ${callbacks.length} callbacks did not arrive with a verified signature`);
if (strays > 0) notes.push(`${strays} deliveries of no batch of this run`);
if (urgent.some((u) => u.polledMs === null || u.polledMs > TARGET_MS)) notes.push(`${urgent.length - urgentSummary.withinTarget} of ${urgent.length} high-priority closes took more than ${TARGET_MS / 1000} s`);
if (urgent.some((u) => u.backlogPending === 0)) notes.push('the backlog ran out before a high-priority close: that one had nothing to overtake');

const report = [
  '### Callbacks and priority',
  '',
  `Machine: ${machine} (300 million steps, see cpuLoopMs in bench/measures.ts), ${new Date().toISOString().slice(0, 10)}; build ${commit}.`,
  '',
  `One worker process (dist/workers/worker.js, CLOSER_WORKER_CONCURRENCY and CLOSER_ACCOUNT_CONCURRENCY at their defaults,`,
  `${base.jobs.concurrency} and ${base.jobs.accountConcurrency}), the API in the benchmark process (startApi), a throwaway redis-server, two Peach accounts on one`,
  `simulator in a child process: \`${FAST.id}\` at ${FAST.rate} and \`${SLOW.id}\` at ${SLOW.rate}. Callbacks: ${fmt(BATCHES)} batches of ${BATCH_CLOSES} closes on`,
  `\`${FAST.id}\`, one after another (the next sent once the previous one's callback arrived), each with \`"callback": {"url"}\``,
  `to a node:http receiver on 127.0.0.1 in the benchmark process, which stamps a delivery when its body has arrived and verifies it`,
  `with \`new Webhook(secret).verify(body, headers)\` (standardwebhooks). Latency: that stamp minus the batch's \`finishedAt\` (GET`,
  `/v1/batches/:id, when its last close ended: the worker's clock, whole ms, so a latency may read up to 1 ms long); one host, one clock.`,
  `Deliveries per batch are counted at the end of the run, after the priority section. Priority: ${fmt(BACKLOG.closes)} closes on \`${SLOW.id}\``,
  `(requests of at most ${fmt(BACKLOG.perRequest)} refs); once ${BACKLOG.startedAfter} of them were completed (${fmt(priority?.startSeconds, 1)} s after the enqueue began),`,
  `${URGENT.count} closes of one conversation each with \`"priority": "high"\`, sent ${URGENT.everyMs / 1000} s apart, each timed from its send to the poll`,
  `(GET /v1/batches/:id every ${URGENT.pollMs} ms) that found its batch done, and to its \`finishedAt\`. Target: within ${TARGET_MS / 1000} s.`,
  '',
  `| batches | arrived, verified signature | payload counts right | deliveries per batch: 1 / 0 / more | state delivered, 1 attempt | first ms | p50 ms | p99 ms | max ms | send → batch end, p50 ms |`,
  '|---|---|---|---|---|---|---|---|---|---|',
  `| ${[
    fmt(callbackSummary.batches),
    `${fmt(callbackSummary.verified)} of ${fmt(callbackSummary.batches)}`,
    fmt(callbackSummary.countsRight),
    `${callbackSummary.once} / ${callbackSummary.never} / ${callbackSummary.more}`,
    fmt(callbackSummary.deliveredOnFirstAttempt),
    fmt(callbackSummary.firstMs, 1),
    fmt(callbackSummary.p50Ms, 1),
    fmt(callbackSummary.p99Ms, 1),
    fmt(callbackSummary.maxMs, 1),
    fmt(callbackSummary.runP50Ms, 1),
  ].join(' | ')} |`,
  '',
  `| high-priority close | send → done (polled), ms | send → finishedAt, ms | backlog completed | backlog pending |`,
  '|---|---|---|---|---|',
  ...urgent.map((u, index) => `| ${[index + 1, msText(u.polledMs), fmt(u.finishedMs), fmt(u.backlogCompleted), fmt(u.backlogPending)].join(' | ')} |`),
  `| median / max | ${msText(urgentSummary.medianMs)} / ${msText(urgentSummary.maxMs)} | | | |`,
  '',
  `Within ${TARGET_MS / 1000} s: ${urgentSummary.withinTarget} of ${urgent.length}.`,
  ...(notes.length ? ['', ...notes.map((note) => `- ${note}`)] : []),
].join('\n');
console.log(`\n${report}`);
writeFileSync(here('./callbacks.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, cpuLoopMs: loopMs, build: commit, callbacks: { summary: callbackSummary, batches: callbacks }, priority: { ...urgentSummary, ...priority }, failures, report }, null, 2)}\n`);
// A failed section or a callback missing, repeated or unverified fails the run; a slow high-priority close is a measurement.
if (failures.length > 0 || (callbacks.length > 0 && (callbackSummary.once !== callbacks.length || callbackSummary.verified !== callbacks.length)) || strays > 0) process.exitCode = 1;
process.exit();
