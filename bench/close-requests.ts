// One Peach close (PATCH {"status":"closed"}) made four ways, for the bare worker
// (bench/bare-worker.ts) and the request-cost benchmark (bench/request-cost.ts).
import { Agent, request as httpRequest } from 'node:http';
import got from 'got';
import { createHttpClient, withoutCacheOptions } from '../src/providers/http/create-http-client.js';
import { requestText } from '../src/providers/http/request-text.js';

/**
 * - `got`: got's promise API, set up as one would by hand;
 * - `got-empty-cache`: the same with got's cache options emptied, as closer's got client does;
 * - `closer-got`: closer's got client through its stream API, as closer's provider clients call it;
 * - `http`: node's own client, to show what got costs.
 */
export const CLOSE_CLIENTS = ['got', 'got-empty-cache', 'closer-got', 'http'] as const;
export type CloseClient = (typeof CLOSE_CLIENTS)[number];

/** A function that closes one conversation and fails on any answer but 200. */
export function closeRequester(client: CloseClient, target: string, key: string): (id: number) => Promise<void> {
  const send = statusRequester(client, target, key);
  return async (id) => {
    const status = await send(id);
    if (status !== 200) throw new Error(`HTTP ${status}`);
  };
}

function statusRequester(client: CloseClient, target: string, key: string): (id: number) => Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = (id: number) => `${target}/api/v1/conversations/${id}`;
  const request = { method: 'PATCH', json: { status: 'closed' }, headers: { authorization: key } } as const;
  const byHand = got.extend({ agent: { http: agent }, retry: { limit: 0 }, responseType: 'text', headers: { accept: 'application/json' } });
  switch (client) {
    case 'got':
      return async (id) => (await byHand(url(id), request)).statusCode;
    case 'got-empty-cache': {
      const emptied = byHand.extend({ hooks: { init: [withoutCacheOptions] } });
      return async (id) => (await emptied(url(id), request)).statusCode;
    }
    case 'closer-got': {
      const closerHttp = createHttpClient({ timeoutMs: 10_000 });
      return async (id) => (await requestText(closerHttp.got, url(id), request)).statusCode;
    }
    case 'http':
      return (id) => nodeHttp(url(id), key, agent);
  }
}

function nodeHttp(url: string, key: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = '{"status":"closed"}';
    const req = httpRequest(url, { method: 'PATCH', agent, headers: { authorization: key, 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
