import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AbortError, RequestError } from 'got';
import { ProviderUnavailableError } from '../../../src/errors/index.js';
import { createHttpClient, type HttpClient } from '../../../src/providers/http/create-http-client.js';
import { requestText } from '../../../src/providers/http/request-text.js';
import { sendRequest } from '../../../src/providers/http/send-request.js';

/** What the server saw of each request: method, path and body. */
const seen: { method: string; path: string; body: string }[] = [];
let server: Server;
let base: string;
let http: HttpClient;

const routes: Record<string, (req: IncomingMessage, res: ServerResponse, body: string) => void> = {
  '/json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"ok":true,"name":"Zoë"}'),
  '/gzip': (_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(gzipSync('{"zipped":true}')),
  '/empty': (_req, res) => res.writeHead(204).end(),
  '/teapot': (_req, res) => res.writeHead(418).end('short and stout'),
  // Promises more than it sends, then drops the connection: a truncated answer must not pass as a whole one.
  '/cut': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"partial":');
    setImmediate(() => req.socket.destroy());
  },
  '/never': () => undefined,
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const path = req.url!.split('?')[0]!;
      seen.push({ method: req.method!, path: req.url!, body });
      (routes[path] ?? ((_q, r) => r.writeHead(404).end()))(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  http = createHttpClient({ timeoutMs: 5_000 });
});

afterAll(async () => {
  http.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

describe('requestText (got stream API read as text)', () => {
  it('returns status, headers and the whole body, with multi-byte characters intact', async () => {
    const answer = await requestText(http.got, `${base}/json`, { method: 'GET', searchParams: new URLSearchParams({ q: 'a b' }) });
    expect(answer).toMatchObject({ statusCode: 200, body: '{"ok":true,"name":"Zoë"}' });
    expect(answer.headers['retry-after']).toBe('3');
    expect(seen.at(-1)).toEqual({ method: 'GET', path: '/json?q=a+b', body: '' });
  });

  it('sends a JSON body', async () => {
    await requestText(http.got, `${base}/json`, { method: 'PATCH', json: { status: 'closed' } });
    expect(seen.at(-1)).toEqual({ method: 'PATCH', path: '/json', body: '{"status":"closed"}' });
  });

  it('sends a POST that has no body (a stream request would otherwise wait for one)', async () => {
    const answer = await requestText(http.got, `${base}/empty`, { method: 'POST' });
    expect(answer).toMatchObject({ statusCode: 204, body: '' });
    expect(seen.at(-1)).toEqual({ method: 'POST', path: '/empty', body: '' });
  });

  it('decodes a gzip answer', async () => {
    await expect(requestText(http.got, `${base}/gzip`, { method: 'GET' })).resolves.toMatchObject({ body: '{"zipped":true}' });
  });

  it('returns an error status as an answer, not an error (the classification table decides)', async () => {
    await expect(requestText(http.got, `${base}/teapot`, { method: 'GET' })).resolves.toMatchObject({ statusCode: 418, body: 'short and stout' });
  });

  it('rejects an answer cut off before its end with got RequestError', async () => {
    await expect(requestText(http.got, `${base}/cut`, { method: 'GET' })).rejects.toBeInstanceOf(RequestError);
  });

  it('rejects a refused connection with got RequestError', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    await expect(requestText(http.got, `http://127.0.0.1:${port}/json`, { method: 'GET' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects with got AbortError when the signal aborts, and tells the caller when the request left', async () => {
    const controller = new AbortController();
    let left = false;
    const pending = requestText(http.got, `${base}/never`, { method: 'GET', signal: controller.signal }, (outgoing) => outgoing.once('finish', () => (left = true)));
    await new Promise<void>((resolve) => {
      const check = () => (seen.at(-1)?.path === '/never' ? resolve() : setImmediate(check));
      check();
    });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    expect(left).toBe(true);
  });
});

describe('sendRequest over requestText', () => {
  const transport = () => ({ provider: 'peach' as const, http: http.got, baseUrl: base, secrets: ['secret-key'], rateLimitFallbackMs: () => 1_000 });

  it('turns a cut-off answer into a retryable network error', async () => {
    const error = await sendRequest(transport(), { operation: 'close', method: 'GET', path: '/cut' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    expect(error).toMatchObject({ code: 'PROVIDER_NETWORK_ERROR', errorClass: 'retryable' });
  });

  it("throws the signal's reason when the caller aborts", async () => {
    const controller = new AbortController();
    const reason = new Error('stopping');
    const pending = sendRequest(transport(), { operation: 'close', method: 'GET', path: '/never' }, { signal: controller.signal });
    setImmediate(() => controller.abort(reason));
    await expect(pending).rejects.toBe(reason);
  });
});

describe('createHttpClient', () => {
  it('gives every request empty cache options (got builds request options slowly around non-empty ones on Node 20)', () => {
    // Keys that hold undefined count: toEqual({}) would not see them.
    expect(Object.keys(http.got.defaults.options.cacheOptions)).toEqual([]);
    const stream = http.got.stream(`${base}/json`, { method: 'GET' });
    expect(Object.keys(stream.options.cacheOptions)).toEqual([]);
    stream.destroy();
  });
});
