import { describe, expect, it } from '@jest/globals';
import { classifyResponse, parseRetryAfter } from '../../../src/providers/index.js';
import { untilNextWindow } from '../../../src/providers/http/classify-response.js';
import { excerpt } from '../../../src/providers/http/excerpt.js';

const NOW = Date.parse('2026-11-21T10:00:20.250Z');
const facts = (status: number, extra: { retryAfter?: string; body?: string } = {}) => ({
  status,
  retryAfter: extra.retryAfter,
  body: extra.body ?? '',
  now: NOW,
  rateLimitFallbackMs: () => 7_777,
});

describe('classifyResponse', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [408, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
    [599, 'retryable'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [400, 'permanent'],
    [404, 'permanent'],
    [409, 'permanent'],
    [410, 'permanent'],
    [413, 'permanent'],
    [422, 'permanent'],
    [301, 'permanent'],
    [302, 'permanent'],
  ])('HTTP %i is %s', (status, kind) => {
    expect(classifyResponse(facts(status)).kind).toBe(kind);
  });

  it.each([
    [422, '{"error":"Parameter Error","code":"conversation_already_closed"}'],
    [409, '{"message":"Conversation already resolved"}'],
    [422, 'already closed'],
  ])('HTTP %i saying %s is already closed, a success', (status, body) => {
    expect(classifyResponse(facts(status, { body }))).toEqual({ kind: 'already_closed' });
  });

  it('does not read "already closed" into other statuses', () => {
    expect(classifyResponse(facts(404, { body: 'already closed' })).kind).toBe('permanent');
    expect(classifyResponse(facts(500, { body: 'already closed' })).kind).toBe('retryable');
  });

  it.each([
    ['120', 120_000],
    ['0', 0],
    ['Sat, 21 Nov 2026 10:00:30 GMT', 9_750],
    ['Sat, 21 Nov 2026 09:00:00 GMT', 0],
  ])('a 429 with Retry-After %j waits %i ms', (retryAfter, ms) => {
    expect(classifyResponse(facts(429, { retryAfter }))).toEqual({ kind: 'rate_limited', retryAfterMs: ms });
  });

  it.each([undefined, '', 'soon', '-5', '1.5'])('a 429 with Retry-After %j falls back to the provider pause', (retryAfter) => {
    expect(classifyResponse(facts(429, retryAfter === undefined ? {} : { retryAfter }))).toEqual({ kind: 'rate_limited', retryAfterMs: 7_777 });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3_000);
    expect(parseRetryAfter('Sat, 21 Nov 2026 10:01:00 GMT', NOW)).toBe(39_750);
    expect(parseRetryAfter('2026', NOW)).toBe(2_026_000);
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter('tomorrow-ish', NOW)).toBeUndefined();
  });
});

describe('untilNextWindow', () => {
  it('waits for the next epoch-aligned window plus the margin', () => {
    const minute = untilNextWindow(60_000, 500);
    expect(minute(Date.parse('2026-11-21T10:00:20.250Z'))).toBe(39_750 + 500);
    expect(minute(Date.parse('2026-11-21T10:00:00.000Z'))).toBe(60_000 + 500);
    expect(untilNextWindow(1_000, 100)(NOW)).toBe(750 + 100);
  });
});

describe('excerpt', () => {
  it('redacts every secret, flattens whitespace and truncates', () => {
    const body = `{"error":"bad token tok_12345",\n "echo": "Bearer tok_12345"}`;
    expect(excerpt(body, ['tok_12345'])).toBe('{"error":"bad token [redacted]", "echo": "Bearer [redacted]"}');
    const long = excerpt('x'.repeat(1_000), []);
    expect(long).toHaveLength(301);
    expect(long.endsWith('…')).toBe(true);
  });

  it('redacts before truncating, so no half secret survives', () => {
    const secret = 's'.repeat(50);
    expect(excerpt(`${'a'.repeat(280)}${secret}`, [secret])).not.toContain('sssss');
  });
});
