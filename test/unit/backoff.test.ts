import { describe, expect, it } from '@jest/globals';
import { backoffDelay } from '../../src/worker/backoff.js';

describe('backoffDelay', () => {
  it('doubles per attempt, between half and all of the ceiling', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 1_000, 60_000, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 1_000, 60_000, () => 1))).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('never exceeds the maximum', () => {
    expect(backoffDelay(30, 1_000, 60_000, () => 1)).toBe(60_000);
    expect(backoffDelay(30, 1_000, 60_000, () => 0)).toBe(30_000);
  });
});
