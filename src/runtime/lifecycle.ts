import type { Logger } from '../logger.js';

export interface Closeable {
  name: string;
  close(): Promise<void>;
}

export interface ShutdownOptions {
  /** After this, the process exits anyway; jobs still active then are released by their lock expiring and run again elsewhere. */
  deadlineMs?: number;
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT: close in the order given (stop taking requests, then let
 * workers finish their jobs, then drop connections) and exit 0. Nothing is
 * lost at the deadline either: an unfinished job's lock expires and another
 * worker runs it again, which is safe because a close is idempotent.
 */
export function handleShutdown(closeables: readonly Closeable[], logger: Logger, { deadlineMs = 25_000, exit = process.exit }: ShutdownOptions = {}): void {
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs }, 'shutting down: no new jobs, finishing active ones');
    const deadline = setTimeout(() => {
      logger.warn('shutdown deadline reached; unfinished jobs will run again after their lock expires');
      exit(0);
    }, deadlineMs);
    deadline.unref();
    for (const closeable of closeables) {
      try {
        await closeable.close();
      } catch (error) {
        logger.error({ err: error, part: closeable.name }, 'error while closing');
      }
    }
    clearTimeout(deadline);
    logger.info('stopped');
    exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}
