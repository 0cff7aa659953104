import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import type { AccountConfig, AutoClosePolicy, Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type JobStatus, type Producer } from '../../src/producer/producer.js';
import { accountQueueName } from '../../src/queues/names.js';
import { SWEEP_JOB, type SweepResult } from '../../src/queues/sweep-job.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { CallbellSimulator, ChatwootSimulator, PeachSimulator } from '../../src/simulators/index.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';
import { envFor, spawnProcess, type WorkerProcess } from '../helpers/worker-process.js';

const HOUR = 3_600_000;
const policy = (overrides: Partial<AutoClosePolicy> = {}): AutoClosePolicy => ({
  idleAfterMs: 24 * HOUR,
  everyMs: HOUR,
  maxPerRun: 500,
  dryRun: false,
  skipWaiting: false,
  ...overrides,
});

let server: TestRedis;
let producer: Producer | undefined;
let workers: WorkerRuntime | undefined;

beforeAll(async () => {
  server = await startRedis();
});
afterEach(async () => {
  await workers?.close();
  await producer?.dispose();
  workers = undefined;
  producer = undefined;
});
afterAll(async () => {
  await server.stop();
});

async function run(accounts: AccountConfig[]): Promise<Config> {
  const config = testConfig(server.url, accounts);
  producer = createProducer(config);
  workers = await startWorkers(config, createLogger({ level: 'silent' }));
  await waitUntil(async () => (await producer!.readiness()).ready, { what: 'redis' });
  return config;
}

/** Runs one sweep now and waits for it and for the closes it enqueued. */
async function sweep(account: string): Promise<SweepResult> {
  const { jobId } = await producer!.sweepNow(account);
  const status = await waitUntil(async () => {
    const job: JobStatus = await producer!.job(jobId);
    return job.state === 'completed' || job.state === 'failed' ? job : undefined;
  }, { what: 'sweep' });
  expect(status.state).toBe('completed');
  const result = status.result as SweepResult;
  if (result.batchId) await waitUntil(async () => (await producer!.batch(result.batchId!)).done, { what: 'sweep batch', timeoutMs: 60_000 });
  return result;
}

