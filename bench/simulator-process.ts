// A Peach simulator in a process of its own for the benchmarks, so its work does not share
// the measured process's event loop. Speaks over IPC: 'ready' {url}, then answers 'stats'.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PeachSimulator } from '../src/simulators/index.js';

const options = JSON.parse(process.env.SIMULATOR_OPTIONS ?? '{}') as { credentials: string; seed: number };
const sim = await PeachSimulator.start({ credentials: options.credentials });
const ids = sim.seed(options.seed).map((conversation) => conversation.id);
// Warm the server (lazy initialisation, JIT) and forget the warm-up.
for (let i = 0; i < 20; i += 1) await fetch(`${sim.url}/api/v1/conversations?per=1`, { headers: { authorization: options.credentials } });
sim.clearRequests();
// How long the simulator itself was stalled: requests that waited through a stall are stamped together.
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
process.send!({ type: 'ready', url: sim.url, first: ids[0], last: ids.at(-1) });

process.on('message', (message: { type: string; windowMs?: number }) => {
  if (message.type === 'stats') {
    const times = sim.requests.map((request) => request.receivedAt);
    process.send!({
      type: 'stats',
      count: times.length,
      status429: sim.requests.filter((request) => request.status === 429).length,
      maxInWindow: sim.maxInWindow(message.windowMs ?? 1_000),
      firstAt: Math.min(...times),
      lastAt: Math.max(...times),
      longestStallMs: Math.round(lag.max / 1e6),
    });
  }
  if (message.type === 'reset') {
    sim.clearRequests();
    lag.reset();
    process.send!({ type: 'reset' });
  }
});
