/**
 * What happens to jobs as it happens, for a process that narrates it (the
 * demo). Logs and metrics carry the same facts for operations; this is the
 * typed hook, called synchronously and never awaited.
 */
export type JobEvent =
  /** The provider answered 429: the whole account waits, the job keeps its attempts. */
  | { type: 'rate_limited'; account: string; waitMs: number; status: number | undefined }
  /** A retryable failure: the job runs again after its backoff. */
  | { type: 'retrying'; account: string; jobName: string; ref: unknown; attempt: number; attempts: number; code: string; status: number | undefined }
  /** No retry left or none useful: a close goes to the dead letters. */
  | { type: 'failed'; account: string; jobName: string; ref: unknown; code: string; status: number | undefined; message: string };

export type JobEventListener = (event: JobEvent) => void;
