import { ProducerBusyError } from './producer-errors.js';

export interface EnqueueAdmission {
  /** Reserves room for `refs`; throws ProducerBusyError when there is none. Call the returned function once done. */
  take(refs: number): () => void;
}

/**
 * Bounds the refs one process enqueues at once. Past that, more concurrent
 * work only piles up in memory and in front of Redis, and every request,
 * health checks included, waits longer; a prompt 503 with Retry-After lets
 * clients spread out instead. A request always fits when nothing else runs.
 */
export function createEnqueueAdmission(maxRefs: number): EnqueueAdmission {
  let inFlight = 0;
  return {
    take(refs) {
      if (inFlight > 0 && inFlight + refs > maxRefs) throw new ProducerBusyError(refs);
      inFlight += refs;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight -= refs;
      };
    },
  };
}
