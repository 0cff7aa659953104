import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/api/create-app.js';
import type { Config } from '../../src/config/types.js';
import { createLogger } from '../../src/logger.js';
import { createProducer, type JobStatus, type Producer } from '../../src/producer/producer.js';
import type { Conversation } from '../../src/providers/types.js';
import { startWorkers, type WorkerRuntime } from '../../src/runtime/start-workers.js';
import { CallbellSimulator, ChatwootSimulator, PeachSimulator } from '../../src/simulators/index.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { testConfig, waitUntil } from '../helpers/test-config.js';

const KEYS = { peach: 'peach-list-key', callbell: 'callbell-list-token', chatwoot: 'chatwoot-list-token' };
const HOUR = 3_600_000;
const auth = { authorization: 'Bearer test-api-token' };
let server: TestRedis;
let peach: PeachSimulator;
let callbell: CallbellSimulator;
let chatwoot: ChatwootSimulator;
let config: Config;
let producer: Producer;
let workers: WorkerRuntime;
let app: FastifyInstance;

beforeAll(async () => {
  server = await startRedis();
  // Small pages, so every listing below crosses several of them.
  peach = await PeachSimulator.start({ credentials: KEYS.peach, pageSize: 4 });
  callbell = await CallbellSimulator.start({ credentials: KEYS.callbell, pageSize: 4 });
  chatwoot = await ChatwootSimulator.start({ credentials: KEYS.chatwoot, accountId: 5, inboxIdentifier: 'inbox-pub', pageSize: 4 });
  const now = Date.now();
  for (let i = 0; i < 6; i += 1) peach.addConversation({ contact: { name: `Old ${i}`, phoneNumber: `+155500100${i}` }, lastActivityAt: now - (48 + i) * HOUR });
  for (let i = 0; i < 5; i += 1) peach.addConversation({ contact: { name: `New ${i}`, phoneNumber: `+155500200${i}` }, status: 'awaiting_customer_response', lastActivityAt: now - i * HOUR });
  peach.addConversation({ contact: { name: 'Escalated', phoneNumber: '+1555003000' }, escalated: true, lastActivityType: 'escalation', lastActivityAt: now - 72 * HOUR });
  for (let i = 0; i < 3; i += 1) peach.addConversation({ contact: { name: `Closed ${i}`, phoneNumber: `+155500400${i}` }, status: 'closed', lastActivityAt: now - 100 * HOUR });
  for (let i = 0; i < 7; i += 1) {
    const contact = callbell.addContact({ name: `Cb ${i}`, phoneNumber: `+3900${i}`, tags: i < 2 ? ['vip'] : [] });
    callbell.addMessage(contact.uuid, { text: 'hi', at: now - (i < 4 ? 30 : 1) * HOUR });
  }
  for (let i = 0; i < 3; i += 1) callbell.addContact({ name: `Cb closed ${i}`, phoneNumber: `+3911${i}`, closedAt: now - HOUR });
  for (let i = 0; i < 10; i += 1) chatwoot.addConversation({ contact: { name: `Cw ${i}` }, lastActivityAt: now - (i + 1) * 6 * HOUR, labels: i % 2 ? ['late'] : [] });
  chatwoot.addConversation({ contact: { name: 'Cw resolved' }, status: 'resolved' });

  config = testConfig(server.url, [
    peachAccount(peach.url, KEYS.peach),
    callbellAccount(callbell.url, KEYS.callbell),
    chatwootAccount(chatwoot.url, { apiAccessToken: KEYS.chatwoot, accountId: 5, inboxIdentifier: 'inbox-pub' }),
    chatwootAccount(chatwoot.url, { inboxIdentifier: 'inbox-pub' }, 'pembalasan'),
  ]);
  producer = createProducer(config);
  workers = await startWorkers(config, createLogger({ level: 'silent' }));
  app = createApp({ producer, apiToken: 'test-api-token', logger: createLogger({ level: 'silent' }) });
  await waitUntil(async () => (await producer.readiness()).ready, { what: 'redis' });
});

afterAll(async () => {
  await app.close();
  await workers.close();
  await producer.dispose();
  await Promise.all([peach.close(), callbell.close(), chatwoot.close()]);
  await server.stop();
});

/** Lists through the HTTP API: POST /v1/list, then GET /v1/jobs/:id until it finishes. */
async function list(body: unknown): Promise<{ conversations: Conversation[]; truncated: boolean; scanned: number }> {
  const posted = await app.inject({ method: 'POST', url: '/v1/list', payload: body as object, headers: auth });
  expect(posted.statusCode).toBe(202);
  const { jobId } = posted.json() as { jobId: string };
  const status = await waitUntil(async () => {
    const job = (await app.inject({ method: 'GET', url: `/v1/jobs/${jobId}`, headers: auth })).json() as JobStatus;
    return job.state === 'completed' || job.state === 'failed' ? job : undefined;
  }, { what: `list job ${jobId}` });
  expect(status).toMatchObject({ jobId, state: 'completed' });
  return status.result as { conversations: Conversation[]; truncated: boolean; scanned: number };
}
const names = (conversations: Conversation[]) => conversations.map((c) => c.contact.name).sort();

