// node dist/bench/costs.js (after `npx tsc -p tsconfig.bench.json`): what each part of a close costs in CPU,
// switched on one at a time, so BENCHMARKS.md can say where closer's extra CPU per close goes. Prints a table;
// writes nothing. COSTS_N jobs per measurement (default 10,000), COSTS_RUNS interleaved runs (default 5).
import { Queue, Worker, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import { rateOf } from '../src/config/rate.js';
import type { PeachAccount } from '../src/config/types.js';
import { conversationEnd, createBatchStore } from '../src/batches/batch-store.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics/metrics.js';
import { createHttpClient } from '../src/providers/http/create-http-client.js';
import { createPeachClient } from '../src/providers/peach/peach-client.js';
import { closeJobOptions } from '../src/queues/close-job.js';
import { keyNames } from '../src/queues/names.js';
import { createAccountRateLimiter } from '../src/rate-limit/account-rate-limiter.js';
import { createBatchMarks } from '../src/worker/batch-marks.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { median, ownCpuMs, redisCpuMs } from './measures.js';
import { closeRequester } from './close-requests.js';
import { startSimulator } from './processes.js';

const N = Number(process.env.COSTS_N ?? 10_000);
const RUNS = Number(process.env.COSTS_RUNS ?? 5);
const CONCURRENCY = 10;
const KEY = 'bench-key';

const redisServer = await startRedis();
const admin = new Redis(redisServer.url);

type Cost = { ownUs: number; redisUs: number };
/** CPU per item of `run`, in this process and in Redis. */
async function measure(run: () => Promise<void>): Promise<Cost> {
  const [own, redis] = [ownCpuMs(), await redisCpuMs(admin)];
  await run();
  return { ownUs: ((ownCpuMs() - own) * 1000) / N, redisUs: (((await redisCpuMs(admin)) - redis) * 1000) / N };
}

// ---- queue side: enqueue and complete N jobs with a processor that does nothing (or only the batch mark) ----
type QueueVariant = { jobOptions: (index: number) => JobsOptions; data: (index: number) => object; closerWorker: boolean; mark: boolean };
const settings = loadConfig({}).jobs;
const jobs = closeJobOptions(settings);
const closerShaped = (overrides: Partial<QueueVariant> = {}): QueueVariant => ({
  jobOptions: (index) => ({ ...jobs, jobId: `batch-peach.${index}`, deduplication: { id: `peach:${index}` } }),
  data: (index) => ({ account: 'peach', ref: { conversationId: index }, batchId: 'batch' }),
  closerWorker: true,
  mark: false,
  ...overrides,
});
const queueVariants: Record<string, QueueVariant> = {
  'bare job (as the bare worker)': { jobOptions: () => ({ removeOnComplete: { count: 100_000 } }), data: (index) => ({ id: index }), closerWorker: false, mark: false },
  "closer's job and worker settings": closerShaped(),
  '… without deduplication ids': closerShaped({ jobOptions: (index) => ({ ...jobs, jobId: `batch-peach.${index}` }) }),
  '… without retention by age': closerShaped({ jobOptions: (index) => ({ ...jobs, removeOnComplete: { count: 10_000 }, jobId: `batch-peach.${index}`, deduplication: { id: `peach:${index}` } }) }),
  '… with the batch mark': closerShaped({ mark: true }),
};
let round = 0;

async function runQueue(variant: QueueVariant): Promise<Cost> {
  const keys = keyNames(`costs${(round += 1)}`);
  const prefix = keys.queuePrefix('peach');
  const connection = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const queue = new Queue('q', { connection, prefix });
  const store = createBatchStore(connection, keys);
  const marks = createBatchMarks({ markCompleted: (batchId, ends, options) => store.markCompleted('peach', batchId, ends, options) }, createLogger({ level: 'silent' }));
  let worker: Worker | undefined;
  try {
    return await measure(async () => {
      for (let start = 0; start < N; start += 1_000) {
        const indexes = Array.from({ length: Math.min(1_000, N - start) }, (_, offset) => start + offset);
        await queue.addBulk(indexes.map((index) => ({ name: 'close', data: variant.data(index), opts: variant.jobOptions(index) })));
      }
      let completed = 0;
      const allDone = new Promise<void>((resolve) => {
        worker = new Worker(
          'q',
          async (job) => {
            if (variant.mark) await marks.completed({ batchId: 'batch', jobId: job.id!, event: conversationEnd({ conversationId: 1 }, { outcome: 'closed' }) }, { skipped: false });
            return { outcome: 'closed', status: 200 };
          },
          {
            connection,
            prefix,
            concurrency: CONCURRENCY,
            // As account-worker.ts sets them: the queue limiter that lets a 429 pause the account, stall detection.
            ...(variant.closerWorker
              ? { limiter: { max: Number.MAX_SAFE_INTEGER - 1, duration: 1 }, maxStalledCount: 3, lockDuration: settings.lockDurationMs, stalledInterval: settings.lockDurationMs }
              : {}),
          },
        );
        worker.on('completed', () => {
          if ((completed += 1) === N) resolve();
        });
      });
      await allDone;
      await marks.drain();
    });
  } finally {
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

// ---- client side: N closes against the Peach simulator, CONCURRENCY at a time, layer by layer ----
const simulator = await startSimulator(N * (RUNS + 1) * 5 + 1_000, KEY);
let nextId = simulator.first;
const http = createHttpClient({ timeoutMs: 10_000 });
const account: PeachAccount = { id: 'peach', provider: 'peach', baseUrl: simulator.url, apiKey: KEY, rateLimit: rateOf('1000000/s') };
const limiterRedis = new Redis(redisServer.url);
const limiter = createAccountRateLimiter({ redis: limiterRedis, key: '{costs}:limiter', logKey: '{costs}:sent', rate: account.rateLimit, leaseSize: CONCURRENCY });
const metrics = createMetrics({ processMetrics: false });
const observe = (operation: string, status: string, seconds: number) => {
  metrics.providerRequests.inc({ account: 'peach', operation, status });
  metrics.providerLatency.observe({ account: 'peach', operation }, seconds);
};
const plainClient = createPeachClient({ account, http: http.got });
const limitedClient = createPeachClient({ account, http: http.got, acquireSend: () => limiter.acquire() });
const observedClient = createPeachClient({ account, http: http.got, acquireSend: () => limiter.acquire(), observe });
const clientVariants: Record<string, (id: number) => Promise<unknown>> = {
  'got as the bare worker sets it up': closeRequester('got', simulator.url, KEY),
  "got as closer calls it (its client: timeout, agents, no redirects, empty cache options; stream API)": closeRequester('closer-got', simulator.url, KEY),
  "closer's Peach client (answer checked and parsed)": (id) => plainClient.close({ conversationId: id }),
  '… with the rate limiter at 1,000,000/s': (id) => limitedClient.close({ conversationId: id }),
  '… and the Prometheus updates of a close': async (id) => {
    const started = Date.now();
    const result = await observedClient.close({ conversationId: id });
    metrics.closes.inc({ account: 'peach', outcome: result.outcome });
    metrics.enqueueToClose.observe({ account: 'peach' }, (Date.now() - started) / 1000);
  },
};

async function runClient(close: (id: number) => Promise<unknown>): Promise<Cost> {
  const ids = Array.from({ length: N }, () => (nextId += 1));
  let next = 0;
  return measure(async () => {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ids.length) await close(ids[(next += 1) - 1]!);
      }),
    );
  });
}

