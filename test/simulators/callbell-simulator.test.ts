import { afterEach, describe, expect, it } from '@jest/globals';
import { CallbellSimulator, type CallbellSimulatorOptions } from '../../src/simulators/index.js';

/** Response bodies as tests read them: a wrong path simply fails the expectation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON under test
type Json = any;

const TOKEN = 'callbell-test-token';
const NOW = Date.parse('2026-03-10T12:00:00Z');

let sim: CallbellSimulator | undefined;

afterEach(async () => {
  expect(sim?.internalErrors ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function start(options: Partial<CallbellSimulatorOptions> = {}): Promise<CallbellSimulator> {
  sim = await CallbellSimulator.start({ credentials: TOKEN, now: () => NOW, ...options });
  return sim;
}

interface CallOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** One real HTTP call, sent the way Callbell's docs show (Bearer token, JSON content type). */
async function call(target: CallbellSimulator, path: string, options: CallOptions = {}) {
  const response = await fetch(target.url + path, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json',
      ...options.headers,
    },
    ...(options.body !== undefined && { body: options.body }),
    ...(options.signal && { signal: options.signal }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as Json),
  };
}

const close = (target: CallbellSimulator, uuid: string) =>
  call(target, `/contacts/${uuid}/conversation/close`, { method: 'POST', body: '' });

