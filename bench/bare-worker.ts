// The baseline: a plain BullMQ worker closing Peach conversations the way one
// would write it by hand (no rate limiter, batches or metrics of ours), in its
// own process. CLIENT picks how it makes the request (bench/close-requests.ts):
// `closer-got` makes it as closer's clients do, so what separates that worker
// from closer's is the cost of closer's features.
import { Worker } from 'bullmq';
import { closeRequester, type CloseClient } from './close-requests.js';

const need = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const [REDIS_URL, QUEUE, PREFIX, TARGET, KEY, CLIENT, CONCURRENCY] = ['REDIS_URL', 'QUEUE', 'PREFIX', 'TARGET', 'KEY', 'CLIENT', 'CONCURRENCY'].map(need) as [string, string, string, string, string, string, string];
const { LIMIT_MAX, LIMIT_MS } = process.env;
const close = closeRequester(CLIENT as CloseClient, TARGET, KEY);

const worker = new Worker(
  QUEUE,
  (job) => close((job.data as { id: number }).id),
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
