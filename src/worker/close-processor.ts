import type { Job } from 'bullmq';
import { conversationEnd } from '../batches/batch-store.js';
import { currentActivity } from '../listing/current-activity.js';
import type { AnyProviderClient } from '../providers/create-provider-client.js';
import type { ProviderClient } from '../providers/types.js';
import type { CloseJobData } from '../queues/close-job.js';
import type { ActivityRecorder } from '../stats/activity-recorder.js';
import type { BatchMarks } from './batch-marks.js';
import { failJob, type FailureContext } from './queue-failure.js';

export interface CloseProcessorDeps extends FailureContext {
  client: AnyProviderClient;
  /** Sends the batch marks; on the worker's Redis connection (see batch-marks.ts). */
  marks: BatchMarks;
  /** Counts closes per minute for the console (in memory; written every few seconds). */
  activity: Pick<ActivityRecorder, 'record'>;
}

export interface CloseJobResult {
  outcome: 'closed' | 'already_closed' | 'skipped_active';
  status?: number;
}

/**
 * Runs one close. A close enqueued by an auto-close sweep first reads the
 * conversation's last activity again and is skipped (`skipped_active`) if
 * the customer or an agent wrote after the sweep's cut-off.
 */
export function createCloseProcessor(deps: CloseProcessorDeps) {
  const { client, marks, entry } = deps;
  // Refs were checked against the account's provider when enqueued, so the generic signature is safe here.
  const closer = client as unknown as ProviderClient;

  return async function closeConversation(job: Job<CloseJobData>, token?: string): Promise<CloseJobResult> {
    // Built only when something is logged: a child logger per close was 1% of a worker's CPU at full speed.
    const logger = () => deps.logger.child({ jobId: job.id, batchId: job.data.batchId });
    const { ref, recheck, batchId } = job.data;
    const account = entry.account.id;
    // Awaited before returning: BullMQ completes the job once the processor returns, and the mark must be sent first.
    const mark = (outcome: CloseJobResult['outcome']) =>
      batchId ? marks.completed({ batchId, jobId: job.id!, event: conversationEnd(ref, { outcome }) }, { skipped: outcome === 'skipped_active' }) : undefined;
    const done = (outcome: CloseJobResult['outcome']) => {
      deps.metrics.closes.inc({ account, outcome });
      if (outcome !== 'skipped_active') deps.activity.record(account, 'closed');
      deps.metrics.enqueueToClose.observe({ account }, (Date.now() - job.timestamp) / 1000);
    };
    try {
      if (recheck) {
        const activity = await currentActivity(client, entry.account, ref, recheck);
        if (activity && Date.parse(activity) >= Date.parse(recheck.idleBefore)) {
          const marked = mark('skipped_active');
          logger().info({ lastActivityAt: activity, idleBefore: recheck.idleBefore }, 'active again since the sweep: not closed');
          done('skipped_active');
          await marked;
          return { outcome: 'skipped_active' };
        }
      }
      const result = await closer.close(ref);
      const marked = mark(result.outcome);
      if (deps.logger.isLevelEnabled('debug')) logger().debug({ outcome: result.outcome }, 'closed');
      done(result.outcome);
      await marked;
      return { outcome: result.outcome, status: result.status };
    } catch (error) {
      return failJob(error, job, token, { ...deps, logger: logger() });
    }
  };
}
