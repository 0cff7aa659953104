import { z } from 'zod';

export const CALLBACK_EVENTS = ['batch.done', 'conversation.closed', 'conversation.dead_lettered'] as const;
export type CallbackEvent = (typeof CALLBACK_EVENTS)[number];

/** A close request's `callback`: where to POST the batch's events. */
export interface CallbackSpec {
  url: string;
  events: CallbackEvent[];
  /** The API key that asked for it: its own secret signs the deliveries. */
  keyId?: string;
}

const URL_MESSAGE = 'must be an http(s) URL of at most 2000 characters, without credentials in it';
const EVENTS_MESSAGE = `must be a list of events: ${CALLBACK_EVENTS.join(', ')}`;

function isHttpUrl(text: string): boolean {
  const parsed = URL.parse(text);
  return parsed !== null && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && !parsed.username && !parsed.password;
}

/**
 * A close request's `callback` field: an http(s) URL without credentials in
 * it (written back normalised), and known events (`batch.done` when none are
 * named; each once). Where the URL points is checked at send time, after DNS
 * resolution (address-guard.ts), not here: a name's addresses can change
 * between the two. Part of CLOSE_REQUEST, and of the OpenAPI document.
 */
export const CALLBACK_SPEC = z.strictObject(
  {
    // Over the length, the URL is not parsed at all (abort): one issue, not two.
    url: z
      .string({ error: URL_MESSAGE })
      .max(2_000, { error: URL_MESSAGE, abort: true })
      .refine(isHttpUrl, URL_MESSAGE)
      .transform((url) => URL.parse(url)!.toString()),
    events: z
      .array(z.enum(CALLBACK_EVENTS, { error: `must be one of ${CALLBACK_EVENTS.join(', ')}` }), { error: EVENTS_MESSAGE })
      .min(1, EVENTS_MESSAGE)
      .default(['batch.done'])
      .transform((events) => [...new Set(events)]),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object: {"url", "events"?}' : undefined) },
);
