import type { ValidationIssue } from '../producer/producer-errors.js';

export const CALLBACK_EVENTS = ['batch.done', 'conversation.closed', 'conversation.dead_lettered'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** A close request's `callback`: where to POST the batch's events. */
export interface CallbackSpec {
  url: string;
  events: CallbackEvent[];
  /** The API key that asked for it: its own secret signs the deliveries. */
  keyId?: string;
}

/**
 * Checks a close request's `callback` field: an http(s) URL without
 * credentials in it, and known events. Where the URL points is checked at
 * send time, after DNS resolution (address-guard.ts), not here: a name's
 * addresses can change between the two.
 */
export function parseCallbackSpec(raw: unknown, issues: ValidationIssue[]): CallbackSpec | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    issues.push({ index: null, path: 'callback', message: 'must be an object: {"url", "events"?}' });
    return undefined;
  }
  const { url, events = ['batch.done'], ...unknown } = raw as Record<string, unknown>;
  for (const key of Object.keys(unknown)) issues.push({ index: null, path: `callback.${key}`, message: 'is not a known field' });
  const parsed = typeof url === 'string' && url.length <= 2_000 ? URL.parse(url) : null;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.username || parsed.password) {
    issues.push({ index: null, path: 'callback.url', message: 'must be an http(s) URL of at most 2000 characters, without credentials in it' });
  }
  if (!Array.isArray(events) || events.length === 0) {
    issues.push({ index: null, path: 'callback.events', message: `must be a list of events: ${CALLBACK_EVENTS.join(', ')}` });
    return undefined;
  }
  events.forEach((event, index) => {
    if (!(CALLBACK_EVENTS as readonly unknown[]).includes(event)) issues.push({ index: null, path: `callback.events[${index}]`, message: `must be one of ${CALLBACK_EVENTS.join(', ')}` });
  });
  return parsed ? { url: parsed.toString(), events: [...new Set(events as CallbackEvent[])] } : undefined;
}
