// The prober of bench/api-latency.ts, in a worker thread of its own: the load generator's
// main thread is busy sending megabytes of bodies, and a probe timed there would measure
// that too. Probes one at a time (each awaited) until the main thread posts 'stop'.
import { parentPort, workerData } from 'node:worker_threads';

export interface ProberOptions {
  url: string;
  token: string;
  batchId: string;
}
export interface ProbeResults {
  /** Latencies in ms of the probes that got an answer (any status). */
  healthz: number[];
  batch: number[];
  /** Probes that failed (no answer, or an answer but 200). */
  failed: number;
}

const { url, token, batchId } = workerData as ProberOptions;
const PAUSE_MS = 10;
/** Far above any latency seen, so a hung API shows as a failed probe instead of stalling the bench. */
const PROBE_TIMEOUT_MS = 60_000;
const results: ProbeResults = { healthz: [], batch: [], failed: 0 };
let stopping = false;
parentPort!.once('message', () => (stopping = true));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function probe(path: string, into: number[], headers: Record<string, string> = {}): Promise<void> {
  const started = performance.now();
  try {
    // undici keeps the connection alive between probes, so no connect is timed.
    const response = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    into.push(performance.now() - started);
    if (response.status !== 200) results.failed += 1;
  } catch {
    results.failed += 1;
  }
}

// One round before telling the main thread, so the connection and the JIT are warm when the load starts.
let first = true;
while (first || !stopping) {
  await probe('/healthz', results.healthz);
  await sleep(PAUSE_MS);
  await probe(`/v1/batches/${batchId}`, results.batch, { authorization: `Bearer ${token}` });
  await sleep(PAUSE_MS);
  if (first) {
    // The warm-up round is not measured.
    results.healthz.length = 0;
    results.batch.length = 0;
    results.failed = 0;
    parentPort!.postMessage('probing');
    first = false;
  }
}
parentPort!.postMessage(results);
