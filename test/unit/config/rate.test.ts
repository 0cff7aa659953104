import { describe, expect, it } from '@jest/globals';
import { formatDuration, parseDuration, parseRate } from '../../../src/config/index.js';

describe('parseRate', () => {
  it.each([
    ['5/s', 5, 1_000],
    ['300/1s', 300, 1_000],
    ['3000/60s', 3_000, 60_000],
    ['100/500ms', 100, 500],
    ['1000/1m', 1_000, 60_000],
    ['40/m', 40, 60_000],
    ['10000/1h', 10_000, 3_600_000],
    [' 20/1s ', 20, 1_000],
  ])('reads %s as %i per %i ms', (text, max, windowMs) => {
    expect(parseRate(text)).toEqual({ ok: true, value: { max, windowMs, text: text.trim() } });
  });

  it.each(['5', '5/', '/s', '0/s', '-1/s', '1.5/s', '5/0s', '5/x', '5/1.5s', 'five/s', '5 per second', '', '5/s/s'])(
    'rejects %j with a hint of the syntax',
    (text) => {
      const result = parseRate(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/count|rate|window/);
    },
  );
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['7d', 604_800_000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each(['0s', '5', 'm', '1.5h', '-5m', '5 minutes', '5M'])('rejects %j', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it('formats back to the shortest exact unit', () => {
    expect([500, 1_000, 90_000, 300_000, 86_400_000, 1_500].map(formatDuration)).toEqual(['500ms', '1s', '90s', '5m', '1d', '1500ms']);
  });
});
