import type { ClientRequest, IncomingHttpHeaders } from 'node:http';
import type { Got, OptionsInit } from 'got';

export interface TextAnswer {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export type TextRequestOptions = Pick<OptionsInit, 'method' | 'headers' | 'searchParams' | 'json' | 'signal'>;

const WITHOUT_BODY = new Set(['GET', 'HEAD']);

/**
 * One request through got's stream API, its answer read to the end as text.
 * got's promise API gathers the body through the stream's async iterator, and
 * what a request allocates then lives on into V8's old generation: with it a
 * worker spent 20-25 µs per request collecting garbage, 3 µs without, and
 * 0.15 ms of CPU per request against 0.10 ms (2026-11-22, 20,000 requests
 * at concurrency 10 to a local server). Errors are got's own, as with the
 * promise API: TimeoutError, RequestError, AbortError.
 */
export function requestText(http: Got, url: string, options: TextRequestOptions, onRequest?: (outgoing: ClientRequest) => void): Promise<TextAnswer> {
  return new Promise((resolve, reject) => {
    const stream = http.stream(url, options);
    let head: Pick<TextAnswer, 'statusCode' | 'headers'> | undefined;
    let body = '';
    if (onRequest) stream.once('request', onRequest);
    stream.once('response', (response: TextAnswer) => {
      head = { statusCode: response.statusCode, headers: response.headers };
    });
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      body += chunk;
    });
    stream.once('end', () => {
      if (head) resolve({ ...head, body });
      else reject(new Error('got ended the request without an answer'));
    });
    stream.once('error', reject);
    // A stream request is writable: one that may carry a body but has none is ended here, or it would never leave.
    if (options.json === undefined && !WITHOUT_BODY.has(options.method ?? 'GET')) stream.end();
  });
}
