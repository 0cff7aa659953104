/** A point in time as state helpers accept it: epoch milliseconds, a Date or an ISO string. */
export type Instant = number | Date | string;

export function toEpochMs(instant: Instant): number {
  const ms = typeof instant === 'number' ? instant : new Date(instant).getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`Not a valid instant: ${String(instant)}`);
  return ms;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

export function toUnixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
