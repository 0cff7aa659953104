import type { IncomingMessage } from 'node:http';
import type { SimRequest } from './types.js';

/** Bodies above this are answered 413 instead of being buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ReadRequest extends SimRequest {
  readonly tooLarge: boolean;
}

/** Reads and parses one request; never throws on bad input, the provider decides how to answer it. */
export async function readIncomingRequest(message: IncomingMessage): Promise<ReadRequest> {
  const target = message.url ?? '/';
  const queryStart = target.indexOf('?');
  const path = queryStart === -1 ? target : target.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : target.slice(queryStart + 1);
  const { text: rawBody, tooLarge } = await readBody(message);
  const headers = definedHeaders(message);
  const { body, malformedJson } = parseBody(rawBody);
  const declaresJson = isJsonContentType(headers['content-type']);
  return {
    method: (message.method ?? 'GET').toUpperCase(),
    path,
    rawQuery,
    query: parseQuery(rawQuery),
    headers,
    rawBody,
    body,
    // Like Rails, the providers read a body as parameters only when it is declared as JSON.
    json: declaresJson && !malformedJson ? body : undefined,
    malformedJson: declaresJson && malformedJson,
    tooLarge,
  };
}

/** Repeated keys become arrays, as Rails and most servers read them. */
export function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) {
    const previous = query[key];
    if (previous === undefined) query[key] = value;
    else query[key] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return query;
}

function isJsonContentType(value: string | string[] | undefined): boolean {
  const contentType = Array.isArray(value) ? value[0] : value;
  return contentType !== undefined && /\bjson\b/i.test(contentType);
}

function definedHeaders(message: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

async function readBody(message: IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of message) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep draining so the client gets an answer instead of a reset connection.
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(buffer);
  }
  return { text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge };
}

function parseBody(rawBody: string): { body: unknown; malformedJson: boolean } {
  if (rawBody.trim() === '') return { body: undefined, malformedJson: false };
  try {
    return { body: JSON.parse(rawBody) as unknown, malformedJson: false };
  } catch {
    return { body: rawBody, malformedJson: true };
  }
}
