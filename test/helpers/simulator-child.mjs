// A provider simulator in its own process, so the times it records are not
// skewed by the test runner's event loop (jest, ts-jest, polling, GC).
// Talks to the test over IPC: it says {type: 'ready', url, ids} once seeded,
// and answers {type: 'stats', windowMs} with what it saw.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PeachSimulator } from '../../dist/src/simulators/index.js';

const options = JSON.parse(process.env.SIMULATOR_OPTIONS ?? '{}');
const sim = await PeachSimulator.start(options.simulator);
const ids = sim.seed(options.seed ?? 0).map((conversation) => conversation.id);

// A cold Node server stamps its first requests late (lazy initialisation, JIT), which
// would make the requests after them look bunched up. Warm it like a real provider's
// server, then forget the warm-up: requests and rate-limit window alike.
for (let i = 0; i < 5; i += 1) await fetch(`${sim.url}/api/v1/conversations?per=1`, { headers: { authorization: options.simulator.credentials } });
await new Promise((resolve) => setTimeout(resolve, (options.simulator.rateLimit?.windowMs ?? 0) + 50));
sim.clearRequests();
// Stamps are taken on this event loop: if it stalls (a VM's stolen CPU time), requests that waited
// are stamped together. How long it stalled tells a rate overshoot from a stalled instrument.
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
process.send({ type: 'ready', url: sim.url, ids });

process.on('message', (message) => {
  if (message.type === 'stats') {
    const requests = sim.requests;
    const statuses = {};
    for (const request of requests) statuses[request.status] = (statuses[request.status] ?? 0) + 1;
    const times = requests.map((request) => request.receivedAt);
    const firstAt = Math.min(...times);
    const closed = ids.filter((id) => sim.statusOf(id) === 'closed').length;
    process.send({
      type: 'stats',
      count: requests.length,
      statuses,
      distinctPaths: new Set(requests.map((request) => request.path)).size,
      maxInWindow: sim.maxInWindow(message.windowMs),
      firstAt,
      lastAt: Math.max(...times),
      closed,
      longestStallMs: Math.round(lag.max / 1e6),
      // Anything but a 200 is a failure of the run; when and what helps find why.
      others: requests
        .filter((request) => request.status !== 200)
        .map((request) => ({ status: request.status, path: request.path, atMs: Math.round(request.receivedAt - firstAt) })),
    });
  }
  if (message.type === 'stop') void sim.close().then(() => process.exit(0));
});
