import { parseDuration, type Parsed } from './duration.js';

/** At most `max` requests in any sliding window of `windowMs`. */
export interface RateLimit {
  readonly max: number;
  readonly windowMs: number;
  /** As written in the configuration, e.g. `3000/60s`. */
  readonly text: string;
}

const RATE = /^(\d+)\/(\S+)$/;
const HINT = 'use <count>/<window>, e.g. 5/s, 300/1s, 3000/60s, 100/500ms, 1000/1m';

/** `5/s`, `300/1s`, `3000/60s`, `100/500ms`, `1000/1m`. A bare unit (`/s`) means one of it. */
export function parseRate(text: string): Parsed<RateLimit> {
  const trimmed = text.trim();
  const match = RATE.exec(trimmed);
  if (!match) return { ok: false, error: `"${text}" is not a rate; ${HINT}` };
  const max = Number(match[1]);
  if (!Number.isSafeInteger(max) || max < 1) return { ok: false, error: `"${text}": the count must be a whole number of at least 1` };
  const windowText = /^[a-z]+$/.test(match[2]!) ? `1${match[2]}` : match[2]!;
  const window = parseDuration(windowText);
  if (!window.ok) return { ok: false, error: `"${text}" has no valid window; ${HINT}` };
  return { ok: true, value: { max, windowMs: window.value, text: trimmed } };
}

/** For rates written in code (demo, tests): throws on a typo instead of returning a problem. */
export function rateOf(text: string): RateLimit {
  const parsed = parseRate(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}