describe('listing through the queue (POST /v1/list, GET /v1/jobs/:id)', () => {
  it('Peach: open means open and awaiting a reply, across pages', async () => {
    peach.clearRequests();
    const result = await list({ account: 'peach', filter: { status: 'open' } });
    expect(result.conversations).toHaveLength(12);
    expect(result.truncated).toBe(false);
    const pages = peach.requests.map((r) => `${String(r.query.status)}:${String(r.query.page)}`);
    expect(pages).toEqual(['open:1', 'open:2', 'awaiting_customer_response:1', 'awaiting_customer_response:2']);
  });

  it('Peach: idleFor, updatedSince, escalated and activity type', async () => {
    expect(names((await list({ account: 'peach', filter: { idleFor: '24h' } })).conversations)).toEqual([...Array.from({ length: 6 }, (_, i) => `Old ${i}`), 'Escalated'].sort());
    const recent = await list({ account: 'peach', filter: { updatedSince: new Date(Date.now() - 3.5 * HOUR).toISOString() } });
    expect(names(recent.conversations)).toEqual(['New 0', 'New 1', 'New 2', 'New 3']);
    expect(peach.requests.at(-1)!.query.updated_since).toBeDefined();
    expect(names((await list({ account: 'peach', filter: { escalated: true, activityType: 'escalation' } })).conversations)).toEqual(['Escalated']);
    expect(names((await list({ account: 'peach', filter: { status: 'closed' } })).conversations)).toEqual(['Closed 0', 'Closed 1', 'Closed 2']);
  });

  it('says when the limit cut the list', async () => {
    const result = await list({ account: 'peach', filter: { status: 'all' }, limit: 5 });
    expect(result).toMatchObject({ truncated: true });
    expect(result.conversations).toHaveLength(5);
  });

  it('Callbell: open contacts with their last activity, idle ones, tags', async () => {
    const open = await list({ account: 'callbell', filter: { status: 'open', withLastActivity: true } });
    expect(open.conversations).toHaveLength(7);
    expect(open.conversations.every((c) => c.lastActivityAt !== null)).toBe(true);
    expect(names((await list({ account: 'callbell', filter: { idleFor: '12h' } })).conversations)).toEqual(['Cb 0', 'Cb 1', 'Cb 2', 'Cb 3']);
    expect(names((await list({ account: 'callbell', filter: { status: 'all', tags: ['vip'] } })).conversations)).toEqual(['Cb 0', 'Cb 1']);
    expect((await list({ account: 'callbell', filter: { status: 'closed' } })).conversations).toHaveLength(3);
  });

  it('Chatwoot: idle ones come oldest first and paging stops at the cut-off', async () => {
    chatwoot.clearRequests();
    const idle = await list({ account: 'chatwoot', filter: { idleFor: '40h' } });
    expect(names(idle.conversations)).toEqual(['Cw 6', 'Cw 7', 'Cw 8', 'Cw 9']);
    // Four idle ones, then the first page of active ones: no need to read the rest.
    expect(chatwoot.requests.map((r) => r.query.page)).toEqual(['1', '2']);
    expect(chatwoot.requests[0]!.query).toMatchObject({ sort_by: 'last_activity_at_asc', status: 'open' });
    expect(names((await list({ account: 'chatwoot', filter: { labels: ['late'] } })).conversations)).toHaveLength(5);
    expect(names((await list({ account: 'chatwoot', filter: { status: 'closed' } })).conversations)).toEqual(['Cw resolved']);
    expect((await list({ account: 'chatwoot', filter: { status: 'all' } })).conversations).toHaveLength(11);
  });

  it('Chatwoot without a token: one contact\'s conversations through the public API', async () => {
    const conversation = chatwoot.addConversation({ contact: { name: 'Public' } });
    const result = await list({ account: 'pembalasan', filter: { contactIdentifier: conversation.sourceId } });
    expect(result.conversations).toEqual([expect.objectContaining({ id: String(conversation.id), ref: { conversationId: conversation.id, contactIdentifier: conversation.sourceId, inboxIdentifier: 'inbox-pub' } })]);
  });

  it('a list result is a valid close request: its refs close exactly those conversations', async () => {
    const idle = await list({ account: 'chatwoot', filter: { idleFor: '40h' } });
    const closed = await app.inject({ method: 'POST', url: '/v1/close', payload: { account: 'chatwoot', conversations: idle.conversations.map((c) => c.ref) }, headers: auth });
    expect(closed.statusCode).toBe(202);
    const { batchId } = closed.json() as { batchId: string };
    await waitUntil(async () => (await producer.batch(batchId)).done, { what: 'close batch' });
    expect(idle.conversations.every((c) => chatwoot.statusOf(Number(c.id)) === 'resolved')).toBe(true);
    expect(chatwoot.listConversations().filter((c) => c.status === 'open').length).toBeGreaterThan(0);
  });

  it('rejects a bad filter with 400 naming the field, and an unknown job with 404', async () => {
    const bad = await app.inject({ method: 'POST', url: '/v1/list', payload: { account: 'callbell', filter: { inboxId: 1, idleFor: 'soon' } }, headers: auth });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(['filter.idleFor', 'filter.inboxId']);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/peach.nope', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/nothing', headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/list', payload: { account: 'nope' }, headers: auth })).statusCode).toBe(404);
  });

  it('reports a failed list job with its error', async () => {
    callbell.faults.failFirst(1, 403);
    const posted = await app.inject({ method: 'POST', url: '/v1/list', payload: { account: 'callbell' }, headers: auth });
    const { jobId } = posted.json() as { jobId: string };
    const status = await waitUntil(async () => {
      const job = await producer.job(jobId);
      return job.state === 'failed' ? job : undefined;
    }, { what: 'failed list' });
    expect(status.error).toMatchObject({ code: 'PROVIDER_UNAUTHORIZED', status: 403 });
    // List jobs are not closes: they never go to the dead letters.
    expect((await producer.deadLetters({ account: 'callbell' })).total).toBe(0);
  });
});
