import type { Config } from '../../src/config/types.js';
import { freePort } from './redis-server.js';
import { waitUntil } from './test-config.js';
import { envFor, spawnProcess, type WorkerProcess } from './worker-process.js';

export interface ApiProcess extends WorkerProcess {
  url: string;
  token: string;
}

/** The built API entry point (dist/workers/api.js) in a process of its own, on a free loopback port; resolves once it is ready. */
export async function spawnApi(config: Config, extraEnv: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
  const port = await freePort();
  const token = config.apiToken ?? 'test-api-token';
  const api = spawnProcess('api', { ...envFor(config), CLOSER_API_TOKEN: token, HOST: '127.0.0.1', PORT: String(port), ...extraEnv });
  await api.started;
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, { what: 'the API process ready' });
  return { ...api, url, token };
}