describe('auto-close sweeps', () => {
  it('Chatwoot: of 300 open conversations, closes exactly the 120 idle ones', async () => {
    const sim = await ChatwootSimulator.start({ credentials: 'cw-token', accountId: 1 });
    try {
      const now = Date.now();
      const idle = Array.from({ length: 120 }, (_, i) => sim.addConversation({ contact: { name: `idle ${i}` }, lastActivityAt: now - (25 + i) * HOUR }).id);
      const active = Array.from({ length: 180 }, (_, i) => sim.addConversation({ contact: { name: `active ${i}` }, lastActivityAt: now - (i % 23) * HOUR }).id);
      await run([{ ...chatwootAccount(sim.url, { apiAccessToken: 'cw-token', accountId: 1 }), autoClose: policy() }]);
      const result = await sweep('chatwoot');
      expect(result).toMatchObject({ idle: 120, enqueued: 120, skipped: 0, dryRun: false });
      expect(idle.filter((id) => sim.statusOf(id) !== 'resolved')).toEqual([]);
      expect(active.filter((id) => sim.statusOf(id) !== 'open')).toEqual([]);
      const status = (await producer!.accounts())[0]!;
      expect(status.autoClose).toMatchObject({ idleAfter: '1d', every: '1h', maxPerRun: 500, lastRun: { idle: 120, enqueued: 120, batchId: result.batchId } });
      expect(await producer!.batch(result.batchId!)).toMatchObject({ total: 120, completed: 120, skipped: 0, done: true });
    } finally {
      await sim.close();
    }
  });

  it('Peach: closes at most maxPerRun per sweep, oldest first', async () => {
    const sim = await PeachSimulator.start({ credentials: 'peach-key', pageSize: 50 });
    try {
      const now = Date.now();
      const idle = Array.from({ length: 120 }, (_, i) => sim.addConversation({ contact: { name: `idle ${i}`, phoneNumber: `+1555100${String(i).padStart(4, '0')}` }, lastActivityAt: now - (25 + i) * HOUR }).id);
      Array.from({ length: 180 }, (_, i) => sim.addConversation({ contact: { name: `active ${i}`, phoneNumber: `+1555200${String(i).padStart(4, '0')}` }, lastActivityAt: now - HOUR }));
      await run([{ ...peachAccount(sim.url, 'peach-key'), autoClose: policy({ maxPerRun: 50 }) }]);
      expect(await sweep('peach')).toMatchObject({ scanned: 300, idle: 120, enqueued: 50, skipped: 70 });
      const closedFirst = idle.filter((id) => sim.statusOf(id) === 'closed');
      expect(closedFirst).toHaveLength(50);
      // The 50 longest idle went first (the idle ids were created from the least to the most idle).
      expect(closedFirst).toEqual(idle.slice(70));
      expect(await sweep('peach')).toMatchObject({ idle: 70, enqueued: 50 });
      expect(idle.filter((id) => sim.statusOf(id) === 'closed')).toHaveLength(100);
    } finally {
      await sim.close();
    }
  });

  it('a dry run asked for lists what a sweep would close, oldest first, closes none and is not the last sweep', async () => {
    const sim = await PeachSimulator.start({ credentials: 'peach-key', pageSize: 50 });
    try {
      const now = Date.now();
      const idle = Array.from({ length: 30 }, (_, i) => sim.addConversation({ contact: { name: `idle ${i}`, phoneNumber: `+1555300${String(i).padStart(4, '0')}` }, lastActivityAt: now - (25 + i) * HOUR }).id);
      Array.from({ length: 20 }, (_, i) => sim.addConversation({ contact: { name: `active ${i}`, phoneNumber: `+1555400${String(i).padStart(4, '0')}` }, lastActivityAt: now - HOUR }));
      await run([{ ...peachAccount(sim.url, 'peach-key'), autoClose: policy({ maxPerRun: 10 }) }]);
      const { jobId } = await producer!.sweepNow('peach', undefined, { dryRun: true });
      const status = await waitUntil(async () => {
        const job: JobStatus = await producer!.job(jobId);
        return job.state === 'completed' || job.state === 'failed' ? job : undefined;
      }, { what: 'the dry run' });
      const result = status.result as SweepResult;
      expect(result).toMatchObject({ scanned: 50, idle: 30, enqueued: 0, skipped: 0, batchId: null, dryRun: true });
      // The 10 longest idle (maxPerRun), the longest first.
      expect(result.wouldClose!.map(({ ref }) => (ref as { conversationId: number }).conversationId)).toEqual(idle.slice(20).reverse());
      expect(idle.filter((id) => sim.statusOf(id) !== 'open')).toEqual([]);
      expect((await producer!.accounts())[0]!.autoClose!.lastRun).toBeNull();
    } finally {
      await sim.close();
    }
  });

  it('Callbell, dry run: reports the 120 idle ones and closes none', async () => {
    const sim = await CallbellSimulator.start({ credentials: 'cb-token', pageSize: 100 });
    try {
      const now = Date.now();
      for (let i = 0; i < 300; i += 1) {
        const contact = sim.addContact({ name: `c${i}`, phoneNumber: `+39${i}` });
        sim.addMessage(contact.uuid, { text: 'hello', at: now - (i < 120 ? 30 : 2) * HOUR });
      }
      await run([{ ...callbellAccount(sim.url, 'cb-token'), autoClose: policy({ dryRun: true }) }]);
      sim.clearRequests();
      expect(await sweep('callbell')).toMatchObject({ scanned: 300, idle: 120, enqueued: 0, batchId: null, dryRun: true });
      expect(sim.listContacts().filter((c) => c.closedAt !== null)).toHaveLength(0);
      expect(sim.requests.some((r) => r.path.endsWith('/conversation/close'))).toBe(false);
    } finally {
      await sim.close();
    }
  });

  it('Chatwoot, skipWaiting: leaves conversations whose customer waits for an agent', async () => {
    const sim = await ChatwootSimulator.start({ credentials: 'cw-token', accountId: 1 });
    try {
      const old = Date.now() - 48 * HOUR;
      const waiting = sim.addConversation({ contact: { name: 'waiting' }, lastActivityAt: old, waitingSince: old }).id;
      const answered = sim.addConversation({ contact: { name: 'answered' }, lastActivityAt: old, waitingSince: null }).id;
      await run([{ ...chatwootAccount(sim.url, { apiAccessToken: 'cw-token', accountId: 1 }), autoClose: policy({ skipWaiting: true }) }]);
      expect(await sweep('chatwoot')).toMatchObject({ idle: 1, enqueued: 1 });
      expect([sim.statusOf(waiting), sim.statusOf(answered)]).toEqual(['open', 'resolved']);
    } finally {
      await sim.close();
    }
  });

  it('does not close a conversation that became active between the sweep and its close', async () => {
    const sim = await PeachSimulator.start({ credentials: 'peach-key' });
    try {
      const old = Date.now() - 48 * HOUR;
      const quiet = sim.addConversation({ contact: { name: 'quiet', phoneNumber: '+15550000001' }, lastActivityAt: old }).id;
      const woken = sim.addConversation({ contact: { name: 'woken', phoneNumber: '+15550000002' }, lastActivityAt: old }).id;
      await run([{ ...peachAccount(sim.url, 'peach-key'), autoClose: policy() }]);
      sim.clearRequests();
      const { jobId } = await producer!.sweepNow('peach');
      // The sweep lists "open", then "awaiting_customer_response". Once the second list request has been
      // answered, the sweep has decided; the customer writes before any close runs.
      await sim.waitForRequests(2);
      sim.receiveCustomerMessage({ conversationId: woken });
      const status = await waitUntil(async () => {
        const job = await producer!.job(jobId);
        return job.state === 'completed' ? job : undefined;
      }, { what: 'sweep' });
      const result = status.result as SweepResult;
      expect(result).toMatchObject({ idle: 2, enqueued: 2 });
      const report = await waitUntil(async () => {
        const r = await producer!.batch(result.batchId!);
        return r.done ? r : undefined;
      }, { what: 'batch' });
      expect(report).toMatchObject({ total: 2, completed: 2, skipped: 1, deadLettered: 0 });
      expect([sim.statusOf(quiet), sim.statusOf(woken)]).toEqual(['closed', 'open']);
    } finally {
      await sim.close();
    }
  });
});

