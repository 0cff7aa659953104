import { Job, type IRedisTransaction } from 'bullmq';
import type { ChainableCommander } from 'ioredis';
import type { BatchStore } from '../batches/batch-store.js';
import type { JobSettings } from '../config/types.js';
import type { ConversationRef } from '../providers/types.js';
import type { AccountQueue } from '../queues/account-queues.js';
import { CLOSE_JOB, closeJobOptions, type CloseJobData } from '../queues/close-job.js';
import { refKey } from '../refs/ref-key.js';
import { certainlyNotRun, isConnectionLost, isNoScript, isOutOfMemory } from '../redis/redis-errors.js';
import type { ReadyIndex } from '../queues/ready-index.js';
import type { CallbackSpec } from '../callbacks/callback-spec.js';
import { createEnqueuePacer, type EnqueuePacer } from './enqueue-pacer.js';
import { BatchCancelledError, BatchConflictError, EnqueueIncompleteError, NotReplicatedError, RedisOutOfMemoryError, RedisUnavailableError } from './producer-errors.js';

export interface CloseAccepted {
  batchId: string;
  /** Refs asked for. */
  total: number;
  /** New close jobs. */
  accepted: number;
  /** Refs whose close was already pending (or repeated in the request): counted, not enqueued again. */
  duplicates: number;
}

export interface EnqueueDeps {
  /** Must run on the connection of the account's queue: a chunk's job adds and its batch bookkeeping are one transaction. */
  batches: BatchStore;
  jobs: JobSettings;
  /** Shared by every enqueue of the process (see enqueue-pacer.ts); each call gets its own otherwise. */
  pacer?: EnqueuePacer;
  /** Touched once jobs exist, so a dispatcher takes them (see queues/ready-index.ts). */
  index: ReadyIndex;
  /** Loads every script into the Redis serving the account's slot (after a NOSCRIPT: see loadScriptsFor). */
  reloadScripts(accountKey: string): Promise<void>;
  /** CLOSER_ENQUEUE_REPLICAS: answer only once this many replicas hold the enqueue; `acknowledged` asks Redis (WAIT) for the account's slot. */
  durability?: { replicas: number; acknowledged(accountKey: string): Promise<number> };
}

/** Jobs per transaction: big enough to be fast, small enough that a failure leaves little uncertain. */
const CHUNK = 500;
/**
 * Transactions in flight at once. One at a time left the producer idle while
 * Redis ran a chunk and Redis idle while the next chunk was built (idle 43% of
 * a 10,000-ref enqueue); two overlap the two. More made reads on the same
 * connection wait longer and enqueued no faster (bench/api-latency.ts,
 * 2026-12-02: p99 of GET /v1/batches 191 ms with 4, 127 ms with 2, under
 * 8 concurrent 10,000-ref requests). The producer's pacer holds this for the
 * whole process.
 */
export const IN_FLIGHT = 2;
/**
 * Longest an enqueue waits for Redis before answering. Redis paused or slow for
 * a few seconds should still end in a 202; a Redis that stopped answering
 * gets an answer that says which closes are uncertain.
 */
export const ENQUEUE_DEADLINE_MS = 15_000;

type Planned = { refKey: string; ref: ConversationRef; jobId: string };

/** How one chunk's transaction ended; `in-flight` when it was sent and had no answer by the deadline. */
type Answered = { ran: true; accepted: number } | { ran: false; certain: boolean; error: unknown };
type ChunkOutcome = Answered | { ran: false; stopped: true };
type ChunkState = Answered | 'in-flight' | undefined;

interface ChunkControl {
  /** True once the enqueue has answered (deadline) or failed: nothing more may be sent. */
  stopped(): boolean;
  /** Called right before the transaction is sent: from here its fate is unknown until answered. */
  sending(): void;
}

/**
 * Runs `add` on every chunk, IN_FLIGHT at a time, in order. After a failure
 * no further chunk starts, so the part whose fate is unknown stays small.
 * At the deadline it stops starting chunks and reports where each one is
 * (a chunk's transaction cannot be taken back once sent: it may still run).
 */
