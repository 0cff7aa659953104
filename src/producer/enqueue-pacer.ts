/**
 * Paces the CPU and Redis work of every enqueue in one process.
 *
 * Building a chunk's transaction (BullMQ's job encoding, ioredis' command
 * writing) takes 10-20 ms of CPU; when several in-flight transactions were
 * answered in one read, every lane built its next chunk in the same turn of
 * the event loop, and health checks waited over a second behind them
 * (bench/api-latency.ts). So a chunk is built only in its own turn, one per
 * turn, and at most `lanes` transactions are in flight for the whole
 * process: a read on the same connection (GET /v1/batches) then waits behind
 * a few transactions, not behind every concurrent request's.
 */
export interface EnqueuePacer {
  /** Waits for a free lane and a turn of its own; call the returned function when the transaction is answered. */
  begin(): Promise<() => void>;
}

export function createEnqueuePacer(lanes: number): EnqueuePacer {
  let busy = 0;
  const waiting: (() => void)[] = [];
  let turnScheduled = false;

  // One waiter is let through per turn; setImmediate from a check phase runs in the next iteration, after I/O.
  const grant = () => {
    turnScheduled = false;
    if (busy >= lanes) return;
    const next = waiting.shift();
    if (!next) return;
    busy += 1;
    next();
    schedule();
  };
  const schedule = () => {
    if (turnScheduled || waiting.length === 0 || busy >= lanes) return;
    turnScheduled = true;
    setImmediate(grant);
  };

  return {
    begin() {
      return new Promise((resolve) => {
        waiting.push(() => {
          let done = false;
          resolve(() => {
            if (done) return;
            done = true;
            busy -= 1;
            schedule();
          });
        });
        schedule();
      });
    },
  };
}
