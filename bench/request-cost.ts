// What one close request costs the process that makes it, for each way of
// making it (bench/close-requests.ts): CPU and garbage collection per request,
// against a Peach simulator, in a process of its own so one way's compiled code
// and heap do not colour the next. Answers over IPC: { cpuUs, gcUs, majorGcs }.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { closeRequester, type CloseClient } from './close-requests.js';

const { CLIENT, TARGET, KEY, FIRST, WARMUP, COUNT, CONCURRENCY } = process.env as Record<string, string>;
const close = closeRequester(CLIENT as CloseClient, TARGET!, KEY!);
let nextId = Number(FIRST);

async function closeMany(count: number): Promise<void> {
  const last = nextId + count;
  const lane = async () => {
    while (nextId < last) await close(nextId++);
  };
  await Promise.all(Array.from({ length: Number(CONCURRENCY) }, lane));
}

await closeMany(Number(WARMUP));
let gcMs = 0;
let majorGcs = 0;
const gcs = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind: number } })[]) {
    gcMs += entry.duration;
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs += 1;
  }
});
gcs.observe({ entryTypes: ['gc'] });
const before = process.cpuUsage();
await closeMany(Number(COUNT));
const cpu = process.cpuUsage(before);
// Entries of the last collections arrive on a later turn of the event loop.
await new Promise((resolve) => setImmediate(resolve));
gcs.disconnect();
const perRequest = (total: number) => total / Number(COUNT);
process.send!({ cpuUs: perRequest(cpu.user + cpu.system), gcUs: perRequest(gcMs * 1000), majorGcs }, () => process.exit(0));
