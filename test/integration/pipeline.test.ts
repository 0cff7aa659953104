import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type Producer } from '../../src/producer/producer.js';
import { accountQueueName, keyNames } from '../../src/queues/names.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { CallbellSimulator, ChatwootSimulator, PeachSimulator } from '../../src/simulators/index.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { queuePrefixOf, testConfig, waitUntil } from '../helpers/test-config.js';

const KEYS = { peach: 'peach-key-123456', callbell: 'callbell-token-123456', chatwoot: 'chatwoot-token-123456' };
let server: TestRedis;
let peach: PeachSimulator;
let callbell: CallbellSimulator;
let chatwoot: ChatwootSimulator;
let config: Config;
let producer: Producer;
let workers: WorkerRuntime;

beforeAll(async () => {
  server = await startRedis();
  peach = await PeachSimulator.start({ credentials: KEYS.peach });
  callbell = await CallbellSimulator.start({ credentials: KEYS.callbell });
  chatwoot = await ChatwootSimulator.start({ credentials: KEYS.chatwoot, accountId: 3 });
  config = testConfig(server.url, [
    peachAccount(peach.url, KEYS.peach),
    callbellAccount(callbell.url, KEYS.callbell),
    chatwootAccount(chatwoot.url, { apiAccessToken: KEYS.chatwoot, accountId: 3 }),
    peachAccount(peach.url, 'wrong-key-123456', 'peach-bad'),
  ]);
  producer = createProducer(config);
  workers = await startWorkers(config, createLogger({ level: 'silent' }));
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await workers.close();
  await producer.dispose();
  await Promise.all([peach.close(), callbell.close(), chatwoot.close()]);
  await server.stop();
});

const peachIds = (n: number) => peach.seed(n).map((c) => c.id);
const done = (batchId: string) => waitUntil(async () => {
  const report = await producer.batch(batchId);
  return report.done ? report : undefined;
}, { what: `batch ${batchId}` });
const requestsFor = (id: number) => peach.requests.filter((r) => r.path === `/api/v1/conversations/${id}`);
const queueOf = (account: string) => new Queue(accountQueueName(account), { connection: { url: server.url }, prefix: queuePrefixOf(config, account) });

