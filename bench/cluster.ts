// npm run bench:cluster: closer on one redis-server against a Redis Cluster, on this machine, in one run.
// 1. Throughput: closes/s of one closer worker process (dist/workers/worker.js, as npm run build made it), with
//    the Redis commands and Redis CPU each close costs, single and cluster runs interleaved.
// 2. Enqueue: refs/s of the producer library, on one redis-server, a 3-master cluster, and a 3-master cluster with a
//    replica each (CLOSER_ENQUEUE_REPLICAS 0 and 1).
// Every Redis runs with AOF fsynced every second, as startRedisCluster runs the cluster's nodes.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config/load-config.js';
import { rateOf } from '../src/config/rate.js';
import type { AccountConfig, Config } from '../src/config/types.js';
import { createProducer, type Producer } from '../src/producer/producer.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { startRedisCluster, type TestCluster } from '../test/helpers/redis-cluster.js';
import { cpuLoopMs, median, redisCpuMs } from './measures.js';
import { cpuMs, startCloserWorker, startSimulator, type Child } from './processes.js';

const RUNS = 3;
/**
 * Six accounts close about twice as fast as run.ts's one: 12,000 closes keep the timed window a few seconds long, so
 * the enqueue at its start and the 20 ms polls at its end are a small part of it. The warm-up lets V8 compile the hot code.
 */
const WARMUP = 6_000;
const CLOSES = 12_000;
/** Jobs the worker process runs at once per account (CLOSER_WORKER_CONCURRENCY). */
const CONCURRENCY = 10;
/**
 * Two accounts per master: the cluster's slots are split as redis-cli --cluster create splits them
 * (0-5460, 5461-10922, 10923-16383), and these ids hash to 3577, 3453 / 7516, 7376 / 15770, 11707.
 * The report shows the spread this run found.
 */
const ACCOUNTS = ['peach-1', 'peach-5', 'peach-4', 'peach-8', 'peach-2', 'peach-3'];
const ENQUEUE_REFS = 10_000;
const ENQUEUE_REQUESTS = 4;

// Before anything else runs, so nothing of the benchmark's own slows it.
const loopMs = cpuLoopMs();
const base = loadConfig({});
const here = (file: string) => new URL(file, import.meta.url).pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await sleep(everyMs);
}
const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const refs = (first: number, count: number) => Array.from({ length: count }, (_, i) => ({ conversationId: first + i }));
const peach = (id: string, url: string): AccountConfig => ({ id, provider: 'peach', baseUrl: url, apiKey: 'bench-key', rateLimit: rateOf('100000/s') });

/** A Redis to run closer on: one server or a cluster, with a plain connection to each of its nodes for readings. */
interface Deployment {
  target: Pick<Config, 'redisUrl' | 'redisCluster'>;
  /** Every node, and the masters (the nodes that take FLUSHALL). */
  nodes: Redis[];
  masters: Redis[];
}
const configFor = (deployment: Deployment, accounts: AccountConfig[], enqueueReplicas = 0): Config => ({
  ...base,
  ...deployment.target,
  enqueueReplicas,
  logLevel: 'silent',
  queuePrefix: `b${randomUUID().slice(0, 8)}`,
  accounts,
  jobs: { ...base.jobs, concurrency: CONCURRENCY },
});
const flush = (deployment: Deployment) => Promise.all(deployment.masters.map((node) => node.flushall()));

/** Commands run so far (INFO commandstats; a script counts once for its EVALSHA and once per command it runs) and CPU, summed over every node. */
async function readRedis(deployment: Deployment): Promise<{ calls: Record<string, number>; cpuMs: number }> {
  const calls: Record<string, number> = {};
  let cpu = 0;
  for (const node of deployment.nodes) {
    for (const [, name, count] of (await node.info('commandstats')).matchAll(/cmdstat_([\w|-]+):calls=(\d+)/g)) {
      // The bench's own readings.
      if (!/^(info|config)/.test(name!)) calls[name!] = (calls[name!] ?? 0) + Number(count);
    }
    cpu += await redisCpuMs(node);
  }
  return { calls, cpuMs: cpu };
}


