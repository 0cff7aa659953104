/**
 * What a failed Redis command tells about its own fate. Producers answer
 * from this: a change is reported "not made" only when Redis cannot have
 * made it, and "uncertain" otherwise.
 */

/**
 * ioredis' messages when the connection is gone or goes while waiting
 * (offline queue disabled), and a cluster's answers while it reshapes or
 * fails over.
 */
const CONNECTION_LOST =
  /Connection is closed|Stream isn't writeable|max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Command timed out|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections|no master serves the slot|^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK)\b/i;

/**
 * Redis certainly did not run it: ioredis never sent it (the connection was
 * not up and producers keep no offline queue), or a cluster node refused it
 * (a slot moving, the cluster down).
 */
const NEVER_SENT = /Stream isn't writeable and enableOfflineQueue options is false|Cluster isn't ready and enableOfflineQueue options is false|^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK)\b|Too many Cluster redirections|no master serves the slot/;

const messageOf = (error: unknown): string => (typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error));

/** Read by shape, not `instanceof`: errors from Node's own modules may come from another realm (jest's vm, worker threads). */
function messages(error: unknown): string[] {
  if (typeof error !== 'object' || error === null) return [];
  // A transaction aborted at EXEC carries the errors of the commands Redis refused to queue.
  const previous = (error as { previousErrors?: unknown[] }).previousErrors ?? [];
  return [messageOf(error), ...previous.map(messageOf)];
}

/** Redis refused the command because maxmemory is reached and nothing may be evicted. */
export function isOutOfMemory(error: unknown): boolean {
  return messages(error).some((message) => message.startsWith('OOM '));
}

/** Redis did not know a script's SHA (see loadScriptsFor in slot-connection.ts). */
export function isNoScript(error: unknown): boolean {
  return messages(error).some((message) => message.startsWith('NOSCRIPT'));
}

/** The connection failed, before or while the command was under way. */
export function isConnectionLost(error: unknown): boolean {
  return messages(error).some((message) => CONNECTION_LOST.test(message));
}

/**
 * Redis certainly did not run the command: it was never sent, or it was a
 * transaction Redis discarded as a whole (EXECABORT, or an OOM refusal of
 * EXEC itself).
 */
export function certainlyNotRun(error: unknown): boolean {
  const [first = ''] = messages(error);
  return NEVER_SENT.test(first) || first.startsWith('EXECABORT') || first.startsWith('OOM ');
}
