import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHttpClient, createPeachClient, type HttpClient, type PeachClient, type PeachRef } from '../../../src/providers/index.js';
import { PeachSimulator } from '../../../src/simulators/index.js';
import { peachAccount } from '../../helpers/accounts.js';
import { describeCloseContract } from '../../helpers/close-contract.js';

const KEY = 'peach-key-0123456789';
let sim: PeachSimulator;
let noRetryAfter: PeachSimulator;
let http: HttpClient;
let fastHttp: HttpClient;
let client: PeachClient;
let phone = 100_000;
const nextPhone = () => `+1555${(phone += 1)}`;

beforeAll(async () => {
  sim = await PeachSimulator.start({ credentials: KEY, pageSize: 5 });
  noRetryAfter = await PeachSimulator.start({ credentials: KEY, retryAfter: 'none' });
  http = createHttpClient({ timeoutMs: 5_000 });
  fastHttp = createHttpClient({ timeoutMs: 200 });
  client = createPeachClient({ account: peachAccount(sim.url, KEY), http: http.got });
});

afterAll(async () => {
  http.destroy();
  fastHttp.destroy();
  await Promise.all([sim.close(), noRetryAfter.close()]);
});

const open = (status: 'open' | 'closed' = 'open') => sim.addConversation({ contact: { name: 'Ana', phoneNumber: nextPhone() }, status });

describeCloseContract<PeachRef>('Peach (by conversation id)', {
  sim: () => sim,
  close: (ref) => client.close(ref),
  closeWithWrongCredentials: (ref) => createPeachClient({ account: peachAccount(sim.url, 'wrong-secret'), http: http.got }).close(ref),
  closeWithShortTimeout: (ref) => createPeachClient({ account: peachAccount(sim.url, KEY), http: fastHttp.got }).close(ref),
  openRef: () => ({ conversationId: open().id }),
  closedRef: () => ({ conversationId: open('closed').id }),
  unknownRef: () => ({ conversationId: 999_999 }),
  faultTarget: (ref) => ('conversationId' in ref ? ref.conversationId : ref.contact.phone_number),
  isClosed: (ref) => 'conversationId' in ref && sim.statusOf(ref.conversationId) === 'closed',
  alreadyClosedOutcome: 'already_closed',
  retryAfterSevenSeconds: 7_000,
  fallbackWait: { min: 5_000, max: 5_000 },
  closeWithoutRetryAfter: async () => {
    noRetryAfter.faults.failFirst(1, 429);
    return createPeachClient({ account: peachAccount(noRetryAfter.url, KEY), http: http.got }).close({ conversationId: 1 });
  },
});

describe('Peach close requests match the documented shapes (seeds 000, 002; n8n node)', () => {
  it('closes by id with PATCH /api/v1/conversations/:id {"status":"closed"} and the raw key', async () => {
    const conversation = open();
    sim.clearRequests();
    await client.close({ conversationId: conversation.id });
    const [request] = sim.requests;
    expect(request).toMatchObject({ method: 'PATCH', path: `/api/v1/conversations/${conversation.id}`, body: { status: 'closed' } });
    expect(request!.rawBody).toBe('{"status":"closed"}');
    expect(request!.headers).toMatchObject({ authorization: KEY, accept: 'application/json', 'content-type': 'application/json' });
  });

  it('closes by contact with POST /api/v1/events and the close_conversation event', async () => {
    const conversation = open();
    const contact = { name: conversation.subscriber.name, phone_number: conversation.subscriber.phoneNumber };
    sim.clearRequests();
    await expect(client.close({ contact })).resolves.toEqual({ outcome: 'closed', status: 200 });
    const [request] = sim.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/events' });
    expect(request!.body).toEqual({ event_type: 'close_conversation', contact });
    expect(request!.headers).toMatchObject({ authorization: KEY, 'content-type': 'application/json' });
    expect(sim.statusOf(conversation.id)).toBe('closed');
  });

  it('rejects an event for an invalid phone number (422) as permanent', async () => {
    await expect(client.close({ contact: { name: 'X', phone_number: '12345' } })).rejects.toMatchObject({ code: 'PROVIDER_REJECTED', status: 422 });
  });
});

describe('Peach listing', () => {
  let ids: number[];
  beforeAll(() => {
    ids = sim.seed(13, { status: 'awaiting_customer_response' }).map((c) => c.id);
  });

  it('pages through every conversation to the last page', async () => {
    sim.clearRequests();
    const pages = [];
    for await (const page of client.listConversations({ status: 'awaiting_customer_response' })) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([5, 5, 3]);
    expect(pages.flat().map((c) => Number(c.id))).toEqual(ids);
    expect(sim.requests.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(sim.requests.every((r) => r.method === 'GET' && r.path === '/api/v1/conversations' && r.headers.authorization === KEY)).toBe(true);
  });

  it('normalises each conversation with a ref that closes it', async () => {
    const [first] = (await client.listConversations({ status: 'awaiting_customer_response' }).next()).value ?? [];
    const stored = sim.getConversation(ids[0]!)!;
    expect(first).toEqual({
      account: 'peach',
      provider: 'peach',
      id: String(stored.id),
      status: 'open',
      providerStatus: 'awaiting_customer_response',
      contact: { id: String(stored.subscriber.id), name: stored.subscriber.name, phoneNumber: stored.subscriber.phoneNumber },
      lastActivityAt: new Date(stored.lastActivityAt).toISOString(),
      ref: { conversationId: stored.id },
    });
    await client.close(first!.ref);
    expect(sim.statusOf(stored.id)).toBe('closed');
  });

  it('sends every native filter and gets only what matches', async () => {
    const contact = { name: 'Filter', phoneNumber: nextPhone() };
    const match = sim.addConversation({ contact, status: 'open', escalated: true, lastActivityType: 'escalation', lastActivityAt: Date.now() });
    sim.clearRequests();
    const since = new Date(Date.now() - 60_000);
    const found = [];
    for await (const page of client.listConversations({
      status: 'open',
      escalated: true,
      activityType: 'escalation',
      phoneNumber: contact.phoneNumber,
      hasCallPermission: false,
      updatedSince: since,
      activitySince: since,
      per: 2,
    })) {
      found.push(...page);
    }
    expect(found.map((c) => c.id)).toEqual([String(match.id)]);
    expect(sim.requests[0]!.query).toEqual({
      status: 'open',
      escalated: 'true',
      activity_type: 'escalation',
      phone_number: contact.phoneNumber,
      has_call_permission: 'false',
      updated_since: since.toISOString(),
      activity_since: since.toISOString(),
      per: '2',
      page: '1',
    });
  });

  it('reads a "previous" link as well as "prev"', async () => {
    const other = await PeachSimulator.start({ credentials: KEY, pageSize: 2, previousField: 'previous' });
    try {
      other.seed(5);
      const otherClient = createPeachClient({ account: peachAccount(other.url, KEY), http: http.got });
      const sizes = [];
      for await (const page of otherClient.listConversations()) sizes.push(page.length);
      expect(sizes).toEqual([2, 2, 1]);
    } finally {
      await other.close();
    }
  });
});