describe('close pipeline (real Redis, in-process workers, simulators)', () => {
  it('closes a batch and reports it done', async () => {
    const ids = peachIds(5);
    const accepted = await producer.close({ account: 'peach', conversations: ids.map((conversationId) => ({ conversationId })) });
    expect(await done(accepted.batchId)).toMatchObject({ total: 5, completed: 5, deadLettered: 0, pending: 0, done: true });
    expect(ids.every((id) => peach.statusOf(id) === 'closed')).toBe(true);
  });

  it('marks each close in its batch before the command that completes its job reaches Redis', async () => {
    // The worker does not wait for the mark's answer; this order is what keeps a completed job from going uncounted.
    const reader = new Redis(server.url);
    const monitor = await reader.monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua') commands.push(args);
    });
    try {
      const { batchId } = await producer.close({ account: 'peach', conversations: peachIds(20).map((conversationId) => ({ conversationId })) });
      await done(batchId);
      const jobIds = await reader.smembers(keyNames(config.queuePrefix).batchJobs('peach', batchId));
      const completedKey = keyNames(config.queuePrefix).batchCompleted('peach', batchId);
      const first = (jobId: string, what: (args: string[]) => boolean) => commands.findIndex((args) => args.includes(jobId) && what(args));
      const marked = (jobId: string) => first(jobId, (args) => args.includes(completedKey));
      const completed = (jobId: string) => first(jobId, (args) => args.includes('returnvalue') && args.includes('completed'));
      await waitUntil(async () => jobIds.every((jobId) => completed(jobId) >= 0) || undefined, { what: 'every job completed' });
      expect(jobIds).toHaveLength(20);
      for (const jobId of jobIds) expect(marked(jobId)).toBeGreaterThanOrEqual(0);
      expect(jobIds.filter((jobId) => marked(jobId) > completed(jobId))).toEqual([]);
    } finally {
      monitor.disconnect();
      reader.disconnect();
    }
  });

  it('always sends Chatwoot application-API closes with {"status":"resolved"}', async () => {
    const conversations = chatwoot.seed(6).map((c) => ({ conversationId: c.id }));
    chatwoot.clearRequests();
    const { batchId } = await producer.close({ account: 'chatwoot', conversations });
    await done(batchId);
    const toggles = chatwoot.requests.filter((r) => r.path.endsWith('/toggle_status'));
    expect(toggles).toHaveLength(6);
    expect(toggles.every((r) => r.rawBody === '{"status":"resolved"}')).toBe(true);
    expect(conversations.every(({ conversationId }) => chatwoot.statusOf(conversationId) === 'resolved')).toBe(true);
  });

  it('after a 429 with Retry-After, completes the job later with its attempts unchanged, while other accounts keep flowing', async () => {
    const [blocked] = peachIds(1);
    peach.faults.failFor(blocked!, 429, 1, { retryAfterMs: 2_000 });
    const slow = await producer.close({ account: 'peach', conversations: [{ conversationId: blocked! }] });
    await peach.waitForRequests(peach.requests.length + 1);
    const limitedAt = requestsFor(blocked!).find((r) => r.status === 429)!.receivedAt;

    const contacts = callbell.seed(20).map((c) => ({ contactUuid: c.uuid }));
    const other = await producer.close({ account: 'callbell', conversations: contacts });
    const otherReport = await done(other.batchId);
    const otherFinishedAt = Date.now();
    expect(otherReport.completed).toBe(20);

    await done(slow.batchId);
    const [first, second] = requestsFor(blocked!);
    expect([first!.status, second!.status]).toEqual([429, 200]);
    // The account waited out the provider's Retry-After; Callbell finished inside that wait.
    expect(second!.receivedAt - limitedAt).toBeGreaterThanOrEqual(1_900);
    expect(otherFinishedAt).toBeLessThan(second!.receivedAt);
    const queue = queueOf('peach');
    try {
      const completed = await queue.getCompleted();
      const closed = completed.find((j) => j.data.ref && (j.data.ref as { conversationId?: number }).conversationId === blocked);
      // BullMQ counts the finishing attempt too: one attempt made means the 429 cost none.
      expect(closed?.attemptsMade).toBe(1);
      expect(closed?.data.rateLimitHits).toBe(1);
    } finally {
      await queue.close();
    }
  });

  it('retries flaky ids to success, dead-letters 404s after one request, and redrives them once accepted', async () => {
    const [flaky, gone1, gone2, ok] = peachIds(4);
    peach.faults.failFor(flaky!, 503, 2);
    peach.faults.failFor(gone1!, 404);
    peach.faults.failFor(gone2!, 404);
    const { batchId } = await producer.close({ account: 'peach', conversations: [flaky, gone1, gone2, ok].map((conversationId) => ({ conversationId })) });
    expect(await done(batchId)).toMatchObject({ total: 4, completed: 2, deadLettered: 2, pending: 0 });
    expect(requestsFor(flaky!).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(requestsFor(gone1!)).toHaveLength(1);
    expect(requestsFor(gone2!)).toHaveLength(1);

    const letters = await producer.deadLetters({ account: 'peach' });
    const ours = letters.items.filter((item) => item.batchId === batchId);
    expect(ours.map((item) => item.ref).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [{ conversationId: gone1 }, { conversationId: gone2 }].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(ours[0]).toMatchObject({ account: 'peach', reason: 'PROVIDER_NOT_FOUND', status: 404, attempts: 1, bodyExcerpt: expect.stringContaining('Not Found') });

    peach.faults.clear();
    expect(await producer.redrive({ ids: ours.map((item) => item.id) })).toEqual({ redriven: 2 });
    expect(await done(batchId)).toMatchObject({ total: 4, completed: 4, deadLettered: 0, pending: 0, done: true });
    expect([gone1, gone2].every((id) => peach.statusOf(id!) === 'closed')).toBe(true);
    expect((await producer.deadLetters({ account: 'peach' })).items.some((item) => item.batchId === batchId)).toBe(false);
  });

  it('dead-letters a job whose attempts run out, with the last error', async () => {
    const [down] = peachIds(1);
    peach.faults.failFor(down!, 500);
    const { batchId } = await producer.close({ account: 'peach', conversations: [{ conversationId: down! }] });
    expect(await done(batchId)).toMatchObject({ deadLettered: 1, completed: 0 });
    expect(requestsFor(down!)).toHaveLength(config.jobs.attempts);
    const letter = (await producer.deadLetters({ account: 'peach' })).items.find((item) => item.batchId === batchId);
    expect(letter).toMatchObject({ reason: 'PROVIDER_UNAVAILABLE', status: 500, attempts: config.jobs.attempts });
    peach.faults.clear();
    await producer.deleteDeadLetter(letter!.id);
    expect((await producer.deadLetters({ account: 'peach' })).items.some((item) => item.id === letter!.id)).toBe(false);
  });

  it('dead-letters 401s as unauthorized and pauses the account after repeated ones', async () => {
    const conversations = peachIds(40).map((conversationId) => ({ conversationId }));
    const { batchId } = await producer.close({ account: 'peach-bad', conversations });
    const account = await waitUntil(async () => (await producer.accounts()).find((a) => a.id === 'peach-bad' && a.paused), { what: 'pause' });
    expect(account).toMatchObject({ paused: true, pausedReason: 'unauthorized' });
    const report = await waitUntil(async () => {
      const r = await producer.batch(batchId);
      const status = (await producer.accounts()).find((a) => a.id === 'peach-bad')!;
      // A failed job is copied to the dead letters (and the batch) just after it fails: wait for both to settle.
      return status.counts.active === 0 && status.counts.failed === 0 ? r : undefined;
    }, { what: 'no active or failed jobs' });
    expect(report.deadLettered).toBeGreaterThanOrEqual(config.jobs.unauthorizedPauseAfter);
    const letters = (await producer.deadLetters({ account: 'peach-bad' })).items;
    expect(letters.every((item) => item.reason === 'PROVIDER_UNAUTHORIZED' && item.status === 401)).toBe(true);
    // The rest of the backlog waits for the credentials to be fixed instead of burning.
    expect(report.pending + report.deadLettered).toBe(40);
    expect(report.deadLettered).toBeLessThanOrEqual(config.jobs.concurrency + config.jobs.unauthorizedPauseAfter);
    expect(report.pending).toBeGreaterThanOrEqual(40 - config.jobs.concurrency - config.jobs.unauthorizedPauseAfter);
  });

  it('sweeps failed jobs whose dead-letter move was lost into the dead letters', async () => {
    const queueName = 'account-peach';
    // A stand-in for a worker that died between failing a job and copying it: fail one job with no mover listening.
    const queue = new Queue(queueName, { connection: { url: server.url }, prefix: queuePrefixOf(config, 'peach') });
    await workers.close();
    const rogue = new Worker(queueName, async () => {
      throw new UnrecoverableError('lost');
    }, { connection: { url: server.url }, prefix: queuePrefixOf(config, 'peach') });
    try {
      const added = await queue.add('close', { account: 'peach', ref: { conversationId: 424_242 }, batchId: 'lost-batch' }, { jobId: 'lost-1' });
      await waitUntil(async () => (await queue.getJobState(added.id!)) === 'failed', { what: 'failed job' });
      await rogue.close();
      workers = await startWorkers(config, createLogger({ level: 'silent' }));
      expect(await queue.getJobState('lost-1')).toBe('unknown');
      const letter = (await producer.deadLetters({ account: 'peach' })).items.find((item) => item.id === 'peach.lost-1');
      expect(letter).toMatchObject({ reason: 'JOB_FAILED', message: 'lost', batchId: 'lost-batch' });
    } finally {
      await rogue.close();
      await queue.close();
    }
  });
});
