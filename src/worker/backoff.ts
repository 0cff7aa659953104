/**
 * Exponential backoff with "equal jitter": attempt n waits between half and
 * all of min(max, base * 2^(n-1)), so retries of a batch that failed together
 * spread out instead of hitting the provider again in one burst.
 */
export function backoffDelay(attemptsMade: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
