import type { JobsOptions } from 'bullmq';
import type { JobSettings } from '../config/types.js';
import type { ConversationRef } from '../providers/types.js';

export const CLOSE_JOB = 'close';
export const DEAD_LETTER_JOB = 'dead-letter';
/** Backoff type resolved by the workers' backoff strategy (exponential, jittered, capped). */
export const BACKOFF_TYPE = 'closer-exponential';

/** What went wrong on the last failed attempt, kept on the job for the dead letter. */
export interface FailureInfo {
  code: string;
  message: string;
  status?: number;
  bodyExcerpt?: string;
  at: string;
}

/** A close job's data: ids and the ref only, never a credential (BullMQ stores it in clear). */
export interface CloseJobData {
  account: string;
  ref: ConversationRef;
  batchId?: string;
  /**
   * Set by auto-close sweeps: just before closing, the conversation's last
   * activity is read again and the close is skipped if it moved past the
   * sweep's cut-off. `phoneNumber` lets Peach find the conversation.
   */
  recheck?: { idleBefore: string; phoneNumber?: string };
  /** 429s this job met; a guard so rate limits cannot hold it forever. */
  rateLimitHits?: number;
  lastError?: FailureInfo;
}

/**
 * Options every close job is added with. Completed jobs stay a day (at most
 * 10,000 per account) for the dashboard; failed ones stay until the
 * dead-letter mover has copied them (it removes them).
 */
export function closeJobOptions(jobs: JobSettings): JobsOptions {
  return {
    attempts: jobs.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: false,
  };
}
