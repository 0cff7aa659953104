import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCallbellClient, createHttpClient, type CallbellClient, type CallbellRef, type HttpClient } from '../../../src/providers/index.js';
import { CallbellSimulator } from '../../../src/simulators/index.js';
import { callbellAccount } from '../../helpers/accounts.js';
import { describeCloseContract } from '../../helpers/close-contract.js';

const TOKEN = 'test_gshuPaZoeEG6ovbc8M79w0QyM';
let sim: CallbellSimulator;
let noRetryAfter: CallbellSimulator;
let http: HttpClient;
let fastHttp: HttpClient;
let client: CallbellClient;
let count = 0;

beforeAll(async () => {
  sim = await CallbellSimulator.start({ credentials: TOKEN, pageSize: 5 });
  noRetryAfter = await CallbellSimulator.start({ credentials: TOKEN, retryAfter: 'none' });
  http = createHttpClient({ timeoutMs: 5_000 });
  fastHttp = createHttpClient({ timeoutMs: 200 });
  client = createCallbellClient({ account: callbellAccount(sim.url, TOKEN), http: http.got });
});

afterAll(async () => {
  http.destroy();
  fastHttp.destroy();
  await Promise.all([sim.close(), noRetryAfter.close()]);
});

const contact = (closed = false) =>
  sim.addContact({ name: `Contact ${(count += 1)}`, phoneNumber: `+3900${count}`, closedAt: closed ? Date.now() - 60_000 : null });

describeCloseContract<CallbellRef>('Callbell', {
  sim: () => sim,
  close: (ref) => client.close(ref),
  closeWithWrongCredentials: (ref) => createCallbellClient({ account: callbellAccount(sim.url, 'wrong-secret'), http: http.got }).close(ref),
  closeWithShortTimeout: (ref) => createCallbellClient({ account: callbellAccount(sim.url, TOKEN), http: fastHttp.got }).close(ref),
  openRef: () => ({ contactUuid: contact().uuid }),
  closedRef: () => ({ contactUuid: contact(true).uuid }),
  unknownRef: () => ({ contactUuid: '00000000000000000000000000000000' }),
  faultTarget: (ref) => ref.contactUuid,
  isClosed: (ref) => sim.statusOf(ref.contactUuid) === 'closed',
  // Callbell sets closedAt again and answers 200: nothing tells that it was closed before.
  alreadyClosedOutcome: 'closed',
  retryAfterSevenSeconds: 7_000,
  // Callbell's limit is per second: the wait runs to the next second, plus 100 ms for clock skew.
  fallbackWait: { min: 100, max: 1_100 },
  closeWithoutRetryAfter: async () => {
    noRetryAfter.faults.failFirst(1, 429);
    return createCallbellClient({ account: callbellAccount(noRetryAfter.url, TOKEN), http: http.got }).close({ contactUuid: 'x' });
  },
});

describe('Callbell close request matches the documented shape (seed 001)', () => {
  it('POSTs /v1/contacts/:uuid/conversation/close with Bearer auth, JSON content type and no body', async () => {
    const { uuid } = contact();
    sim.clearRequests();
    await client.close({ contactUuid: uuid });
    const [request] = sim.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/v1/contacts/${uuid}/conversation/close`, rawBody: '' });
    expect(request!.headers).toMatchObject({ authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json' });
  });

  it('accepts the close answer with "contact" as an array (docs before 2025-12)', async () => {
    const legacy = await CallbellSimulator.start({ credentials: TOKEN, contactShape: 'array' });
    try {
      const { uuid } = legacy.addContact({ name: 'Old', phoneNumber: '+39111' });
      const legacyClient = createCallbellClient({ account: callbellAccount(legacy.url, TOKEN), http: http.got });
      await expect(legacyClient.close({ contactUuid: uuid })).resolves.toEqual({ outcome: 'closed', status: 200 });
      expect(legacy.statusOf(uuid)).toBe('closed');
    } finally {
      await legacy.close();
    }
  });
});

describe('Callbell listing (contacts, closedAt, newest message)', () => {
  let listing: CallbellSimulator;
  let listingClient: CallbellClient;
  beforeAll(async () => {
    listing = await CallbellSimulator.start({ credentials: TOKEN, pageSize: 4 });
    listingClient = createCallbellClient({ account: callbellAccount(listing.url, TOKEN), http: http.got });
    listing.seed(7);
    listing.seed(3, { closed: true });
    listing.seed(2, { tags: ['vip'], source: 'instagram' });
  });
  afterAll(() => listing.close());

  it('pages through every contact until an empty page', async () => {
    listing.clearRequests();
    const pages = [];
    for await (const page of listingClient.listConversations()) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([4, 4, 4]);
    expect(listing.requests.map((r) => `${r.method} ${r.path}?page=${String(r.query.page)}`)).toEqual([
      'GET /v1/contacts?page=1',
      'GET /v1/contacts?page=2',
      'GET /v1/contacts?page=3',
      'GET /v1/contacts?page=4',
    ]);
  });

  it('keeps open conversations and reads their newest message for the last activity', async () => {
    listing.clearRequests();
    const open = [];
    for await (const page of listingClient.listConversations({ status: 'open', withLastActivity: true })) open.push(...page);
    expect(open).toHaveLength(9);
    expect(open.every((c) => c.status === 'open')).toBe(true);
    const sample = open[0]!;
    const newest = listing.messagesOf(sample.id).reduce((max, m) => Math.max(max, m.createdAt), 0);
    // Callbell writes times to the second ("2020-11-13T21:08:53Z").
    const newestSecond = new Date(Math.floor(newest / 1000) * 1000).toISOString();
    expect(sample).toMatchObject({ account: 'callbell', provider: 'callbell', ref: { contactUuid: sample.id }, lastActivityAt: newestSecond });
    expect(listing.requests.filter((r) => r.path.endsWith('/messages'))).toHaveLength(9);
  });

  it('lists closed ones without reading messages', async () => {
    listing.clearRequests();
    const closed = [];
    for await (const page of listingClient.listConversations({ status: 'closed', withLastActivity: true })) closed.push(...page);
    expect(closed).toHaveLength(3);
    expect(closed.every((c) => c.status === 'closed' && c.lastActivityAt !== null)).toBe(true);
    expect(listing.requests.some((r) => r.path.endsWith('/messages'))).toBe(false);
  });

  it('sends the native filters', async () => {
    listing.clearRequests();
    const found = [];
    for await (const page of listingClient.listConversations({ source: 'instagram', tags: ['vip'] })) found.push(...page);
    expect(found).toHaveLength(2);
    expect(listing.requests[0]!.query).toEqual({ source: 'instagram', tags: 'vip', page: '1' });
  });
});