describe('CallbellSimulator', () => {
  it('serves the API under /v1', async () => {
    const callbell = await start();
    expect(callbell.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  describe('authentication', () => {
    it('needs `Authorization: Bearer <token>` (scheme case-insensitive) and answers 401 JSON otherwise', async () => {
      const callbell = await start();
      expect((await call(callbell, '/contacts', { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
      for (const authorization of [TOKEN, `Bearer ${TOKEN}x`, 'Bearer', '']) {
        const denied = await call(callbell, '/contacts', { headers: { authorization } });
        expect(denied.status).toBe(401);
        expect(denied.body).toEqual({ error: expect.any(String) });
      }
    });
  });

  describe('POST /contacts/:uuid/conversation/close', () => {
    it('accepts the empty JSON request of the docs, sets closedAt to now and answers {contact}', async () => {
      let clock = NOW;
      const callbell = await start({ now: () => clock });
      const [contact] = callbell.seed(1);
      const uuid = contact?.uuid ?? '';
      const response = await close(callbell, uuid);
      expect(response.status).toBe(200);
      expect(response.body.contact).toMatchObject({ uuid, closedAt: '2026-03-10T12:00:00Z' });
      expect(callbell.statusOf(uuid)).toBe('closed');

      // Closing again is not an error: closedAt moves to the new current time.
      clock = NOW + 5 * 60_000;
      const again = await close(callbell, uuid);
      expect(again.status).toBe(200);
      expect(again.body.contact.closedAt).toBe('2026-03-10T12:05:00Z');
    });

    it('renders every documented Contact field', async () => {
      const callbell = await start();
      const team = callbell.addTeam({ name: 'Support' });
      const contact = callbell.addContact({
        name: 'John Doe',
        phoneNumber: '+123456789',
        createdAt: '2020-11-13T21:08:53Z',
        tags: ['sales'],
        assignedUser: 'agent@example.com',
        customFields: { VAT: 'ABC123' },
        team,
      });
      const { body } = await close(callbell, contact.uuid);
      expect(body.contact).toEqual({
        uuid: contact.uuid,
        name: 'John Doe',
        phoneNumber: '+123456789',
        avatarUrl: null,
        createdAt: '2020-11-13T21:08:53Z',
        source: 'whatsapp',
        closedAt: '2026-03-10T12:00:00Z',
        href: `https://dash.callbell.eu/contacts/${contact.uuid}`,
        conversationHref: `https://dash.callbell.eu/chat/${contact.conversationUuid}`,
        tags: ['sales'],
        assignedUser: 'agent@example.com',
        customFields: { VAT: 'ABC123' },
        team: { uuid: team.uuid, name: 'Support', createdAt: '2026-03-10T12:00:00Z', default: false, members: 1 },
        channel: { uuid: callbell.channel.uuid, title: 'WhatsApp', type: 'whatsapp', main: true },
      });
    });

    it('can answer the pre-2025-12 shape, where contact is an array', async () => {
      const callbell = await start({ contactShape: 'array' });
      const [contact] = callbell.seed(1);
      const closed = await close(callbell, contact?.uuid ?? '');
      expect(Array.isArray(closed.body.contact)).toBe(true);
      expect(closed.body.contact[0]).toMatchObject({ uuid: contact?.uuid, closedAt: '2026-03-10T12:00:00Z' });
      const fetched = await call(callbell, `/contacts/${contact?.uuid}`);
      expect(fetched.body.contact).toHaveLength(1);
    });

    it('answers 404 for an unknown uuid and reopens with /conversation/open', async () => {
      const callbell = await start();
      const [contact] = callbell.seed(1, { closed: true });
      const unknown = await close(callbell, 'ffffffffffffffffffffffffffffffff');
      expect(unknown).toMatchObject({ status: 404, body: { error: 'Contact not found' } });
      const opened = await call(callbell, `/contacts/${contact?.uuid}/conversation/open`, { method: 'POST', body: '' });
      expect(opened.body.contact.closedAt).toBeNull();
      expect(callbell.statusOf(contact?.uuid ?? '')).toBe('open');
    });

    it('answers 400 to a body declared as JSON that does not parse', async () => {
      const callbell = await start();
      const [contact] = callbell.seed(1);
      const response = await call(callbell, `/contacts/${contact?.uuid}/conversation/close`, {
        method: 'POST',
        body: '{oops',
      });
      expect(response).toMatchObject({ status: 400, body: { error: expect.any(String) } });
      expect(callbell.statusOf(contact?.uuid ?? '')).toBe('open');
    });
  });

  describe('GET /contacts', () => {
    it('pages by pageSize and answers an empty array after the last page, without meta', async () => {
      const callbell = await start({ pageSize: 2 });
      const seeded = callbell.seed(5);
      const seen: string[] = [];
      const sizes: number[] = [];
      for (let page = 1; ; page += 1) {
        const { status, body } = await call(callbell, `/contacts?page=${page}`);
        expect(status).toBe(200);
        expect(Object.keys(body)).toEqual(['contacts']);
        if (body.contacts.length === 0) break;
        sizes.push(body.contacts.length);
        seen.push(...body.contacts.map((contact: { uuid: string }) => contact.uuid));
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toEqual(seeded.map((contact) => contact.uuid));
    });

    it('defaults to page 1 and 50 contacts a page', async () => {
      const callbell = await start();
      callbell.seed(51);
      expect((await call(callbell, '/contacts')).body.contacts).toHaveLength(50);
      expect((await call(callbell, '/contacts?page=2')).body.contacts).toHaveLength(1);
    });

    it('filters by source, tags (comma-separated, case-insensitive, any of them) and team_uuid', async () => {
      const callbell = await start();
      const team = callbell.addTeam({ name: 'Sales' });
      const [whatsappLead] = callbell.seed(1, { tags: ['Lead'], team });
      const [instagramHot] = callbell.seed(1, { source: 'instagram', tags: ['hot'] });
      const [untagged] = callbell.seed(1);
      const uuids = async (query: string) =>
        (await call(callbell, `/contacts?${query}`)).body.contacts.map((contact: { uuid: string }) => contact.uuid);
      expect(await uuids('source=instagram')).toEqual([instagramHot?.uuid]);
      expect(await uuids('source=whatsapp')).toEqual([whatsappLead?.uuid, untagged?.uuid]);
      expect(await uuids('tags=lead')).toEqual([whatsappLead?.uuid]);
      expect(await uuids('tags=LEAD,Hot')).toEqual([whatsappLead?.uuid, instagramHot?.uuid]);
      expect(await uuids(`team_uuid=${team.uuid}`)).toEqual([whatsappLead?.uuid]);
      expect(await uuids(`team_uuid=${team.uuid}&source=instagram`)).toEqual([]);
    });

    it('answers 400 for a page that is not a positive integer', async () => {
      const callbell = await start();
      for (const page of ['0', 'two', '-1']) {
        expect((await call(callbell, `/contacts?page=${page}`)).status).toBe(400);
      }
    });
  });

  describe('GET /contacts/:uuid and /contacts/:uuid/messages', () => {
    it('answers one contact, and its messages newest first, paginated', async () => {
      const callbell = await start({ pageSize: 2 });
      const contact = callbell.addContact({ name: 'Mario Rossi', phoneNumber: '+39 0987 654321' });
      callbell.addMessage(contact.uuid, { text: 'first', at: NOW - 3000 });
      callbell.addMessage(contact.uuid, { text: 'reply', status: 'sent', at: NOW - 2000 });
      callbell.addMessage(contact.uuid, { text: 'latest', at: NOW - 1000 });
      expect((await call(callbell, `/contacts/${contact.uuid}`)).body.contact).toMatchObject({
        uuid: contact.uuid,
        name: 'Mario Rossi',
      });
      const first = await call(callbell, `/contacts/${contact.uuid}/messages`);
      expect(first.body.messages.map((message: { text: string }) => message.text)).toEqual(['latest', 'reply']);
      expect(first.body.messages[0]).toEqual({
        uuid: expect.stringMatching(/^[0-9a-f]{32}$/),
        text: 'latest',
        createdAt: '2026-03-10T11:59:59Z',
        status: 'received',
        channel: 'whatsapp',
        from: '390987654321',
        to: '15550009999',
      });
      expect(first.body.messages[1]).toMatchObject({ status: 'sent', from: '15550009999', to: '390987654321' });
      const second = await call(callbell, `/contacts/${contact.uuid}/messages?page=2`);
      expect(second.body.messages.map((message: { text: string }) => message.text)).toEqual(['first']);
      expect((await call(callbell, `/contacts/${contact.uuid}/messages?page=3`)).body.messages).toEqual([]);
      expect((await call(callbell, '/contacts/nope/messages')).status).toBe(404);
    });
  });

  describe('rate limiting', () => {
    it.each([
      ['seconds' as const, (value: string | null) => expect(['29', '30']).toContain(value)],
      [
        'http-date' as const,
        (value: string | null) => expect(Date.parse(value ?? '') - Date.now()).toBeGreaterThan(27_000),
      ],
      ['none' as const, (value: string | null) => expect(value).toBeNull()],
    ])('answers 429 Too Many Requests over the window with Retry-After as %s', async (retryAfter, checkHeader) => {
      const callbell = await start({ rateLimit: { limit: 3, windowMs: 30_000 }, retryAfter });
      const statuses: number[] = [];
      let limited: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 5; i += 1) {
        const response = await call(callbell, '/contacts');
        statuses.push(response.status);
        if (response.status === 429) limited = response;
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(limited?.body).toEqual({ error: 'Too Many Requests' });
      checkHeader(limited?.headers.get('retry-after') ?? null);
      expect(callbell.maxInWindow(30_000)).toBe(5);
      expect(callbell.maxInWindow(0)).toBe(0);
    });
  });

  describe('faults', () => {
    it('failFirst answers the provider error shape and leaves state alone', async () => {
      const callbell = await start();
      const [contact] = callbell.seed(1);
      callbell.faults.failFirst(1, 500);
      const failed = await close(callbell, contact?.uuid ?? '');
      expect(failed).toMatchObject({ status: 500, body: { error: 'Internal Server Error' } });
      expect(callbell.statusOf(contact?.uuid ?? '')).toBe('open');
      expect((await close(callbell, contact?.uuid ?? '')).status).toBe(200);
    });

    it('failFor fails every request about one contact `times` times', async () => {
      const callbell = await start();
      const [target, other] = callbell.seed(2);
      callbell.faults.failFor(target?.uuid ?? '', 503, 3);
      expect((await close(callbell, target?.uuid ?? '')).status).toBe(503);
      expect((await call(callbell, `/contacts/${target?.uuid}`)).status).toBe(503);
      expect((await call(callbell, `/contacts/${target?.uuid}/messages`)).status).toBe(503);
      expect((await close(callbell, other?.uuid ?? '')).status).toBe(200);
      expect((await call(callbell, '/contacts')).status).toBe(200);
      expect((await close(callbell, target?.uuid ?? '')).status).toBe(200);
    });

    it('failFirst with 429 answers the documented Too Many Requests', async () => {
      const callbell = await start({ retryAfter: 'none' });
      callbell.faults.failFirst(1, 429);
      const limited = await call(callbell, '/contacts');
      expect(limited).toMatchObject({ status: 429, body: { error: 'Too Many Requests' } });
      expect(limited.headers.has('retry-after')).toBe(false);
    });

    it('latency outlasts a client timeout; the close still happens', async () => {
      const callbell = await start();
      const [contact] = callbell.seed(1);
      callbell.faults.setLatency(5_000);
      await expect(
        call(callbell, `/contacts/${contact?.uuid}/conversation/close`, {
          method: 'POST',
          body: '',
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toThrow();
      await callbell.waitForRequests(1);
      expect(callbell.statusOf(contact?.uuid ?? '')).toBe('closed');
      expect(callbell.requests[0]).toMatchObject({ method: 'POST', status: 200, rawBody: '', body: undefined });
    });
  });

  describe('state helpers', () => {
    it('seed gives each contact one customer message, spread evenly back from now', async () => {
      const callbell = await start();
      const seeded = callbell.seed(3, { activitySpreadMs: 3 * 60_000 });
      expect(seeded.map((contact) => NOW - (callbell.messagesOf(contact.uuid)[0]?.createdAt ?? 0))).toEqual([
        60_000, 120_000, 180_000,
      ]);
      expect(seeded.every((contact) => contact.closedAt === null)).toBe(true);
    });

    it('a customer message reopens a closed conversation and becomes the newest message', async () => {
      const callbell = await start();
      const [contact] = callbell.seed(1, { closed: true });
      const reopened = callbell.receiveCustomerMessage(contact?.uuid ?? '', { text: 'still there?', at: NOW + 1000 });
      expect(reopened.closedAt).toBeNull();
      const { body } = await call(callbell, `/contacts/${contact?.uuid}/messages`);
      expect(body.messages[0]).toMatchObject({ text: 'still there?', status: 'received' });
    });
  });
});
