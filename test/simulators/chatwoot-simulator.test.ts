import { afterEach, describe, expect, it } from '@jest/globals';
import { ChatwootSimulator, type ChatwootSimulatorOptions } from '../../src/simulators/index.js';

/** Response bodies as tests read them: a wrong path simply fails the expectation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON under test
type Json = any;

const TOKEN = 'chatwoot-user-token';
const ACCOUNT = 7;
const NOW = Date.parse('2026-03-10T12:00:00Z');
const NOW_S = NOW / 1000;

let sim: ChatwootSimulator | undefined;

afterEach(async () => {
  expect(sim?.internalErrors ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function start(options: Partial<ChatwootSimulatorOptions> = {}): Promise<ChatwootSimulator> {
  sim = await ChatwootSimulator.start({
    credentials: TOKEN,
    accountId: ACCOUNT,
    inboxIdentifier: 'inbox-abc',
    now: () => NOW,
    ...options,
  });
  return sim;
}

interface CallOptions {
  readonly method?: string;
  readonly json?: unknown;
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** One real HTTP call; application API calls carry the token unless headers override it. */
async function call(target: ChatwootSimulator, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { api_access_token: TOKEN, ...options.headers };
  const body = options.rawBody ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(target.url + path, {
    method: options.method ?? 'GET',
    headers,
    ...(body !== undefined && { body }),
    ...(options.signal && { signal: options.signal }),
  });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.startsWith('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: isJson ? (JSON.parse(text) as Json) : undefined,
  };
}

const list = (target: ChatwootSimulator, query = '') =>
  call(target, `/api/v1/accounts/${ACCOUNT}/conversations${query}`);
const toggle = (target: ChatwootSimulator, id: number, json?: unknown) =>
  call(target, `/api/v1/accounts/${ACCOUNT}/conversations/${id}/toggle_status`, { method: 'POST', json: json ?? {} });
const ids = (response: Awaited<ReturnType<typeof call>>): number[] =>
  response.body.data.payload.map((conversation: { id: number }) => conversation.id);

