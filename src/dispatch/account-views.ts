import { Job, JobScheduler, Queue, type QueueOptions, type RedisQueueBackend } from 'bullmq';
import { accountQueueName, type KeyNames } from '../queues/names.js';
import type { RedisClient } from '../redis/create-redis.js';

/** What BullMQ's worker settings the dispatcher's jobs run with (a job's lock, stalls, retry delays). */
export interface EngineSettings {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  backoffStrategy: (attemptsMade: number, type?: string) => number;
}

/** One account's queue, as the dispatcher works on it. */
export interface AccountView {
  accountId: string;
  /** BullMQ's scripts for the account's queue (fetch, finish, stalls, locks), on the shared connection. */
  backend: RedisQueueBackend;
  /** A job BullMQ's moveToActive handed out, as BullMQ's worker makes it. */
  job(data: unknown, id: string, token: string): Job;
  /** The account's job schedulers (an auto-close sweep's next run is scheduled when its job is taken). */
  jobScheduler(): JobScheduler;
}

export interface AccountViews {
  get(accountId: string): AccountView;
  close(): Promise<void>;
}

/**
 * Views of account queues for the dispatcher, without a BullMQ Worker (and
 * its blocking connection) or a Queue (and its connection listeners) per
 * account. One engine Queue holds the worker settings and the connection;
 * each view is BullMQ's own backend for the account's queue, made by
 * `backend.forQueue` (what BullMQ's FlowProducer uses to work on many queues
 * over one connection), and the engine re-aimed at that queue for BullMQ's
 * Job, which takes its queue's backend and settings from there.
 *
 * These are BullMQ 6.7's less-used parts (pinned; test/integration/dispatch
 * covers every call). Views of accounts without work are dropped after a
 * while: a view is about 4.5 KB, and a process may serve 10,000 accounts.
 */
export function createAccountViews(connection: RedisClient, keys: KeyNames, settings: EngineSettings, { capacity = 2_000 } = {}): AccountViews {
  const engineOptions = {
    connection,
    prefix: keys.queuePrefix('dispatch'),
    // Read by BullMQ's backend and Job from the queue's options, as from a Worker's.
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
    settings: { backoffStrategy: settings.backoffStrategy },
  } as QueueOptions;
  const engine = new Queue('dispatch', engineOptions).on('error', () => undefined);
  const views = new Map<string, AccountView>();

  function make(accountId: string): AccountView {
    const name = accountQueueName(accountId);
    const backend = (engine.backend as RedisQueueBackend).forQueue(name, keys.queuePrefix(accountId)) as RedisQueueBackend;
    const queue = Object.create(engine, {
      name: { value: name },
      backend: { value: backend },
      keys: { value: backend.keys },
      toKey: { value: backend.toKey.bind(backend) },
      qualifiedName: { value: backend.qualifiedName },
    }) as Queue;
    let scheduler: JobScheduler | undefined;
    return {
      accountId,
      backend,
      job(data, id, token) {
        const job = Job.fromJSON(queue, data as never, id);
        job.token = token;
        return job;
      },
      jobScheduler() {
        scheduler ??= new JobScheduler(name, engineOptions, () => backend).on('error', () => undefined);
        return scheduler;
      },
    };
  }

  return {
    get(accountId) {
      let view = views.get(accountId);
      if (view) views.delete(accountId);
      else view = make(accountId);
      // Map order is use order: the least recently used is the first.
      views.set(accountId, view);
      if (views.size > capacity) views.delete(views.keys().next().value!);
      return view;
    },
    async close() {
      views.clear();
      await engine.close();
    },
  };
}
