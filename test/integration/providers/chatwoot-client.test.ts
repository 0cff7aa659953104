import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnsupportedRefError } from '../../../src/errors/index.js';
import { createChatwootClient, createHttpClient, type ChatwootClient, type ChatwootRef, type HttpClient } from '../../../src/providers/index.js';
import { ChatwootSimulator } from '../../../src/simulators/index.js';
import { chatwootAccount } from '../../helpers/accounts.js';
import { describeCloseContract, failure } from '../../helpers/close-contract.js';

const TOKEN = 'cw-user-token-abcdef';
const ACCOUNT_ID = 7;
let sim: ChatwootSimulator;
let http: HttpClient;
let fastHttp: HttpClient;
let app: ChatwootClient;
let publicOnly: ChatwootClient;
/** rack-attack sends no Retry-After: the wait runs to the next minute of this clock, plus 500 ms. */
const NOW = Date.parse('2026-11-21T10:00:45.000Z');

beforeAll(async () => {
  sim = await ChatwootSimulator.start({ credentials: TOKEN, accountId: ACCOUNT_ID, inboxIdentifier: 'inbox-main', pageSize: 5 });
  http = createHttpClient({ timeoutMs: 5_000 });
  fastHttp = createHttpClient({ timeoutMs: 200 });
  const appAccount = chatwootAccount(sim.url, { apiAccessToken: TOKEN, accountId: ACCOUNT_ID });
  app = createChatwootClient({ account: appAccount, http: http.got, now: () => NOW });
  publicOnly = createChatwootClient({ account: chatwootAccount(sim.url, { inboxIdentifier: 'inbox-main' }), http: http.got, now: () => NOW });
});

afterAll(async () => {
  http.destroy();
  fastHttp.destroy();
  await sim.close();
});

const conversation = (status: 'open' | 'resolved' = 'open') => sim.addConversation({ contact: { name: 'Budi' }, status });

const common = {
  sim: () => sim,
  unknownRefBase: 424_242,
  alreadyClosedOutcome: 'closed' as const,
  fallbackWait: { min: 15_500, max: 15_500 },
};

describeCloseContract<ChatwootRef>('Chatwoot application API', {
  ...common,
  close: (ref) => app.close(ref),
  closeWithWrongCredentials: (ref) =>
    createChatwootClient({ account: chatwootAccount(sim.url, { apiAccessToken: 'wrong-secret', accountId: ACCOUNT_ID }), http: http.got }).close(ref),
  closeWithShortTimeout: (ref) =>
    createChatwootClient({ account: chatwootAccount(sim.url, { apiAccessToken: TOKEN, accountId: ACCOUNT_ID }), http: fastHttp.got }).close(ref),
  openRef: () => ({ conversationId: conversation().id }),
  closedRef: () => ({ conversationId: conversation('resolved').id }),
  unknownRef: () => ({ conversationId: common.unknownRefBase }),
  faultTarget: (ref) => ref.conversationId,
  isClosed: (ref) => sim.statusOf(ref.conversationId) === 'resolved',
});

describeCloseContract<ChatwootRef>('Chatwoot public API', {
  ...common,
  close: (ref) => publicOnly.close(ref),
  closeWithShortTimeout: (ref) => createChatwootClient({ account: chatwootAccount(sim.url, { inboxIdentifier: 'inbox-main' }), http: fastHttp.got }).close(ref),
  openRef: () => {
    const c = conversation();
    return { conversationId: c.id, contactIdentifier: c.sourceId };
  },
  closedRef: () => {
    const c = conversation('resolved');
    return { conversationId: c.id, contactIdentifier: c.sourceId };
  },
  unknownRef: () => ({ conversationId: common.unknownRefBase, contactIdentifier: conversation().sourceId }),
  faultTarget: (ref) => ref.conversationId,
  isClosed: (ref) => sim.statusOf(ref.conversationId) === 'resolved',
});