// ---- setup: everything started here is stopped in the last finally ------------------------------------------------
const cleanups: (() => Promise<unknown>)[] = [];
const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1];
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, Node ${process.version}, Redis ${redisVersion}`;

type ThroughputRun = { rate: number; commandsPerClose: number; redisCpuMsPerClose: number; workerCpuMsPerClose: number; deadLettered: number; commands: Record<string, number> };
const throughput: Record<'single' | 'cluster', ThroughputRun[]> = { single: [], cluster: [] };
type EnqueuePath = 'single' | 'cluster' | 'replicated, enqueueReplicas 0' | 'replicated, enqueueReplicas 1';
type EnqueueRun = { rate: number; redisCpuUsPerRef: number };
const enqueue: Record<EnqueuePath, EnqueueRun[]> = { single: [], cluster: [], 'replicated, enqueueReplicas 0': [], 'replicated, enqueueReplicas 1': [] };
const accountsPerMaster: Record<string, string[]> = {};

const deploymentOf = (ports: number[], masters: number[], target: Deployment['target']): Deployment => {
  const nodes = ports.map((port) => new Redis(port, '127.0.0.1'));
  cleanups.push(async () => nodes.forEach((node) => node.disconnect()));
  return { target, nodes, masters: nodes.filter((_, index) => masters.includes(ports[index]!)) };
};

async function startSingle(): Promise<Deployment> {
  const server = await startRedis({ appendOnly: true, appendFsync: 'everysec' });
  cleanups.push(() => server.stop());
  return deploymentOf([server.port], [server.port], { redisUrl: server.url });
}

/** A cluster of 3 masters, with `replicas` each, up and (with replicas) in sync. */
async function startCluster(replicas: number): Promise<{ cluster: TestCluster; deployment: Deployment }> {
  const cluster = await startRedisCluster({ masters: 3, replicas });
  cleanups.push(() => cluster.stop());
  const masters = await cluster.masters();
  for (const port of replicas > 0 ? masters : []) {
    await cluster.replicated(port, 60_000).catch(async (error: unknown) => {
      const node = new Redis(port, '127.0.0.1');
      const info = await node.info('replication').finally(() => node.disconnect());
      throw new Error(`${String(error)}; INFO replication of ${port}: ${info.replace(/\r\n/g, ' ')}`);
    });
  }
  const redisCluster = { nodes: cluster.nodes.map(({ port }) => ({ host: '127.0.0.1', port })), tls: false };
  // REDIS_URL points nowhere, so nothing can use it by mistake.
  return { cluster, deployment: deploymentOf(cluster.nodes.map((node) => node.port), masters, { redisUrl: 'redis://127.0.0.1:1', redisCluster }) };
}

try {
  const single = await startSingle();
  const { cluster, deployment: clustered } = await startCluster(0);
  for (const account of ACCOUNTS) {
    const port = String(await cluster.masterOf(`{${account}}`));
    accountsPerMaster[port] = [...(accountsPerMaster[port] ?? []), account];
  }
  console.log('accounts per master of the 3-master cluster:', JSON.stringify(accountsPerMaster));

  // ---- 1. throughput ----------------------------------------------------------------------------------------------
  const sim = await startSimulator((WARMUP + CLOSES) * RUNS * 2 + 1_000);
  cleanups.push(() => sim.stop());
  let nextId = sim.first;

  /** Enqueues `count` closes spread evenly over the accounts and waits until every batch is done; answers the batches' dead letters. */
  async function closeAll(producer: Producer, count: number): Promise<number> {
    const batchIds: string[] = [];
    for (const [index, account] of ACCOUNTS.entries()) {
      const share = Math.floor(count / ACCOUNTS.length) + (index < count % ACCOUNTS.length ? 1 : 0);
      batchIds.push((await producer.close({ account, conversations: refs(nextId, share) })).batchId);
      nextId += share;
    }
    // One batch read at a time (the first not done yet), so the polling adds next to nothing to the commands counted.
    let deadLettered = 0;
    for (const batchId of batchIds) {
      await until(async () => {
        const report = await producer.batch(batchId);
        deadLettered += report.done ? report.deadLettered : 0;
        return report.done;
      });
    }
    return deadLettered;
  }

  async function throughputRun(deployment: Deployment): Promise<ThroughputRun> {
    await flush(deployment);
    await sim.reset();
    const config = configFor(deployment, ACCOUNTS.map((id) => peach(id, sim.url)));
    const producer = createProducer(config);
    let worker: Child | undefined;
    try {
      await until(async () => (await producer.readiness()).ready);
      worker = await startCloserWorker(config);
      const pid = worker.child.pid!;
      const readText = (path: string) => readFileSync(path, 'utf8');
      await closeAll(producer, WARMUP);
      const before = await readRedis(deployment);
      const workerBefore = cpuMs(pid, readText);
      const started = performance.now();
      const deadLettered = await closeAll(producer, CLOSES);
      const rate = CLOSES / ((performance.now() - started) / 1000);
      const workerCpuMsPerClose = (cpuMs(pid, readText) - workerBefore) / CLOSES;
      const after = await readRedis(deployment);
      const commands = Object.fromEntries(Object.entries(after.calls).map(([name, calls]) => [name, (calls - (before.calls[name] ?? 0)) / CLOSES]));
      const commandsPerClose = Object.values(commands).reduce((sum, n) => sum + n, 0);
      return { rate, commandsPerClose, redisCpuMsPerClose: (after.cpuMs - before.cpuMs) / CLOSES, workerCpuMsPerClose, deadLettered, commands };
    } finally {
      if (worker) await worker.stop();
      await producer.dispose();
    }
  }

  for (let run = 0; run < RUNS; run += 1) {
    // Every other run in reverse, so a machine speeding up or slowing down over the run favours neither.
    const order = run % 2 === 0 ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const);
    for (const name of order) {
      const result = await throughputRun(name === 'single' ? single : clustered);
      throughput[name].push(result);
      console.log(`throughput run ${run + 1} ${name}: ${fmt(result.rate)} closes/s, ${fmt(result.commandsPerClose, 1)} commands, Redis ${fmt(result.redisCpuMsPerClose, 3)} ms, worker ${fmt(result.workerCpuMsPerClose, 3)} ms per close`);
    }
  }

  // ---- 2. enqueue -------------------------------------------------------------------------------------------------
  // Started only now, so its six idle nodes took no CPU from the throughput runs.
  const { deployment: replicated } = await startCluster(1);
  const account = peach(ACCOUNTS[0]!, 'http://127.0.0.1:9');
  const specs: { name: EnqueuePath; deployment: Deployment; replicas: number }[] = [
    { name: 'single', deployment: single, replicas: 0 },
    { name: 'cluster', deployment: clustered, replicas: 0 },
    { name: 'replicated, enqueueReplicas 0', deployment: replicated, replicas: 0 },
    { name: 'replicated, enqueueReplicas 1', deployment: replicated, replicas: 1 },
  ];
  const paths = specs.map(({ name, deployment, replicas }) => {
    const producer = createProducer(configFor(deployment, [account], replicas));
    cleanups.push(() => producer.dispose());
    return { name, deployment, producer };
  });
  /** ENQUEUE_REQUESTS requests of ENQUEUE_REFS refs one after the other, on an emptied Redis. */
  async function enqueueRun({ deployment, producer }: (typeof paths)[number]): Promise<EnqueueRun> {
    await flush(deployment);
    const before = await readRedis(deployment);
    const started = performance.now();
    for (let request = 0; request < ENQUEUE_REQUESTS; request += 1) {
      const answer = await producer.close({ account: account.id, conversations: refs(1 + request * ENQUEUE_REFS, ENQUEUE_REFS) });
      if (answer.accepted !== ENQUEUE_REFS) throw new Error(`enqueue accepted ${answer.accepted} of ${ENQUEUE_REFS}`);
    }
    const rate = (ENQUEUE_REQUESTS * ENQUEUE_REFS) / ((performance.now() - started) / 1000);
    const after = await readRedis(deployment);
    return { rate, redisCpuUsPerRef: ((after.cpuMs - before.cpuMs) * 1000) / (ENQUEUE_REQUESTS * ENQUEUE_REFS) };
  }
  for (const path of paths) {
    await until(async () => (await path.producer.readiness()).ready);
    await enqueueRun(path); // unmeasured warm-up
  }
  for (let run = 0; run < RUNS; run += 1) {
    for (const path of run % 2 === 0 ? paths : [...paths].reverse()) enqueue[path.name].push(await enqueueRun(path));
    console.log(`enqueue run ${run + 1}: ${paths.map(({ name }) => `${name} ${fmt(enqueue[name].at(-1)!.rate)}`).join(', ')} refs/s`);
  }
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error('cleanup:', error));
}

// ---- report -----------------------------------------------------------------------------------------------------------
const runsOf = (values: number[], digits = 0) => values.map((value) => fmt(value, digits)).join(', ');
const throughputRow = (label: string, runs: ThroughputRun[]) => {
  const of = (pick: (run: ThroughputRun) => number, digits: number) => fmt(median(runs.map(pick)), digits);
  return `| ${label} | ${of((r) => r.rate, 0)} | ${runsOf(runs.map((r) => r.rate))} | ${of((r) => r.commandsPerClose, 1)} (${of((r) => r.commands.evalsha ?? 0, 2)}) | ${of((r) => r.redisCpuMsPerClose, 3)} | ${of((r) => r.workerCpuMsPerClose, 3)} |`;
};
const enqueueRow = (label: string, replicas: number, runs: EnqueueRun[]) =>
  `| ${label} | ${replicas} | ${fmt(median(runs.map((r) => r.rate)))} | ${runsOf(runs.map((r) => r.rate))} | ${fmt(median(runs.map((r) => r.redisCpuUsPerRef)), 1)} |`;
const ratios = throughput.single.map((single, index) => throughput.cluster[index]!.rate / single.rate);
const deadLettered = [...throughput.single, ...throughput.cluster].reduce((sum, run) => sum + run.deadLettered, 0);
const report = `## Redis Cluster: one redis-server against a 3-master cluster

