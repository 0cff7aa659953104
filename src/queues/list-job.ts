import type { JobsOptions } from 'bullmq';
import type { JobSettings } from '../config/types.js';
import type { ListQuery } from '../listing/list-query.js';
import type { Conversation } from '../providers/types.js';
import { BACKOFF_TYPE, type FailureInfo } from './close-job.js';

export const LIST_JOB = 'list';

export interface ListJobData {
  account: string;
  query: ListQuery;
  limit: number;
  rateLimitHits?: number;
  lastError?: FailureInfo;
}

/** What GET /v1/jobs/:id shows for a list job: a valid close request's worth of refs. */
export interface ListJobResult {
  conversations: Conversation[];
  /** True when `limit` cut the list short. */
  truncated: boolean;
  /** Conversations the provider returned, matching or not. */
  scanned: number;
}

/**
 * A result of 10,000 conversations is about 2.5-3.5 MB in Redis, so results are
 * kept one hour and at most 20 per account (see README, "Listing").
 */
export function listJobOptions(jobs: JobSettings): JobsOptions {
  return {
    attempts: jobs.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: { age: 3600, count: 20 },
    removeOnFail: { age: 24 * 3600, count: 100 },
  };
}