describe('Chatwoot close requests match the documented shapes (seed 003, swagger)', () => {
  it('application API: POST toggle_status with an explicit {"status":"resolved"} and api_access_token', async () => {
    const c = conversation();
    sim.clearRequests();
    await app.close({ conversationId: c.id });
    const [request] = sim.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/api/v1/accounts/${ACCOUNT_ID}/conversations/${c.id}/toggle_status` });
    expect(request!.rawBody).toBe('{"status":"resolved"}');
    expect(request!.headers).toMatchObject({ api_access_token: TOKEN, 'content-type': 'application/json', accept: 'application/json' });
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('application API: closing a resolved conversation again keeps it resolved (a bare toggle would reopen it)', async () => {
    const c = conversation('resolved');
    await app.close({ conversationId: c.id });
    await app.close({ conversationId: c.id });
    expect(sim.statusOf(c.id)).toBe('resolved');
  });

  it('public API: POST .../inboxes/:inbox/contacts/:contact/conversations/:id/toggle_status with no auth and no body', async () => {
    const c = conversation();
    sim.clearRequests();
    await publicOnly.close({ conversationId: c.id, contactIdentifier: c.sourceId });
    const [request] = sim.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/public/api/v1/inboxes/inbox-main/contacts/${c.sourceId}/conversations/${c.id}/toggle_status`,
      rawBody: '',
    });
    expect(request!.headers.api_access_token).toBeUndefined();
    expect(request!.headers.authorization).toBeUndefined();
  });

  it('public API: an inbox in the ref wins over the account default', async () => {
    const inbox = sim.addInbox({ identifier: 'inbox-other' });
    const c = sim.addConversation({ contact: { name: 'Sari', inboxId: inbox.id }, inboxId: inbox.id });
    await publicOnly.close({ conversationId: c.id, contactIdentifier: c.sourceId, inboxIdentifier: 'inbox-other' });
    expect(sim.statusOf(c.id)).toBe('resolved');
  });

  it('refuses an application-API ref on an account without a token, before any request', async () => {
    sim.clearRequests();
    const error = await failure(publicOnly.close({ conversationId: 1 }));
    expect(error).toBeInstanceOf(UnsupportedRefError);
    expect(error).toMatchObject({ code: 'REF_UNSUPPORTED', errorClass: 'permanent' });
    expect(sim.requests).toHaveLength(0);
  });

  it('answers a rack-attack 429 (text, no Retry-After) with a wait until the next minute', async () => {
    sim.faults.failFirst(1, 429);
    const error = await failure(app.close({ conversationId: conversation().id }));
    expect(error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', retryAfterMs: 15_500, bodyExcerpt: 'Retry later' });
  });
});

describe('Chatwoot listing', () => {
  let listing: ChatwootSimulator;
  let client: ChatwootClient;
  beforeAll(async () => {
    listing = await ChatwootSimulator.start({ credentials: TOKEN, accountId: ACCOUNT_ID, inboxIdentifier: 'inbox-l', pageSize: 5 });
    client = createChatwootClient({ account: chatwootAccount(listing.url, { apiAccessToken: TOKEN, accountId: ACCOUNT_ID }), http: http.got });
    const hour = 3_600_000;
    for (let i = 0; i < 12; i += 1) listing.addConversation({ contact: { name: `C${i}` }, lastActivityAt: Date.now() - (i + 1) * hour });
    listing.addConversation({ contact: { name: 'Done' }, status: 'resolved' });
  });
  afterAll(() => listing.close());

  it('pages through open conversations, oldest activity first, to the end', async () => {
    listing.clearRequests();
    const pages = [];
    for await (const page of client.listConversations({ status: 'open', sortBy: 'last_activity_at_asc' })) pages.push(page);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    const times = pages.flat().map((c) => Date.parse(c.lastActivityAt!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(listing.requests.map((r) => r.query.page)).toEqual(['1', '2', '3']);
    expect(listing.requests[0]!.headers.api_access_token).toBe(TOKEN);
    expect(listing.requests[0]!.query).toMatchObject({ status: 'open', sort_by: 'last_activity_at_asc' });
  });

  it('normalises conversations with application-API refs', async () => {
    const [first] = (await client.listConversations({ status: 'resolved' }).next()).value ?? [];
    expect(first).toMatchObject({ account: 'chatwoot', provider: 'chatwoot', status: 'closed', providerStatus: 'resolved', contact: { name: 'Done' } });
    expect(first!.ref).toEqual({ conversationId: Number(first!.id) });
  });

  it('sends inbox, assignee, team and label filters', async () => {
    const inbox = listing.addInbox({ identifier: 'inbox-f' });
    const team = listing.addTeam({ name: 'Sales' });
    const match = listing.addConversation({ contact: { name: 'F', inboxId: inbox.id }, inboxId: inbox.id, assignee: 'me', teamId: team.id, labels: ['vip', 'late'] });
    listing.addConversation({ contact: { name: 'G', inboxId: inbox.id }, inboxId: inbox.id, labels: ['vip'] });
    listing.clearRequests();
    const found = [];
    for await (const page of client.listConversations({ status: 'open', inboxId: inbox.id, assigneeType: 'me', teamId: team.id, labels: ['late'] })) found.push(...page);
    expect(found.map((c) => c.id)).toEqual([String(match.id)]);
    expect(listing.requests[0]!.query).toMatchObject({ inbox_id: String(inbox.id), assignee_type: 'me', team_id: String(team.id), 'labels[]': 'late' });
  });

  it('lists one contact\'s conversations through the public API with public refs', async () => {
    const c = listing.addConversation({ contact: { name: 'Pub' }, lastActivityAt: Date.parse('2026-11-20T08:00:00Z') });
    const found = await client.listContactConversations(c.sourceId, 'inbox-l');
    expect(found).toEqual([
      expect.objectContaining({
        id: String(c.id),
        status: 'open',
        lastActivityAt: '2026-11-20T08:00:00.000Z',
        ref: { conversationId: c.id, contactIdentifier: c.sourceId, inboxIdentifier: 'inbox-l' },
      }),
    ]);
  });
});
