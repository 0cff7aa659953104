import { describe, expect, it } from '@jest/globals';
import { adminAuthorization, adminLogin } from '../../src/auth/admin-credentials.js';
import { foreignOrigin } from '../../src/auth/request-origin.js';
import { attentionOf } from '../../src/console/account-attention.js';
import { pageOfAccounts } from '../../src/console/account-page.js';
import { createConsoleSessions } from '../../src/console/console-sessions.js';
import { readCookie, sessionCookie } from '../../src/console/cookies.js';
import { groupDeadLetters, ITEMS_PER_GROUP } from '../../src/console/dead-letter-groups.js';
import { createLoginThrottle, MOST_FAILURES } from '../../src/console/login-throttle.js';
import type { DeadLetter } from '../../src/dead-letters/dead-letter-store.js';

describe('console sessions', () => {
  const clock = { now: 1_000_000 };
  const sessions = createConsoleSessions('the-api-token', { lifetimeMs: 60_000, now: () => clock.now });

  it('accept their own cookie, with the same CSRF token, until it expires', () => {
    const session = sessions.issue();
    expect(sessions.find(session.value)).toEqual(session);
    clock.now += 59_999;
    expect(sessions.find(session.value)?.csrfToken).toBe(session.csrfToken);
    clock.now += 1;
    expect(sessions.find(session.value)).toBeUndefined();
  });

  it('refuse a cookie changed in any part, or signed with another token, and one that was ended', () => {
    const session = sessions.issue();
    const [issued, random, signature] = session.value.split('.') as [string, string, string];
    const forged = [`${(parseInt(issued, 36) + 1).toString(36)}.${random}.${signature}`, `${issued}.${random}x.${signature}`, `${issued}.${random}.${signature.slice(1)}`, `${issued}.${random}`, '', undefined];
    for (const value of forged) expect(sessions.find(value)).toBeUndefined();
    expect(createConsoleSessions('another-token', { now: () => clock.now }).find(session.value)).toBeUndefined();
    const other = sessions.issue();
    expect(other.csrfToken).not.toBe(session.csrfToken);
    sessions.end(session.value);
    expect(sessions.find(session.value)).toBeUndefined();
    expect(sessions.find(other.value)).toBeDefined();
  });
});

describe('admin credentials', () => {
  const credentials = { apiToken: 'tok', basicAuth: { user: 'ops', password: 'pw' } };
  const basic = (text: string) => `Basic ${Buffer.from(text).toString('base64')}`;

  it.each([
    ['anyone', 'tok', true],
    ['', 'tok', true],
    ['ops', 'pw', true],
    ['ops', 'tok2', false],
    ['other', 'pw', false],
    ['ops', '', false],
  ])('login %s / %s: %s', (user, password, admitted) => {
    expect(adminLogin(user, password, credentials)).toBe(admitted);
  });

  it('read Bearer and Basic headers, and nothing else', () => {
    expect([adminAuthorization('Bearer tok', credentials), adminAuthorization(basic('x:tok'), credentials), adminAuthorization(basic('ops:pw'), credentials)]).toEqual([true, true, true]);
    expect([adminAuthorization('Bearer nope', credentials), adminAuthorization(basic('tok'), credentials), adminAuthorization('Token tok', credentials), adminAuthorization(undefined, credentials)]).toEqual([false, false, false, false]);
    expect(adminLogin('ops', 'pw', { apiToken: 'tok' })).toBe(false);
  });
});

