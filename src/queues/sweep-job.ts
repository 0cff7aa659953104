import type { JobsOptions } from 'bullmq';
import type { JobSettings } from '../config/types.js';
import { BACKOFF_TYPE, type FailureInfo } from './close-job.js';

export const SWEEP_JOB = 'sweep';
/** One job scheduler per account queue, upserted by id: any number of schedulers make one sweep per interval. */
export const SWEEP_SCHEDULER_ID = 'auto-close';

export interface SweepJobData {
  account: string;
  /** Asked for (POST /v1/accounts/:id/sweep?dryRun=true): lists what it would close, closes nothing, is not the account's last sweep. */
  dryRun?: boolean;
  rateLimitHits?: number;
  lastError?: FailureInfo;
}

/** A sweep's outcome, kept for GET /v1/accounts (`autoClose.lastRun`), the CLI and the logs. */
export interface SweepResult {
  at: string;
  /** Last activity before this counts as idle. */
  cutoff: string;
  scanned: number;
  idle: number;
  enqueued: number;
  /** Idle conversations not enqueued: over maxPerRun, or a close already pending. */
  skipped: number;
  batchId: string | null;
  dryRun: boolean;
  /** A dry run asked for: the conversations it would close, oldest activity first. */
  wouldClose?: { ref: unknown; lastActivityAt: string | null }[];
}

export function sweepJobOptions(jobs: JobSettings): JobsOptions {
  return {
    attempts: Math.min(jobs.attempts, 3),
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: 7 * 24 * 3600, count: 100 },
    removeOnFail: { age: 7 * 24 * 3600, count: 100 },
  };
}
