import type { RegistryKind, RegistryStore } from './registry-store.js';

/**
 * A process's copy of the registry (managed accounts and API keys), kept up
 * to date by looking at the revision every `everyMs` (one GET) and reading
 * what changed when it moved. Polling rather than pub/sub: a process that
 * was disconnected, or missed a message, catches up by the same path, and
 * the cost is one command a second whatever the number of accounts. A
 * process that wrote a change, or meets an id it does not know, syncs at
 * once (`sync()`), so its own writes and those just made elsewhere are seen
 * without waiting for the next look.
 */
export interface RegistryFeed {
  /** Loads everything; call once before use. Then follows the changes until stop(). */
  start(): Promise<void>;
  /** The records of a kind as of the last sync. */
  records(kind: RegistryKind): ReadonlyMap<string, string>;
  /** Told of every record that changed (value null: removed), after the copy has it. */
  onChange(listener: (kind: RegistryKind, id: string, value: string | null) => void): void;
  /** Reads what changed now (a call while a read runs waits for a fresh one). */
  sync(): Promise<void>;
  /** Resolves when no read is under way (at once, mostly): what a worker waits for before running a job after a change was announced. */
  settled(): Promise<void>;
  stop(): void;
}

export const REGISTRY_POLL_MS = 1_000;

export interface RegistryFeedOptions {
  everyMs?: number;
  /** A round that failed (Redis away); the next one retries. */
  onError?: (error: unknown) => void;
}

export function createRegistryFeed(store: RegistryStore, { everyMs = REGISTRY_POLL_MS, onError = () => undefined }: RegistryFeedOptions = {}): RegistryFeed {
  const records: Record<RegistryKind, Map<string, string>> = { account: new Map(), 'api-key': new Map() };
  const listeners: ((kind: RegistryKind, id: string, value: string | null) => void)[] = [];
  let revision = 0;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const apply = (kind: RegistryKind, id: string, value: string | null) => {
    const map = records[kind];
    if ((map.get(id) ?? null) === value) return;
    if (value === null) map.delete(id);
    else map.set(id, value);
    for (const listener of listeners) listener(kind, id, value);
  };

  async function reload(): Promise<void> {
    const snapshot = await store.snapshot();
    for (const kind of Object.keys(records) as RegistryKind[]) {
      for (const id of [...records[kind].keys()]) if (!snapshot.records[kind].has(id)) apply(kind, id, null);
      for (const [id, value] of snapshot.records[kind]) apply(kind, id, value);
    }
    revision = snapshot.revision;
  }

  async function catchUp(): Promise<void> {
    if ((await store.revision()) === revision) return;
    for (;;) {
      const read = await store.changesSince(revision);
      if (read.reset) {
        await reload();
        break;
      }
      for (const change of read.changes) apply(change.kind, change.id, change.value);
      revision = read.revision;
      if (!read.more) break;
    }
  }

  let queued: Promise<void> | undefined;
  // A sync asked for while one runs gets a read of its own after it: the running one may have read before the caller's write.
  const sync = (): Promise<void> => {
    if (!running) {
      running = catchUp().finally(() => (running = undefined));
      return running;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return sync();
      });
    return queued;
  };

  return {
    async start() {
      await reload();
      timer = setInterval(() => {
        // Never more than one read in flight: while Redis is away the rounds are skipped, not queued.
        if (!running) sync().catch(onError);
      }, everyMs);
      timer.unref();
    },
    records: (kind) => records[kind],
    onChange: (listener) => void listeners.push(listener),
    sync,
    settled: () => (queued ?? running ?? Promise.resolve()).catch(() => undefined),
    stop: () => clearInterval(timer),
  };
}