describe('foreignOrigin', () => {
  const host = '127.0.0.1:3000';
  it.each<[Record<string, string>, string | undefined]>([
    [{}, undefined],
    [{ origin: 'http://127.0.0.1:3000' }, undefined],
    [{ origin: 'https://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' }, undefined],
    [{ 'sec-fetch-site': 'none' }, undefined],
    [{ origin: 'http://127.0.0.1:3001' }, 'Origin: http://127.0.0.1:3001'],
    [{ origin: 'http://localhost:3000' }, 'Origin: http://localhost:3000'],
    [{ origin: 'null' }, 'Origin: null'],
    [{ 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:3000' }, 'Sec-Fetch-Site: same-site'],
    [{ 'sec-fetch-site': 'cross-site' }, 'Sec-Fetch-Site: cross-site'],
  ])('%j: %s', (headers, why) => {
    expect(foreignOrigin({ host, headers })).toBe(why);
  });

  it('reads a default port written out in Host as the origin leaves it out', () => {
    expect(foreignOrigin({ host: 'console.example:80', headers: { origin: 'http://console.example' } })).toBeUndefined();
    expect(foreignOrigin({ host: 'console.example', headers: { origin: 'http://console.example:8080' } })).toBe('Origin: http://console.example:8080');
  });
});

describe('cookies', () => {
  it('read one cookie among others, and set a session cookie that scripts and other sites never get', () => {
    expect(readCookie('a=1; closer_console=x.y%2Ez; b=2', 'closer_console')).toBe('x.y.z');
    expect(readCookie('closer_consoleX=1', 'closer_console')).toBeUndefined();
    expect(readCookie(undefined, 'closer_console')).toBeUndefined();
    expect(sessionCookie('v', { path: '/console', maxAgeSeconds: 60, secure: true })).toBe('closer_console=v; Path=/console; Max-Age=60; HttpOnly; SameSite=Strict; Secure');
  });
});

describe('the accounts page', () => {
  const ids = Array.from({ length: 10_000 }, (_, i) => `acct-${String(i).padStart(5, '0')}`);
  const attention = attentionOf(
    {
      paused: ['acct-00500', 'acct-09000'],
      deadLettered: [
        { id: 'acct-00300', at: 2_000 },
        { id: 'acct-00500', at: 3_000 },
        { id: 'acct-00200', at: 1_000 },
      ],
      due: [
        { id: 'acct-00100', since: 50 },
        { id: 'acct-00050', since: 10 },
      ],
      active: ['acct-00100', 'acct-07000'],
      rateLimited: [
        { id: 'acct-00600', at: 9_000 },
        { id: 'acct-00100', at: 5_000 },
      ],
    },
    new Map([['acct-09000', 'unauthorized']]),
  );

  it('puts unauthorized, paused, dead letters (latest first), 429s in the last hour (latest first), backlog (longest waiting first), running, then the rest by id', () => {
    const { ids: shown, total, pages } = pageOfAccounts(ids, attention, { query: '', page: 1, pageSize: 10 });
    expect(shown).toEqual(['acct-09000', 'acct-00500', 'acct-00300', 'acct-00200', 'acct-00600', 'acct-00100', 'acct-00050', 'acct-07000', 'acct-00000', 'acct-00001']);
    expect([total, pages]).toEqual([10_000, 1_000]);
    expect(attention.get('acct-00500')!.kinds).toEqual(['paused', 'dead_letters']);
    // A backlog that meets 429s sorts above one that does not.
    expect(attention.get('acct-00100')!.kinds).toEqual(['rate_limited', 'backlog', 'running']);
  });

  it('searches ids in any case, pages through the matches, and keeps the page within bounds', () => {
    const found = pageOfAccounts(ids, attention, { query: ' ACCT-0050 ', page: 1, pageSize: 50 });
    expect([found.total, found.ids.slice(0, 3)]).toEqual([10, ['acct-00500', 'acct-00501', 'acct-00502']]);
    expect(pageOfAccounts(ids, attention, { query: '0050', page: 1, pageSize: 50 }).ids.slice(0, 3)).toEqual(['acct-00500', 'acct-00050', 'acct-00501']);
    const last = pageOfAccounts(ids, attention, { query: '', page: 5_000, pageSize: 50 });
    expect([last.page, last.ids.length, last.ids.at(-1)]).toEqual([200, 50, 'acct-09999']);
    expect(pageOfAccounts(ids, attention, { query: 'nobody', page: 3, pageSize: 50 })).toEqual({ total: 0, page: 1, pageSize: 50, pages: 1, ids: [] });
  });
});

describe('dead-letter groups', () => {
  const letter = (id: number, reason: string, status: number | null, minute: number, account = 'a'): DeadLetter => ({
    id: `${account}.${id}`,
    account,
    ref: { conversationId: id },
    reason,
    status,
    message: `${reason} ${status}`,
    bodyExcerpt: null,
    attempts: 1,
    failedAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    enqueuedAt: new Date(Date.UTC(2026, 0, 1)).toISOString(),
    batchId: null,
  });

  it('group by reason and status, the largest group first, the latest of each first, with their accounts', () => {
    const groups = groupDeadLetters([letter(1, 'PROVIDER_NOT_FOUND', 404, 1), letter(2, 'PROVIDER_REJECTED', 400, 2), letter(3, 'PROVIDER_NOT_FOUND', 404, 3, 'b'), letter(4, 'PROVIDER_REJECTED', 422, 0)]);
    expect(groups.map((group) => [group.reason, group.status, group.count, group.accounts, group.items.map((item) => item.id)])).toEqual([
      ['PROVIDER_NOT_FOUND', 404, 2, ['a', 'b'], ['b.3', 'a.1']],
      ['PROVIDER_REJECTED', 400, 1, ['a'], ['a.2']],
      ['PROVIDER_REJECTED', 422, 1, ['a'], ['a.4']],
    ]);
    expect([groups[0]!.latestAt, groups[0]!.oldestAt]).toEqual(['2026-01-01T00:03:00.000Z', '2026-01-01T00:01:00.000Z']);
  });

  it(`show at most ${ITEMS_PER_GROUP} of a group, counting all`, () => {
    const [group] = groupDeadLetters(Array.from({ length: 80 }, (_, i) => letter(i, 'JOB_STALLED', null, i)));
    expect([group!.count, group!.items.length, group!.items[0]!.id]).toEqual([80, ITEMS_PER_GROUP, 'a.79']);
  });
});

describe('the login throttle', () => {
  it('lets a client try again once its minute is over, forgets its refusals when it logs in, and counts clients apart', () => {
    const clock = { now: 5_000_000 };
    const throttle = createLoginThrottle({ now: () => clock.now });
    for (let i = 1; i < MOST_FAILURES; i += 1) throttle.refused('10.0.0.1');
    expect(throttle.waitSeconds('10.0.0.1')).toBe(0);
    throttle.refused('10.0.0.1');
    clock.now += 20_000;
    expect(throttle.waitSeconds('10.0.0.1')).toBe(40);
    expect(throttle.waitSeconds('10.0.0.2')).toBe(0);
    clock.now += 40_000;
    expect(throttle.waitSeconds('10.0.0.1')).toBe(0);
    for (let i = 1; i < MOST_FAILURES; i += 1) throttle.refused('10.0.0.1');
    throttle.admitted('10.0.0.1');
    throttle.refused('10.0.0.1');
    expect(throttle.waitSeconds('10.0.0.1')).toBe(0);
  });
});