describe('ChatwootSimulator', () => {
  describe('application API authentication', () => {
    it('answers the controllers’ 401 bodies for a bad token and for another account', async () => {
      const chatwoot = await start();
      const badCredentials: Record<string, string>[] = [
        { api_access_token: 'nope' },
        { api_access_token: '' },
        { authorization: `Bearer ${TOKEN}`, api_access_token: '' },
      ];
      for (const headers of badCredentials) {
        const denied = await call(chatwoot, `/api/v1/accounts/${ACCOUNT}/conversations`, { headers });
        expect(denied).toMatchObject({ status: 401, body: { error: 'Invalid Access Token' } });
      }
      const otherAccount = await call(chatwoot, `/api/v1/accounts/${ACCOUNT + 1}/conversations`);
      expect(otherAccount).toMatchObject({ status: 401, body: { error: 'You are not authorized to do this action' } });
    });
  });

  describe('GET /api/v1/accounts/:id/conversations', () => {
    it('pages 25 at a time by last activity, newest first, with an empty page past the end', async () => {
      const chatwoot = await start();
      const seeded = chatwoot.seed(30);
      const pages = [await list(chatwoot), await list(chatwoot, '?page=2'), await list(chatwoot, '?page=3')];
      expect(pages.map((page) => page.body.data.payload.length)).toEqual([25, 5, 0]);
      expect(pages.flatMap(ids)).toEqual(seeded.map((conversation) => conversation.id));
      expect(pages[2]?.body.data.meta).toEqual({
        mine_count: 0,
        assigned_count: 0,
        unassigned_count: 30,
        all_count: 30,
      });
    });

    it('honours pageSize and sort_by', async () => {
      const chatwoot = await start({ pageSize: 2 });
      const [newest, middle, oldest] = chatwoot.seed(3);
      expect(ids(await list(chatwoot, '?sort_by=last_activity_at_asc'))).toEqual([oldest?.id, middle?.id]);
      expect(ids(await list(chatwoot, '?sort_by=last_activity_at_asc&page=2'))).toEqual([newest?.id]);
      expect(ids(await list(chatwoot, '?sort_by=created_at_desc'))).toEqual([newest?.id, middle?.id]);
      expect(ids(await list(chatwoot, '?sort_by=nonsense'))).toEqual([newest?.id, middle?.id]);
      expect(ids(await list(chatwoot, '?page=abc'))).toEqual([newest?.id, middle?.id]);
    });

    it('filters by status, open by default', async () => {
      const chatwoot = await start();
      const [open] = chatwoot.seed(1);
      const [resolved] = chatwoot.seed(1, { status: 'resolved' });
      const [pending] = chatwoot.seed(1, { status: 'pending' });
      const [snoozed] = chatwoot.seed(1, { status: 'snoozed' });
      expect(ids(await list(chatwoot))).toEqual([open?.id]);
      expect(ids(await list(chatwoot, '?status=resolved'))).toEqual([resolved?.id]);
      expect(ids(await list(chatwoot, '?status=pending'))).toEqual([pending?.id]);
      expect(ids(await list(chatwoot, '?status=snoozed'))).toEqual([snoozed?.id]);
      expect(ids(await list(chatwoot, '?status=all&sort_by=created_at_asc'))).toEqual([
        open?.id,
        resolved?.id,
        pending?.id,
        snoozed?.id,
      ]);
      expect(ids(await list(chatwoot, '?status=closed'))).toEqual([]);
    });

    it('filters by assignee_type while the meta counts ignore it', async () => {
      const chatwoot = await start();
      const colleague = chatwoot.addAgent({ name: 'Rita' });
      const [mine] = chatwoot.seed(1, { assignee: 'me' });
      const [theirs] = chatwoot.seed(1, { assignee: colleague.id });
      const [nobody] = chatwoot.seed(1);
      const meta = { mine_count: 1, assigned_count: 2, unassigned_count: 1, all_count: 3 };
      for (const [type, expected] of [
        ['me', [mine?.id]],
        ['assigned', [mine?.id, theirs?.id]],
        ['unassigned', [nobody?.id]],
        ['all', [mine?.id, theirs?.id, nobody?.id]],
      ] as const) {
        // Seeded one by one, the three share a last activity: ascending order breaks ties by id.
        const response = await list(chatwoot, `?assignee_type=${type}&sort_by=last_activity_at_asc`);
        expect(ids(response)).toEqual(expected);
        expect(response.body.data.meta).toEqual(meta);
      }
      const rendered = (await list(chatwoot, '?assignee_type=me')).body.data.payload[0];
      expect(rendered.meta.assignee).toMatchObject({ id: chatwoot.agent.id, role: 'administrator' });
      expect((await list(chatwoot, '?assignee_type=unassigned')).body.data.payload[0].meta).not.toHaveProperty(
        'assignee',
      );
    });

    it('filters by inbox_id, team_id (404 for an unknown team), labels and q', async () => {
      const chatwoot = await start();
      const otherInbox = chatwoot.addInbox({ name: 'Second' });
      const team = chatwoot.addTeam({ name: 'Billing' });
      const billing = chatwoot.addConversation({
        contact: { name: 'Ana' },
        teamId: team.id,
        labels: ['vip', 'billing'],
        lastActivityAt: NOW - 1000,
      });
      const second = chatwoot.addConversation({
        contact: { name: 'Budi' },
        inboxId: otherInbox.id,
        labels: ['vip'],
        lastActivityAt: NOW - 2000,
      });
      const refund = chatwoot.addConversation({
        contact: { name: 'Chen' },
        status: 'resolved',
        messages: [{ content: 'I want a REFUND please', from: 'contact', at: NOW - 3000 }],
      });
      expect(ids(await list(chatwoot, `?inbox_id=${otherInbox.id}`))).toEqual([second.id]);
      expect(ids(await list(chatwoot, `?team_id=${team.id}`))).toEqual([billing.id]);
      expect(await list(chatwoot, '?team_id=999')).toMatchObject({
        status: 404,
        body: { error: 'Resource could not be found' },
      });
      expect(ids(await list(chatwoot, '?labels[]=billing'))).toEqual([billing.id]);
      expect(ids(await list(chatwoot, '?labels[]=billing&labels[]=vip'))).toEqual([billing.id, second.id]);
      expect(ids(await list(chatwoot, '?labels=vip'))).toEqual([billing.id, second.id]);
      // Searching skips the status filter, as ConversationFinder does.
      expect(ids(await list(chatwoot, '?q=refund'))).toEqual([refund.id]);
      expect(ids(await list(chatwoot, '?q=nothing-like-this'))).toEqual([]);
    });

    it('renders the conversation partial: unix times, waiting_since, last message and sender', async () => {
      const chatwoot = await start();
      const conversation = chatwoot.addConversation({
        contact: { name: 'Ana', phoneNumber: '+15550000001', email: 'ana@example.com' },
        createdAt: NOW - 7200_000,
        messages: [{ content: 'Hello?', from: 'contact', at: NOW - 3600_000 }],
      });
      const [rendered] = (await list(chatwoot)).body.data.payload;
      expect(rendered).toMatchObject({
        id: conversation.id,
        account_id: ACCOUNT,
        uuid: conversation.uuid,
        inbox_id: chatwoot.defaultInbox.id,
        status: 'open',
        labels: [],
        created_at: NOW_S - 7200,
        last_activity_at: NOW_S - 3600,
        timestamp: NOW_S - 3600,
        waiting_since: NOW_S - 3600,
        meta: {
          sender: { id: conversation.contactId, name: 'Ana', phone_number: '+15550000001', email: 'ana@example.com' },
          channel: 'Channel::Api',
        },
        messages: [{ content: 'Hello?', message_type: 0, created_at: NOW_S - 3600, sender: { type: 'contact' } }],
      });
    });
  });

  describe('POST .../conversations/:id/toggle_status (application)', () => {
    it('sets an explicit status, and setting resolved twice changes nothing', async () => {
      let clock = NOW;
      const chatwoot = await start({ now: () => clock });
      const [conversation] = chatwoot.seed(1);
      const id = conversation?.id ?? 0;
      const resolved = await toggle(chatwoot, id, { status: 'resolved' });
      expect(resolved).toMatchObject({
        status: 200,
        body: {
          meta: {},
          payload: { success: true, conversation_id: id, current_status: 'resolved', snoozed_until: null },
        },
      });
      expect(chatwoot.statusOf(id)).toBe('resolved');
      const afterFirst = chatwoot.getConversation(id);
      clock = NOW + 60_000;
      const again = await toggle(chatwoot, id, { status: 'resolved' });
      expect(again.body.payload.current_status).toBe('resolved');
      expect(chatwoot.getConversation(id)).toEqual(afterFirst);
    });

    it('without a status it really toggles: open → resolved → open, pending → open', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const [pending] = chatwoot.seed(1, { status: 'pending' });
      const id = conversation?.id ?? 0;
      expect((await toggle(chatwoot, id)).body.payload.current_status).toBe('resolved');
      expect((await toggle(chatwoot, id)).body.payload.current_status).toBe('open');
      expect((await toggle(chatwoot, pending?.id ?? 0, { status: '' })).body.payload.current_status).toBe('open');
      expect(chatwoot.statusOf(id)).toBe('open');
    });

    it('snoozes until a time', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const response = await toggle(chatwoot, conversation?.id ?? 0, {
        status: 'snoozed',
        snoozed_until: NOW_S + 3600,
      });
      expect(response.body.payload).toMatchObject({ current_status: 'snoozed', snoozed_until: NOW_S + 3600 });
    });

    it('answers 500 for an unknown status (enum ArgumentError) and 404 for an unknown conversation', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const invalid = await toggle(chatwoot, conversation?.id ?? 0, { status: 'closed' });
      expect(invalid).toMatchObject({ status: 500, body: { status: 500, error: 'Internal Server Error' } });
      expect(chatwoot.statusOf(conversation?.id ?? 0)).toBe('open');
      const missing = await toggle(chatwoot, 999, { status: 'resolved' });
      expect(missing).toMatchObject({ status: 404, body: { error: 'Resource could not be found' } });
      const malformed = await call(
        chatwoot,
        `/api/v1/accounts/${ACCOUNT}/conversations/${conversation?.id}/toggle_status`,
        {
          method: 'POST',
          rawBody: '{"status":',
        },
      );
      expect(malformed).toMatchObject({ status: 400, body: { status: 400, error: 'Bad Request' } });
    });
  });

  describe('public API', () => {
    const base = (contact: string, inbox = 'inbox-abc') =>
      `/public/api/v1/inboxes/${inbox}/contacts/${contact}/conversations`;

    it('resolves without auth, idempotently, and never reopens', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const path = `${base(conversation?.sourceId ?? '')}/${conversation?.id}/toggle_status`;
      const first = await call(chatwoot, path, { method: 'POST', headers: { api_access_token: '' } });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        id: conversation?.id,
        uuid: conversation?.uuid,
        status: 'resolved',
        contact: { name: expect.any(String) },
      });
      const afterFirst = chatwoot.getConversation(conversation?.id ?? 0);
      const second = await call(chatwoot, path, { method: 'POST' });
      expect(second).toMatchObject({ status: 200, body: { status: 'resolved' } });
      expect(chatwoot.getConversation(conversation?.id ?? 0)).toEqual(afterFirst);
    });

    it("lists all of a contact's conversations with all their chat messages, and shows one", async () => {
      const chatwoot = await start();
      const { sourceId, contact } = chatwoot.addContact({ name: 'Ana', phoneNumber: '+15550000001' });
      const older = chatwoot.addConversation({
        contact: contact.id,
        status: 'resolved',
        messages: [
          { content: 'hi', from: 'contact', at: NOW - 5000 },
          { content: 'hello, how can we help?', from: 'agent', at: NOW - 4000 },
          { content: 'internal note', from: 'agent', at: NOW - 3500, private: true },
        ],
      });
      const newer = chatwoot.addConversation({ contact: contact.id });
      chatwoot.seed(2); // other contacts' conversations must not show up
      const listed = await call(chatwoot, base(sourceId));
      expect(listed.status).toBe(200);
      expect(listed.body.map((conversation: { id: number }) => conversation.id)).toEqual([older.id, newer.id]);
      expect(listed.body[0].messages.map((message: { content: string }) => message.content)).toEqual([
        'hi',
        'hello, how can we help?',
      ]);
      expect(listed.body[0].messages[1]).toMatchObject({
        message_type: 1,
        conversation_id: older.id,
        sender: { type: 'user' },
      });
      const one = await call(chatwoot, `${base(sourceId)}/${newer.id}`);
      expect(one.body).toMatchObject({ id: newer.id, status: 'open', inbox_id: chatwoot.defaultInbox.id });
    });

    it('answers 404 with the spec’s bad_request_error shape for an unknown inbox, contact or conversation', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const [stranger] = chatwoot.seed(1);
      const source = conversation?.sourceId ?? '';
      const cases = [
        [`${base(source, 'no-such-inbox')}/${conversation?.id}/toggle_status`, 'inbox_identifier'],
        [`${base('no-such-contact')}/${conversation?.id}/toggle_status`, 'contact_identifier'],
        [`${base(source)}/${stranger?.id}/toggle_status`, 'conversation_id'],
        [`${base(source)}/424242/toggle_status`, 'conversation_id'],
      ] as const;
      for (const [path, field] of cases) {
        const response = await call(chatwoot, path, { method: 'POST' });
        expect(response.status).toBe(404);
        expect(response.body).toEqual({
          description: expect.any(String),
          errors: [{ field, message: expect.any(String), code: 'not_found' }],
        });
      }
      expect(chatwoot.statusOf(stranger?.id ?? 0)).toBe('open');
    });

    it('only reaches API-channel inboxes', async () => {
      const chatwoot = await start();
      const widget = chatwoot.addInbox({ identifier: 'web-widget', channelType: 'Channel::WebWidget' });
      const [conversation] = chatwoot.seed(1, { inboxId: widget.id });
      const response = await call(chatwoot, base(conversation?.sourceId ?? '', 'web-widget'));
      expect(response.status).toBe(404);
    });
  });

  describe('messages and activity', () => {
    it('a customer message reopens a resolved conversation and starts waiting; an agent reply ends it', async () => {
      const chatwoot = await start();
      const [conversation] = chatwoot.seed(1);
      const id = conversation?.id ?? 0;
      await toggle(chatwoot, id, { status: 'resolved' });
      expect(chatwoot.getConversation(id)?.waitingSince).toBeNull();

      const reopened = chatwoot.receiveCustomerMessage(id, { content: 'one more thing', at: NOW + 60_000 });
      expect(reopened).toMatchObject({ status: 'open', lastActivityAt: NOW + 60_000, waitingSince: NOW + 60_000 });
      const [rendered] = (await list(chatwoot)).body.data.payload;
      expect(rendered).toMatchObject({ id, last_activity_at: NOW_S + 60, waiting_since: NOW_S + 60 });

      const answered = chatwoot.sendAgentMessage(id, { at: NOW + 120_000 });
      expect(answered).toMatchObject({ lastActivityAt: NOW + 120_000, waitingSince: null });
      expect((await list(chatwoot)).body.data.payload[0].waiting_since).toBe(0);
    });

    it('reopens to pending when the inbox has an active bot, and un-snoozes', async () => {
      const chatwoot = await start();
      const botInbox = chatwoot.addInbox({ hasActiveBot: true });
      const [botConversation] = chatwoot.seed(1, { inboxId: botInbox.id, status: 'resolved' });
      const [snoozed] = chatwoot.seed(1, { status: 'snoozed' });
      expect(chatwoot.receiveCustomerMessage(botConversation?.id ?? 0).status).toBe('pending');
      expect(chatwoot.receiveCustomerMessage(snoozed?.id ?? 0)).toMatchObject({ status: 'open', snoozedUntil: null });
    });

    it('a resolution posts an activity message that moves last activity but is not a public message', async () => {
      let clock = NOW;
      const chatwoot = await start({ now: () => clock });
      const [conversation] = chatwoot.seed(1, { activitySpreadMs: 3600_000 });
      clock = NOW + 1000;
      await toggle(chatwoot, conversation?.id ?? 0, { status: 'resolved' });
      const stored = chatwoot.getConversation(conversation?.id ?? 0);
      expect(stored?.lastActivityAt).toBe(NOW + 1000);
      expect(stored?.messages.at(-1)).toMatchObject({
        messageType: 2,
        content: `Conversation was resolved by ${chatwoot.agent.name}`,
      });
      const publicView = await call(
        chatwoot,
        `/public/api/v1/inboxes/inbox-abc/contacts/${conversation?.sourceId}/conversations/${conversation?.id}`,
      );
      expect(publicView.body.messages).toHaveLength(1);
    });
  });

  describe('rate limiting', () => {
    it('answers like rack-attack on every path: 429 text/plain "Retry later", no Retry-After', async () => {
      const chatwoot = await start({ rateLimit: { limit: 2, windowMs: 60_000 } });
      const [conversation] = chatwoot.seed(1);
      expect((await list(chatwoot)).status).toBe(200);
      expect(
        (await call(chatwoot, `/public/api/v1/inboxes/inbox-abc/contacts/${conversation?.sourceId}/conversations`))
          .status,
      ).toBe(200);
      for (const path of [
        `/api/v1/accounts/${ACCOUNT}/conversations`,
        `/public/api/v1/inboxes/inbox-abc/contacts/${conversation?.sourceId}/conversations`,
        '/no/such/route',
      ]) {
        const limited = await call(chatwoot, path);
        expect(limited.status).toBe(429);
        expect(limited.headers.get('content-type')).toBe('text/plain');
        expect(limited.text).toBe('Retry later\n');
        expect(limited.headers.has('retry-after')).toBe(false);
      }
      expect(chatwoot.maxInWindow(60_000)).toBe(5);
      expect(chatwoot.requests.map((request) => request.status)).toEqual([200, 200, 429, 429, 429]);
    });
  });

  describe('faults', () => {
    it('failFirst and failFor answer Chatwoot-shaped errors, then recover', async () => {
      const chatwoot = await start();
      const [target, other] = chatwoot.seed(2);
      chatwoot.faults.failFirst(1, 503);
      const unavailable = await list(chatwoot);
      expect(unavailable).toMatchObject({ status: 503, body: { status: 503, error: 'Service Unavailable' } });
      chatwoot.faults.failFor(target?.id ?? 0, 404, 1);
      expect((await toggle(chatwoot, target?.id ?? 0, { status: 'resolved' })).body).toEqual({
        error: 'Resource could not be found',
      });
      expect((await toggle(chatwoot, other?.id ?? 0, { status: 'resolved' })).status).toBe(200);
      expect((await toggle(chatwoot, target?.id ?? 0, { status: 'resolved' })).status).toBe(200);
      chatwoot.faults.failFor(target?.sourceId ?? '', 404, 1);
      const publicPath = `/public/api/v1/inboxes/inbox-abc/contacts/${target?.sourceId}/conversations`;
      expect((await call(chatwoot, publicPath)).body).toMatchObject({ errors: [{ code: 'not_found' }] });
      expect((await call(chatwoot, publicPath)).status).toBe(200);
    });

    it('an injected 429 is rack-attack’s', async () => {
      const chatwoot = await start();
      chatwoot.faults.failFirst(2, 429);
      for (let i = 0; i < 2; i += 1) {
        const limited = await list(chatwoot);
        expect(limited).toMatchObject({ status: 429, text: 'Retry later\n' });
      }
      expect((await list(chatwoot)).status).toBe(200);
    });

    it('latency outlasts a client timeout; the resolution still happens', async () => {
      const chatwoot = await start({ latencyMs: 5_000 });
      const [conversation] = chatwoot.seed(1);
      await expect(
        call(chatwoot, `/api/v1/accounts/${ACCOUNT}/conversations/${conversation?.id}/toggle_status`, {
          method: 'POST',
          json: { status: 'resolved' },
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toThrow();
      await chatwoot.waitForRequests(1);
      expect(chatwoot.statusOf(conversation?.id ?? 0)).toBe('resolved');
      expect(chatwoot.requests[0]).toMatchObject({
        body: { status: 'resolved' },
        headers: { api_access_token: TOKEN },
      });
    });
  });
});