describe('scheduler processes', () => {
  const running: WorkerProcess[] = [];
  afterAll(async () => {
    for (const child of running) if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await Promise.all(running.map((child) => child.exited()));
  });

  it('three schedulers running together for five intervals produce five sweeps, not fifteen', async () => {
    const sim = await PeachSimulator.start({ credentials: 'peach-key' });
    const config = testConfig(server.url, [{ ...peachAccount(sim.url, 'peach-key'), autoClose: policy({ everyMs: 2_000, dryRun: true }) }]);
    const queue = new Queue(accountQueueName('peach'), { connection: { url: server.url }, prefix: queuePrefixOf(config, 'peach') });
    const env = envFor(config);
    try {
      const worker = spawnProcess('worker', env);
      running.push(worker);
      await worker.started;
      const schedulers = [0, 1, 2].map(() => spawnProcess('scheduler', env));
      running.push(...schedulers);
      await Promise.all(schedulers.map((s) => s.started));

      const sweepsDone = async () => (await queue.getJobs(['completed'])).filter((job) => job.name === SWEEP_JOB);
      const first = await waitUntil(async () => (await sweepsDone())[0], { what: 'first sweep' });
      // Edges half an interval away from any due time, so a sweep run a few ms early or late cannot cross one.
      const windowStart = first.processedOn! - 1_000;
      const windowEnd = windowStart + 5 * 2_000;
      await waitUntil(async () => Date.now() > windowEnd + 1_000, { timeoutMs: 20_000, what: 'five intervals' });
      const inWindow = (await sweepsDone()).filter((job) => job.processedOn! >= windowStart && job.processedOn! < windowEnd);
      expect(inWindow).toHaveLength(5);
      for (const child of [...schedulers, worker]) {
        child.child.kill('SIGTERM');
        expect(await child.exited()).toBe(0);
      }
    } finally {
      await queue.close();
      await sim.close();
    }
  }, 60_000);
});
