import type { SimRequest } from './types.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/** A field of a JSON object body; undefined when the body is not a JSON object. */
export function bodyField(request: SimRequest, name: string): unknown {
  return isRecord(request.json) ? request.json[name] : undefined;
}

/**
 * A query parameter as a single value: the last one when repeated (as Rails
 * reads `a=1&a=2`), undefined when absent or empty.
 */
export function queryValue(request: SimRequest, name: string): string | undefined {
  const raw = request.query[name];
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  return last === undefined || last === '' ? undefined : last;
}

/** "12" → 12; anything but a whole number ≥ 1 → null. */
export function parsePositiveInteger(raw: string): number | null {
  return /^\d+$/.test(raw) && Number(raw) >= 1 ? Number(raw) : null;
}
