import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same ref. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Stable id of a ref within an account's queue: the deduplication id of its
 * pending close. Hashed, so phone numbers do not become Redis key names.
 */
export function refKey(ref: unknown): string {
  return createHash('sha256').update(canonical(ref)).digest('base64url').slice(0, 32);
}
