import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { type Got } from 'got';

export interface HttpClientOptions {
  timeoutMs: number;
  /** Sockets kept per provider host; above the worker concurrency so bursts do not queue in the agent. */
  maxSockets?: number;
}

export interface HttpClient {
  got: Got;
  /** Closes the kept-alive sockets, so a process (or a test) can end promptly. */
  destroy(): void;
}

/**
 * One got instance per process, shared by every provider client so
 * keep-alive sockets are reused across jobs. got retries nothing: the queue
 * owns retries, and a second retry layer would multiply attempts and hide 429s.
 */
export function createHttpClient({ timeoutMs, maxSockets = 256 }: HttpClientOptions): HttpClient {
  const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets }),
  };
  const client = got.extend({
    agent: agents,
    timeout: { request: timeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    headers: { accept: 'application/json', 'user-agent': 'closer' },
  });
  return {
    got: client,
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