/** One unmeasured run of each (JIT), then RUNS runs, every other one in reverse order. */
async function compare<V>(variants: Record<string, V>, run: (variant: V) => Promise<Cost>): Promise<string> {
  const names = Object.keys(variants);
  const costs = new Map<string, Cost[]>(names.map((name) => [name, []]));
  for (const name of names) await run(variants[name]!);
  for (let index = 0; index < RUNS; index += 1) {
    for (const name of index % 2 === 0 ? names : [...names].reverse()) costs.get(name)!.push(await run(variants[name]!));
  }
  return names
    .map((name) => {
      const of = costs.get(name)!;
      const own = of.map((cost) => cost.ownUs);
      return `| ${name} | ${median(own).toFixed(0)} (${own.map((us) => us.toFixed(0)).join(', ')}) | ${median(of.map((cost) => cost.redisUs)).toFixed(0)} |`;
    })
    .join('\n');
}

try {
  console.log(`Queue side: ${N.toLocaleString('en-US')} jobs enqueued, then completed by a worker at concurrency ${CONCURRENCY} whose processor does nothing; medians of ${RUNS} runs.\n`);
  console.log('| jobs | CPU µs per job, this process (runs) | Redis CPU µs per job |\n|---|---|---|');
  console.log(await compare(queueVariants, runQueue));
  console.log(`\nClient side: ${N.toLocaleString('en-US')} closes against the Peach simulator (own process), ${CONCURRENCY} at a time; medians of ${RUNS} runs.\n`);
  console.log('| request made with | CPU µs per close, this process (runs) | Redis CPU µs per close |\n|---|---|---|');
  console.log(await compare(clientVariants, runClient));
} finally {
  limiterRedis.disconnect();
  admin.disconnect();
  http.destroy();
  await simulator.stop();
  await redisServer.stop();
}
