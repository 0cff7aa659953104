import { afterEach, describe, expect, it } from '@jest/globals';
import { PeachSimulator, type PeachSimulatorOptions } from '../../src/simulators/index.js';

/** Response bodies as tests read them: a wrong path simply fails the expectation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON under test
type Json = any;

const KEY = 'peach-test-key';
const NOW = Date.parse('2026-03-10T12:00:00.000Z');

let sim: PeachSimulator | undefined;

afterEach(async () => {
  expect(sim?.internalErrors ?? []).toEqual([]);
  await sim?.close();
  sim = undefined;
});

async function start(options: Partial<PeachSimulatorOptions> = {}): Promise<PeachSimulator> {
  sim = await PeachSimulator.start({ credentials: KEY, now: () => NOW, ...options });
  return sim;
}

interface CallOptions {
  readonly method?: string;
  readonly json?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

/** One real HTTP call; authenticated with the simulator's key unless headers say otherwise. */
async function call(target: PeachSimulator, path: string, options: CallOptions = {}) {
  const headers: Record<string, string> = { authorization: KEY, ...options.headers };
  if (options.json !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(target.url + path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.json !== undefined && { body: JSON.stringify(options.json) }),
    ...(options.signal && { signal: options.signal }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : (JSON.parse(text) as Json),
  };
}

const closeEvent = (name: string, phone: string) => ({
  event_type: 'close_conversation',
  contact: { name, phone_number: phone },
});

describe('PeachSimulator', () => {
  describe('authentication', () => {
    it('accepts only the raw key in Authorization and answers 401 JSON otherwise', async () => {
      const peach = await start();
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
      for (const headers of [{ authorization: `Bearer ${KEY}` }, { authorization: 'wrong' }, { authorization: '' }]) {
        const denied = await call(peach, '/api/v1/conversations', { headers });
        expect(denied.status).toBe(401);
        expect(denied.headers.get('content-type')).toMatch(/^application\/json/);
        expect(denied.body).toEqual({ error: 'Unauthorized', message: 'Invalid API key' });
      }
    });
  });

  describe('GET /api/v1/conversations', () => {
    it('pages through every conversation by following next links', async () => {
      const peach = await start();
      const seeded = peach.seed(7);
      const seen: number[] = [];
      let path: string | null = '/api/v1/conversations?status=open&per=3';
      const prevs: unknown[] = [];
      while (path !== null) {
        const page = await call(peach, path);
        expect(page.status).toBe(200);
        expect(page.body.count).toBe(7);
        seen.push(...page.body.conversations.map((conversation: { id: number }) => conversation.id));
        prevs.push(page.body.prev);
        path = page.body.next;
      }
      expect(seen).toEqual(seeded.map((conversation) => conversation.id));
      expect(prevs).toEqual([
        null,
        '/api/v1/conversations?status=open&per=3&page=1',
        '/api/v1/conversations?status=open&per=3&page=2',
      ]);
      const beyond = await call(peach, '/api/v1/conversations?per=3&page=4');
      expect(beyond.body).toMatchObject({ count: 7, next: null, conversations: [] });
    });

    it('uses pageSize as the default per and can name the back link `previous`', async () => {
      const peach = await start({ pageSize: 2, previousField: 'previous' });
      peach.seed(3);
      const second = await call(peach, '/api/v1/conversations?page=2');
      expect(second.body.conversations).toHaveLength(1);
      expect(second.body.previous).toBe('/api/v1/conversations?page=1');
      expect(second.body).not.toHaveProperty('prev');
    });

    it('renders the documented conversation shape', async () => {
      const peach = await start();
      const added = peach.addConversation({
        contact: { name: 'Alfred Hitchcock', phoneNumber: '+13309106533' },
        status: 'pending',
        escalated: true,
        assignedTo: { type: 'agent', id: 9, name: 'Rita' },
        lastActivityAt: '2026-03-09T08:00:00.000Z',
        createdAt: '2026-03-01T08:00:00.000Z',
      });
      const { body } = await call(peach, '/api/v1/conversations');
      expect(body.conversations).toEqual([
        {
          id: added.id,
          status: 'pending',
          escalated: true,
          can_respond_till: '2026-03-10T08:00:00.000Z',
          subscriber: { id: added.subscriber.id, name: 'Alfred Hitchcock', phone_number: '+13309106533' },
          assigned_to: { type: 'agent', id: 9, name: 'Rita' },
          last_activity_at: '2026-03-09T08:00:00.000Z',
          updated_at: '2026-03-09T08:00:00.000Z',
          created_at: '2026-03-01T08:00:00.000Z',
        },
      ]);
    });

    it('applies each filter, and treats empty values as no filter', async () => {
      const peach = await start();
      const open = peach.addConversation({
        contact: { name: 'Ana', phoneNumber: '+15550000001', hasCallPermission: true },
        lastActivityAt: '2026-03-09T00:00:00Z',
        lastActivityType: 'assignment',
      });
      const escalated = peach.addConversation({
        contact: { name: 'Budi', phoneNumber: '+15550000002' },
        status: 'awaiting_customer_response',
        escalated: true,
        lastActivityAt: '2026-03-01T00:00:00Z',
        lastActivityType: 'escalation',
      });
      const closed = peach.addConversation({
        contact: { name: 'Chen', phoneNumber: '+15550000003' },
        status: 'closed',
        lastActivityAt: '2026-02-01T00:00:00Z',
      });
      const ids = async (query: string) =>
        (await call(peach, `/api/v1/conversations?${query}`)).body.conversations.map((c: { id: number }) => c.id);

      expect(await ids('status=closed')).toEqual([closed.id]);
      expect(await ids('status=')).toEqual([open.id, escalated.id, closed.id]);
      expect(await ids('status&escalated&activity_type&activity_since&updated_since&page=1&per=50')).toHaveLength(3);
      expect(await ids('escalated=true')).toEqual([escalated.id]);
      expect(await ids('escalated=false')).toEqual([open.id, closed.id]);
      expect(await ids('activity_type=escalation')).toEqual([escalated.id]);
      expect(await ids('activity_type=message')).toEqual([closed.id]);
      expect(await ids(`phone_number=${encodeURIComponent('+15550000002')}`)).toEqual([escalated.id]);
      expect(await ids('has_call_permission=true')).toEqual([open.id]);
      expect(await ids('activity_since=2026-02-15T00:00:00Z')).toEqual([open.id, escalated.id]);
      expect(await ids('updated_since=2026-03-05')).toEqual([open.id]);
      expect(await ids('status=open&has_call_permission=false')).toEqual([]);
    });

    it.each([
      ['status=archived', /status/],
      ['escalated=maybe', /escalated/],
      ['activity_type=call', /activity_type/],
      ['has_call_permission=yes', /has_call_permission/],
      ['updated_since=yesterday', /updated_since/],
      ['activity_since=2026-13-45T99:00:00Z', /activity_since/],
      ['page=0', /page/],
      ['per=-5', /per/],
    ])('answers 422 Parameter Error for %s', async (query, message) => {
      const peach = await start();
      const response = await call(peach, `/api/v1/conversations?${query}`);
      expect(response.status).toBe(422);
      expect(response.body.error).toBe('Parameter Error');
      expect(response.body.message).toMatch(message);
    });
  });

  describe('PATCH /api/v1/conversations/:id', () => {
    it('closes a conversation and answers the updated conversation', async () => {
      const later = NOW + 60_000;
      let clock = NOW;
      const peach = await start({ now: () => clock });
      const [conversation] = peach.seed(1);
      clock = later;
      const response = await call(peach, `/api/v1/conversations/${conversation?.id}`, {
        method: 'PATCH',
        json: { status: 'closed' },
      });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        id: conversation?.id,
        status: 'closed',
        updated_at: new Date(later).toISOString(),
      });
      expect(peach.statusOf(conversation?.id ?? 0)).toBe('closed');
      expect(peach.getConversation(conversation?.id ?? 0)?.lastActivityType).toBe('status_change');
    });

    it('answers 422 conversation_already_closed when closing twice', async () => {
      const peach = await start();
      const [conversation] = peach.seed(1, { status: 'closed' });
      const response = await call(peach, `/api/v1/conversations/${conversation?.id}`, {
        method: 'PATCH',
        json: { status: 'closed' },
      });
      expect(response.status).toBe(422);
      expect(response.body).toEqual({
        error: 'Parameter Error',
        code: 'conversation_already_closed',
        message: 'Conversation is already closed',
      });
    });

    it('sets other statuses, including reopening', async () => {
      const peach = await start();
      const [conversation] = peach.seed(1, { status: 'closed' });
      const response = await call(peach, `/api/v1/conversations/${conversation?.id}`, {
        method: 'PATCH',
        json: { status: 'open' },
      });
      expect(response.body.status).toBe('open');
      expect(peach.statusOf(conversation?.id ?? 0)).toBe('open');
    });

    it('answers 404 for an unknown id and 422 for a missing, invalid or unparsable status', async () => {
      const peach = await start();
      const [conversation] = peach.seed(1);
      const path = `/api/v1/conversations/${conversation?.id}`;
      const unknown = await call(peach, '/api/v1/conversations/999', { method: 'PATCH', json: { status: 'closed' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toBe('Not Found');
      for (const json of [{}, { status: 'done' }, { status: 3 }]) {
        const invalid = await call(peach, path, { method: 'PATCH', json });
        expect(invalid.status).toBe(422);
        expect(invalid.body.error).toBe('Parameter Error');
      }
      const malformed = await fetch(peach.url + path, {
        method: 'PATCH',
        headers: { authorization: KEY, 'content-type': 'application/json' },
        body: '{"status": "closed"',
      });
      expect(malformed.status).toBe(422);
      expect(await malformed.json()).toMatchObject({ error: 'Parameter Error' });
      // A JSON body sent without a JSON Content-Type is not read as parameters.
      const untyped = await call(peach, path, {
        method: 'PATCH',
        json: { status: 'closed' },
        headers: { 'content-type': 'text/plain' },
      });
      expect(untyped.status).toBe(422);
      expect(peach.statusOf(conversation?.id ?? 0)).toBe('open');
    });
  });

  describe('POST /api/v1/events close_conversation', () => {
    it("closes the contact's open conversations and answers {}", async () => {
      const peach = await start();
      const first = peach.addConversation({ contact: { name: 'Ana', phoneNumber: '+15550000001' }, status: 'pending' });
      const older = peach.addConversation({ contact: { name: 'Ana', phoneNumber: '+15550000001' }, status: 'closed' });
      const other = peach.addConversation({ contact: { name: 'Budi', phoneNumber: '+15550000002' } });
      const response = await call(peach, '/api/v1/events', { method: 'POST', json: closeEvent('Ana', '+15550000001') });
      expect(response).toMatchObject({ status: 200, body: {} });
      expect(peach.statusOf(first.id)).toBe('closed');
      expect(peach.statusOf(older.id)).toBe('closed');
      expect(peach.statusOf(other.id)).toBe('open');
      const again = await call(peach, '/api/v1/events', { method: 'POST', json: closeEvent('Ana', '+15550000001') });
      expect(again).toMatchObject({ status: 200, body: {} });
    });

    it('answers 404 for an unknown phone number and 422 for invalid events', async () => {
      const peach = await start();
      peach.seed(1);
      const unknown = await call(peach, '/api/v1/events', { method: 'POST', json: closeEvent('Zed', '+15559999999') });
      expect(unknown.status).toBe(404);
      const invalid = [
        { event_type: 'open_conversation', contact: { name: 'Ana', phone_number: '+15550000001' } },
        { event_type: 'close_conversation' },
        { event_type: 'close_conversation', contact: { phone_number: '+15550000001' } },
        { event_type: 'close_conversation', contact: { name: 'Ana' } },
        closeEvent('Ana', '0555 000 0001'),
      ];
      for (const json of invalid) {
        const response = await call(peach, '/api/v1/events', { method: 'POST', json });
        expect(response.status).toBe(422);
        expect(response.body.error).toBe('Parameter Error');
      }
    });
  });

  describe('rate limiting', () => {
    it('answers 429 JSON with Retry-After in seconds over the sliding window, counting only accepted requests', async () => {
      const peach = await start({ rateLimit: { limit: 2, windowMs: 60_000 } });
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
      const limited = await call(peach, '/api/v1/conversations');
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: 'Too Many Requests' });
      const seconds = Number(limited.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(59);
      expect(seconds).toBeLessThanOrEqual(60);
      expect((await call(peach, '/api/v1/conversations')).status).toBe(429);
      // Every request is recorded and counted by maxInWindow, whatever it was answered.
      expect(peach.requests.map((request) => request.status)).toEqual([200, 200, 429, 429]);
      expect(peach.maxInWindow(60_000)).toBe(4);
    });

    it('can advertise the wait as an HTTP date, or not at all', async () => {
      const peach = await start({ rateLimit: { limit: 1, windowMs: 30_000 }, retryAfter: 'http-date' });
      await call(peach, '/api/v1/conversations');
      const before = Date.now();
      const limited = await call(peach, '/api/v1/conversations');
      const waitMs = Date.parse(limited.headers.get('retry-after') ?? '') - before;
      expect(waitMs).toBeGreaterThan(28_000);
      expect(waitMs).toBeLessThanOrEqual(31_000);
      await peach.close();

      const silent = await start({ rateLimit: { limit: 1, windowMs: 30_000 }, retryAfter: 'none' });
      await call(silent, '/api/v1/conversations');
      const noHeader = await call(silent, '/api/v1/conversations');
      expect(noHeader.status).toBe(429);
      expect(noHeader.headers.has('retry-after')).toBe(false);
    });

    it('changes the limit at runtime and clear() restores the configured one', async () => {
      const peach = await start();
      peach.faults.setRateLimit(1, 60_000);
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
      expect((await call(peach, '/api/v1/conversations')).status).toBe(429);
      peach.faults.clear();
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
    });
  });

  describe('faults', () => {
    it('failFirst answers the next n requests with the status, before any route logic', async () => {
      const peach = await start();
      const [conversation] = peach.seed(1);
      peach.faults.failFirst(2, 503);
      const path = `/api/v1/conversations/${conversation?.id}`;
      const first = await call(peach, path, { method: 'PATCH', json: { status: 'closed' } });
      expect(first).toMatchObject({ status: 503, body: { error: 'Service Unavailable' } });
      expect(peach.statusOf(conversation?.id ?? 0)).toBe('open');
      expect((await call(peach, '/api/v1/conversations')).status).toBe(503);
      expect((await call(peach, path, { method: 'PATCH', json: { status: 'closed' } })).status).toBe(200);
      expect(peach.requests.map((request) => request.status)).toEqual([503, 503, 200]);
    });

    it('an injected 429 follows the Retry-After option', async () => {
      const peach = await start();
      peach.faults.failFirst(1, 429, { retryAfterMs: 2500 });
      const limited = await call(peach, '/api/v1/conversations');
      expect(limited).toMatchObject({ status: 429, body: { error: 'Too Many Requests' } });
      expect(limited.headers.get('retry-after')).toBe('3');
    });

    it('failFor fails requests for one conversation a number of times, then recovers', async () => {
      const peach = await start();
      const [target, bystander] = peach.seed(2);
      peach.faults.failFor(target?.id ?? 0, 500, 2);
      const close = (id: number | undefined) =>
        call(peach, `/api/v1/conversations/${id}`, { method: 'PATCH', json: { status: 'closed' } });
      expect((await close(target?.id)).status).toBe(500);
      expect((await close(bystander?.id)).status).toBe(200);
      expect((await close(target?.id)).status).toBe(500);
      expect((await close(target?.id)).status).toBe(200);
      expect(peach.statusOf(target?.id ?? 0)).toBe('closed');
    });

    it('failFor also catches close events for that contact, by conversation id or phone number', async () => {
      const peach = await start();
      const ana = peach.addConversation({ contact: { name: 'Ana', phoneNumber: '+15550000001' } });
      peach.addConversation({ contact: { name: 'Budi', phoneNumber: '+15550000002' } });
      peach.faults.failFor(ana.id, 502, 1);
      peach.faults.failFor('+15550000002', 504);
      const closeAna = { method: 'POST', json: closeEvent('Ana', '+15550000001') };
      const closeBudi = { method: 'POST', json: closeEvent('Budi', '+15550000002') };
      expect((await call(peach, '/api/v1/events', closeAna)).status).toBe(502);
      expect((await call(peach, '/api/v1/events', closeAna)).status).toBe(200);
      expect((await call(peach, '/api/v1/events', closeBudi)).status).toBe(504);
      expect((await call(peach, '/api/v1/events', closeBudi)).status).toBe(504);
      peach.faults.clear();
      expect((await call(peach, '/api/v1/events', closeBudi)).status).toBe(200);
    });

    it('latency makes responses slower than a client timeout, while the request still takes effect', async () => {
      const peach = await start({ latencyMs: 5_000 });
      const [conversation] = peach.seed(1);
      await expect(
        call(peach, `/api/v1/conversations/${conversation?.id}`, {
          method: 'PATCH',
          json: { status: 'closed' },
          signal: AbortSignal.timeout(100),
        }),
      ).rejects.toThrow();
      await peach.waitForRequests(1);
      expect(peach.statusOf(conversation?.id ?? 0)).toBe('closed');
      peach.faults.setLatency(0);
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
    });

    it('hang holds only the next answers', async () => {
      const peach = await start();
      peach.faults.hang(5_000);
      await expect(call(peach, '/api/v1/conversations', { signal: AbortSignal.timeout(100) })).rejects.toThrow();
      expect((await call(peach, '/api/v1/conversations')).status).toBe(200);
    });
  });

  describe('request log', () => {
    it('records method, path, query, lower-cased headers, parsed and raw body, status and arrival time', async () => {
      const peach = await start();
      const [conversation] = peach.seed(1);
      // The simulator's clock (monotonic, from the process's start): Date.now() may be slewed a few ms away from it.
      const clock = () => performance.timeOrigin + performance.now();
      const before = clock();
      await call(peach, `/api/v1/conversations/${conversation?.id}?sync=true&tag=a&tag=b`, {
        method: 'PATCH',
        json: { status: 'closed' },
        headers: { 'X-Request-Id': 'abc' },
      });
      await call(peach, '/api/v1/nowhere');
      const [patch, missing] = peach.requests;
      expect(patch).toMatchObject({
        method: 'PATCH',
        path: `/api/v1/conversations/${conversation?.id}`,
        query: { sync: 'true', tag: ['a', 'b'] },
        body: { status: 'closed' },
        rawBody: '{"status":"closed"}',
        status: 200,
      });
      expect(patch?.headers['x-request-id']).toBe('abc');
      expect(patch?.headers.authorization).toBe(KEY);
      expect(patch?.receivedAt).toBeGreaterThanOrEqual(before);
      expect(patch?.receivedAt).toBeLessThanOrEqual(clock());
      expect(missing).toMatchObject({
        method: 'GET',
        path: '/api/v1/nowhere',
        status: 404,
        body: undefined,
        rawBody: '',
      });
      peach.clearRequests();
      expect(peach.requests).toEqual([]);
    });
  });

  describe('state helpers', () => {
    it('seed spreads last activity evenly back from now', async () => {
      const peach = await start();
      const seeded = peach.seed(4, { activitySpreadMs: 4 * 3_600_000 });
      expect(seeded.map((conversation) => NOW - conversation.lastActivityAt)).toEqual([
        3_600_000, 7_200_000, 10_800_000, 14_400_000,
      ]);
      expect(new Set(seeded.map((conversation) => conversation.subscriber.phoneNumber)).size).toBe(4);
      expect(seeded.every((conversation) => conversation.status === 'open')).toBe(true);
    });

    it('a customer message moves last activity, and starts a new conversation once closed', async () => {
      let clock = NOW;
      const peach = await start({ now: () => clock });
      const conversation = peach.addConversation({
        contact: { name: 'Ana', phoneNumber: '+15550000001' },
        status: 'awaiting_customer_response',
        lastActivityAt: NOW - 86_400_000,
      });
      clock = NOW + 1000;
      const updated = peach.receiveCustomerMessage({ conversationId: conversation.id });
      expect(updated).toMatchObject({
        id: conversation.id,
        status: 'open',
        lastActivityAt: NOW + 1000,
        lastActivityType: 'message',
      });
      const { body } = await call(peach, '/api/v1/conversations?activity_type=message');
      expect(body.conversations[0].last_activity_at).toBe(new Date(NOW + 1000).toISOString());

      await call(peach, `/api/v1/conversations/${conversation.id}`, { method: 'PATCH', json: { status: 'closed' } });
      const fresh = peach.receiveCustomerMessage({ phoneNumber: '+15550000001' });
      expect(fresh.id).not.toBe(conversation.id);
      expect(fresh.status).toBe('open');
      expect(peach.statusOf(conversation.id)).toBe('closed');
    });
  });
});
