import { describe, expect, it } from '@jest/globals';
import {
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnauthorizedError,
  ProviderUnavailableError,
  type ProviderError,
} from '../../src/errors/index.js';
import type { CloseResult, ConversationRef } from '../../src/providers/types.js';
import type { ProviderSimulator } from '../../src/simulators/index.js';

/**
 * What each provider's close test supplies; the shared cases below then
 * check the whole classification table over real HTTP for that provider.
 */
export interface CloseHarness<R extends ConversationRef> {
  sim: () => ProviderSimulator;
  close: (ref: R) => Promise<CloseResult>;
  /** A client whose credentials the simulator refuses; undefined where the API has no auth. */
  closeWithWrongCredentials?: (ref: R) => Promise<CloseResult>;
  /** A client with a 200 ms timeout. */
  closeWithShortTimeout: (ref: R) => Promise<CloseResult>;
  openRef: () => R;
  closedRef: () => R;
  unknownRef: () => R;
  /** The id `sim.faults.failFor` matches for this ref. */
  faultTarget: (ref: R) => string | number;
  isClosed: (ref: R) => boolean;
  /** What closing an already-closed conversation reports for this provider. */
  alreadyClosedOutcome: CloseResult['outcome'];
  /** The wait a 429 carrying `Retry-After: 7` leads to, or undefined where the provider never sends one. */
  retryAfterSevenSeconds?: number;
  /** The wait of a 429 without Retry-After. */
  fallbackWait: { min: number; max: number };
  /** A client on a simulator whose 429s carry no Retry-After (for providers that may send one). */
  closeWithoutRetryAfter?: () => Promise<CloseResult>;
}

export async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    return error as ProviderError;
  }
  throw new Error('expected the call to fail');
}

export function describeCloseContract<R extends ConversationRef>(name: string, harness: CloseHarness<R>): void {
  describe(`${name} close: classification over real HTTP`, () => {
    it('closes an open conversation with one request', async () => {
      const ref = harness.openRef();
      harness.sim().clearRequests();
      await expect(harness.close(ref)).resolves.toEqual({ outcome: 'closed', status: 200 });
      expect(harness.isClosed(ref)).toBe(true);
      expect(harness.sim().requests).toHaveLength(1);
    });

    it(`reports an already-closed conversation as a success (${harness.alreadyClosedOutcome})`, async () => {
      const ref = harness.closedRef();
      harness.sim().clearRequests();
      const result = await harness.close(ref);
      expect(result.outcome).toBe(harness.alreadyClosedOutcome);
      expect(harness.isClosed(ref)).toBe(true);
      expect(harness.sim().requests).toHaveLength(1);
    });

    it('rejects an unknown conversation (404) as permanent', async () => {
      const error = await failure(harness.close(harness.unknownRef()));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ code: 'PROVIDER_NOT_FOUND', status: 404, errorClass: 'permanent', retryable: false });
      expect(error.bodyExcerpt).toBeTruthy();
    });

    it('rejects a 422 as permanent, with the body excerpt', async () => {
      const ref = harness.openRef();
      harness.sim().faults.failFor(harness.faultTarget(ref), 422, 1);
      const error = await failure(harness.close(ref));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', status: 422, errorClass: 'permanent' });
      expect(harness.isClosed(ref)).toBe(false);
    });

    if (harness.closeWithWrongCredentials) {
      const closeWrong = harness.closeWithWrongCredentials;
      it('reports wrong credentials (401) as unauthorized, without the secret', async () => {
        const error = await failure(closeWrong(harness.openRef()));
        expect(error).toBeInstanceOf(ProviderUnauthorizedError);
        expect(error).toMatchObject({ code: 'PROVIDER_UNAUTHORIZED', status: 401, errorClass: 'unauthorized' });
        expect(JSON.stringify(error)).not.toContain('wrong-secret');
        expect(error.message).not.toContain('wrong-secret');
      });
    }

    if (harness.retryAfterSevenSeconds !== undefined) {
      const expected = harness.retryAfterSevenSeconds;
      it('turns a 429 with Retry-After into a rate-limit wait of that length', async () => {
        const ref = harness.openRef();
        harness.sim().faults.failFor(harness.faultTarget(ref), 429, 1, { retryAfterMs: 7_000 });
        const error = await failure(harness.close(ref));
        expect(error).toBeInstanceOf(ProviderRateLimitedError);
        expect(error).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', status: 429, errorClass: 'rate_limited', retryAfterMs: expected });
        // The fault was answered before the provider acted: the next close goes through.
        await expect(harness.close(ref)).resolves.toMatchObject({ outcome: 'closed' });
      });
    }

    it('waits a provider-appropriate time after a 429 without Retry-After', async () => {
      let error: ProviderError;
      if (harness.closeWithoutRetryAfter) {
        error = await failure(harness.closeWithoutRetryAfter());
      } else {
        const ref = harness.openRef();
        harness.sim().faults.failFor(harness.faultTarget(ref), 429, 1);
        error = await failure(harness.close(ref));
      }
      expect(error).toBeInstanceOf(ProviderRateLimitedError);
      const wait = (error as ProviderRateLimitedError).retryAfterMs;
      expect(wait).toBeGreaterThanOrEqual(harness.fallbackWait.min);
      expect(wait).toBeLessThanOrEqual(harness.fallbackWait.max);
    });

    it('rejects requests over the simulator\'s sliding-window limit with 429', async () => {
      harness.sim().faults.setRateLimit(1, 60_000);
      try {
        // Earlier requests of this suite may already fill the window; this one makes sure it is full.
        await harness.close(harness.openRef()).catch(() => undefined);
        const error = await failure(harness.close(harness.openRef()));
        expect(error).toBeInstanceOf(ProviderRateLimitedError);
        expect((error as ProviderRateLimitedError).retryAfterMs).toBeGreaterThan(0);
      } finally {
        harness.sim().faults.clear();
      }
    });

    it.each([500, 502, 503, 504, 408])('treats %i as retryable', async (status) => {
      const ref = harness.openRef();
      harness.sim().faults.failFor(harness.faultTarget(ref), status, 1);
      const error = await failure(harness.close(ref));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ code: 'PROVIDER_UNAVAILABLE', status, errorClass: 'retryable', retryable: true });
      await expect(harness.close(ref)).resolves.toMatchObject({ outcome: 'closed' });
    });

    it('treats a timeout as retryable', async () => {
      harness.sim().faults.hang(2_000);
      const error = await failure(harness.closeWithShortTimeout(harness.openRef()));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ code: 'PROVIDER_TIMEOUT', status: undefined, errorClass: 'retryable' });
    });
  });
}