async function inFlight<T>(chunks: readonly T[], add: (chunk: T, control: ChunkControl) => Promise<ChunkOutcome>, deadlineMs: number): Promise<ChunkState[]> {
  const states: ChunkState[] = [];
  let stopped = false;
  let next = 0;
  const lane = async () => {
    while (!stopped && next < chunks.length) {
      const index = next;
      next += 1;
      const outcome = await add(chunks[index]!, { stopped: () => stopped, sending: () => (states[index] = 'in-flight') });
      if ('stopped' in outcome) return;
      states[index] = outcome;
      if (!outcome.ran) stopped = true;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  await Promise.race([Promise.all(Array.from({ length: Math.min(IN_FLIGHT, chunks.length) }, lane)), deadline]);
  clearTimeout(timer);
  stopped = true;
  return [...states];
}

/** `work`'s value, or 'late' when it has not settled within `ms` (it may still). */
async function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A high-priority close of a ref whose close is already waiting (another
 * batch's, deduplicated) brings that close to the front instead: the person
 * who asked for it now should not wait behind the backlog it sits in.
 * Best effort: a close that started meanwhile, or moved, stays where it is.
 */
async function promoteDuplicates(entry: AccountQueue, planned: readonly Planned[]): Promise<void> {
  for (const { refKey: key, jobId } of planned) {
    const pendingId = await entry.queue.getDeduplicationJobId(key).catch(() => null);
    if (!pendingId || pendingId === jobId) continue;
    const job = await entry.queue.getJob(pendingId).catch(() => undefined);
    if (job && (await job.getState()) === 'waiting') await job.changePriority({ priority: 0, lifo: true }).catch(() => undefined);
  }
}

/**
 * Enqueues one batch of already validated refs. One job per distinct ref;
 * its id derives from the batch and the ref, so resending the same request is
 * idempotent, and a ref with a close pending anywhere is deduplicated.
 * `extra` adds job data per ref (the sweep's re-check).
 *
 * Each chunk of jobs goes to Redis as one transaction with its batch
 * bookkeeping, so a chunk is either wholly enqueued and counted or not at
 * all. When Redis fails part-way, the answer counts what it knows: chunks
 * that answered, chunks Redis certainly did not run, and chunks whose answer
 * was lost with the connection (uncertain: `GET /v1/batches/:id` tells, once
 * Redis is back).
 */
export async function enqueueCloses(
  deps: EnqueueDeps,
  entry: AccountQueue,
  batchId: string,
  refs: readonly ConversationRef[],
  {
    extra = () => ({}),
    deadlineMs = ENQUEUE_DEADLINE_MS,
    priority = 'normal',
    callback,
  }: { extra?: (ref: ConversationRef) => Partial<CloseJobData>; deadlineMs?: number; priority?: 'high' | 'normal'; callback?: CallbackSpec } = {},
): Promise<CloseAccepted> {
  const unique = new Map<string, ConversationRef>();
  for (const ref of refs) {
    const key = refKey(ref);
    if (!unique.has(key)) unique.set(key, ref);
  }
  const planned: Planned[] = [...unique].map(([key, ref]) => ({ refKey: key, ref, jobId: `${batchId}-${key}` }));
  const account = entry.account.id;
  const deadlineAt = Date.now() + deadlineMs;
  // Nothing is enqueued before the claim: a Redis that does not answer it by the deadline has taken no job.
  const claimed = await withinDeadline(deps.batches.claim(batchId, account), deadlineMs);
  if (claimed === 'late') throw new RedisUnavailableError();
  if (!claimed) throw new BatchConflictError(batchId);
  const cancelled = await withinDeadline(deps.batches.isCancelled(account, batchId), Math.max(0, deadlineAt - Date.now()));
  if (cancelled === 'late') throw new RedisUnavailableError();
  if (cancelled) throw new BatchCancelledError(batchId);

  // High: to the front of the account's wait list (BullMQ takes from there first), so it runs next, within the rate limit.
  const options = { ...closeJobOptions(deps.jobs), ...(priority === 'high' ? { lifo: true } : {}) };
  const batch = { batchId, account, jobKeyPrefix: entry.queue.toKey(''), ...(callback ? { callback: JSON.stringify(callback) } : {}) };
  const chunks: Planned[][] = [];
  for (let start = 0; start < planned.length; start += CHUNK) chunks.push(planned.slice(start, start + CHUNK));
  const pacer = deps.pacer ?? createEnqueuePacer(IN_FLIGHT);
  const states = await inFlight(chunks, async (chunk, control) => {
    const done = await pacer.begin();
    if (control.stopped()) {
      done();
      return { ran: false, stopped: true };
    }
    const send = async () => {
      // BullMQ's client wraps our connection: its transactions carry both BullMQ's scripts and the batch store's.
      const transaction = (await entry.queue.backend.client).multi() as unknown as ChainableCommander;
      return deps.batches.enqueue(transaction, batch, chunk, (transaction) => {
        for (const { refKey: key, ref, jobId } of chunk) {
          const data: CloseJobData = { account, ref, batchId, ...extra(ref) };
          const job = new Job(entry.queue, CLOSE_JOB, data, { ...options, jobId, deduplication: { id: key } }, jobId);
          // BullMQ's own bulk add is a pipeline; this puts the same adds on our transaction.
          void entry.queue.backend.addJobToTransaction(transaction as unknown as IRedisTransaction, job.asJSON(), jobId);
        }
      });
    };
    try {
      control.sending();
      try {
        return { ran: true, accepted: await send() };
      } catch (error) {
        if (!isNoScript(error)) throw error;
        // Scripts missing on that Redis (a failover, a discarded transaction): load them, and send the chunk again (idempotent).
        await deps.reloadScripts(batch.jobKeyPrefix);
        return { ran: true, accepted: await send() };
      }
    } catch (error) {
      return { ran: false, certain: certainlyNotRun(error), error };
    } finally {
      done();
    }
  }, Math.max(0, deadlineAt - Date.now()));

  let accepted = 0;
  let notEnqueued = 0;
  let uncertain = 0;
  let cause: unknown;
  // After the jobs, never before: a dispatcher that found the queue empty has taken the account out by then, and this puts it back.
  // Within what is left of the deadline: a Redis that stopped answering gets the touch when it answers again.
  if (states.some((state) => state !== undefined)) await withinDeadline(deps.index.touch(account).catch(() => undefined), Math.max(0, deadlineAt - Date.now()));
  chunks.forEach((chunk, index) => {
    const state = states[index];
    if (state === undefined) notEnqueued += chunk.length;
    else if (state === 'in-flight') {
      cause ??= new Error(`Redis did not answer within ${deadlineMs} ms`);
      uncertain += chunk.length;
    } else if (state.ran) accepted += state.accepted;
    else {
      cause ??= state.error;
      if (state.certain) notEnqueued += chunk.length;
      else uncertain += chunk.length;
    }
  });
  if (cause !== undefined) {
    const reason = isOutOfMemory(cause) ? 'redis_out_of_memory' : isConnectionLost(cause) ? 'redis_unavailable' : uncertain > 0 && states.includes('in-flight') ? 'redis_timeout' : 'redis_error';
    if (accepted === 0 && uncertain === 0 && reason === 'redis_out_of_memory') throw new RedisOutOfMemoryError();
    if (accepted === 0 && uncertain === 0 && reason === 'redis_unavailable') throw new RedisUnavailableError();
    throw new EnqueueIncompleteError({ batchId, accepted, notEnqueued, uncertain, reason }, { cause });
  }
  if (priority === 'high' && accepted < planned.length) await promoteDuplicates(entry, planned);
  const durability = deps.durability;
  if (durability && durability.replicas > 0) {
    // Asked even when every ref was a duplicate: a resend after a failed WAIT must wait again for the same writes.
    // The jobs exist by now: a WAIT that fails (the master went) is "not replicated", never "not enqueued".
    const replicated = await durability.acknowledged(batch.jobKeyPrefix).catch(() => 0);
    if (replicated < durability.replicas) throw new NotReplicatedError(batchId, replicated, durability.replicas);
  }
  return { batchId, total: refs.length, accepted, duplicates: refs.length - accepted };
}