Machine: ${machine}; cpu loop ${fmt(loopMs)} ms (300 million steps, see cpuLoopMs in bench/measures.ts), ${new Date().toISOString().slice(0, 10)}.
Every Redis on this host with AOF fsynced every second, as startRedisCluster runs the cluster's nodes; figures are medians of ${RUNS} runs.

### Throughput: one closer worker process, ${ACCOUNTS.length} Peach accounts on one simulator, ${CONCURRENCY} jobs at once per account

Accounts per master (by port): ${Object.entries(accountsPerMaster).map(([port, ids]) => `${port}: ${ids.join(', ')}`).join('; ')}.
${fmt(CLOSES)} closes spread over the accounts, timed from the enqueue to the last batch done, after ${fmt(WARMUP)} unmeasured ones, in a
fresh worker process each run (single and cluster runs interleaved). Commands and Redis CPU summed over every node; a
script counts once for its EVALSHA and once more for each command it runs.

| Redis | closes/s | runs | Redis commands per close (of them EVALSHA) | Redis CPU ms per close | worker CPU ms per close |
|---|---|---|---|---|---|
${throughputRow('one redis-server', throughput.single)}
${throughputRow('cluster, 3 masters', throughput.cluster)}

cluster / single, per pair of runs: ${runsOf(ratios, 2)} (median ${fmt(median(ratios), 2)}).${deadLettered ? ` **${deadLettered} closes dead-lettered.**` : ''}

### Enqueue: library \`producer.close()\`, ${ENQUEUE_REQUESTS} requests of ${fmt(ENQUEUE_REFS)} refs one after the other

One account, so every request goes to one master; an unmeasured round first, then the paths interleaved, Redis emptied before each run.

| Redis | enqueueReplicas | refs/s | runs | Redis CPU µs per ref, every node |
|---|---|---|---|---|
${enqueueRow('one redis-server', 0, enqueue.single)}
${enqueueRow('cluster, 3 masters', 0, enqueue.cluster)}
${enqueueRow('cluster, 3 masters + 3 replicas', 0, enqueue['replicated, enqueueReplicas 0'])}
${enqueueRow('cluster, 3 masters + 3 replicas', 1, enqueue['replicated, enqueueReplicas 1'])}
`;
console.log(`\n${report}`);
writeFileSync(here('./cluster.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, cpuLoopMs: loopMs, accountsPerMaster, throughput, enqueue, report }, null, 2)}\n`);
process.exit(0);
