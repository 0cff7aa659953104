// The baseline: a plain BullMQ worker closing Peach conversations the way one
// would write it by hand (got or node:http, no rate limiter of ours), in its own process.
import { Agent, request as httpRequest } from 'node:http';
import { Worker } from 'bullmq';
import got from 'got';

const need = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const [REDIS_URL, QUEUE, PREFIX, TARGET, KEY, CLIENT, CONCURRENCY] = ['REDIS_URL', 'QUEUE', 'PREFIX', 'TARGET', 'KEY', 'CLIENT', 'CONCURRENCY'].map(need) as [string, string, string, string, string, string, string];
const { LIMIT_MAX, LIMIT_MS } = process.env;
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const http = got.extend({ agent: { http: agent }, retry: { limit: 0 }, responseType: 'text', headers: { accept: 'application/json' } });

function nodeHttp(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = '{"status":"closed"}';
    const req = httpRequest(`${TARGET}${path}`, { method: 'PATCH', agent, headers: { authorization: KEY, 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const worker = new Worker(
  QUEUE,
  async (job) => {
    const path = `/api/v1/conversations/${(job.data as { id: number }).id}`;
    const status =
      CLIENT === 'http'
        ? await nodeHttp(path)
        : (await http(`${TARGET}${path}`, { method: 'PATCH', json: { status: 'closed' }, headers: { authorization: KEY } })).statusCode;
    if (status !== 200) throw new Error(`HTTP ${status}`);
  },
  {
    connection: { url: REDIS_URL, maxRetriesPerRequest: null },
    prefix: PREFIX,
    concurrency: Number(CONCURRENCY),
    ...(LIMIT_MAX ? { limiter: { max: Number(LIMIT_MAX), duration: Number(LIMIT_MS) } } : {}),
  },
);
await worker.waitUntilReady();
process.send!({ type: 'ready' });
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
