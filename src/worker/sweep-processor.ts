import type { Job } from 'bullmq';
import { matchingConversations } from '../listing/matching-conversations.js';
import { enqueueCloses, type EnqueueDeps } from '../producer/enqueue-closes.js';
import type { AnyProviderClient } from '../providers/create-provider-client.js';
import type { Conversation } from '../providers/types.js';
import type { SweepJobData, SweepResult } from '../queues/sweep-job.js';
import type { SweepStore } from '../sweeps/sweep-store.js';
import { failJob, type FailureContext } from './queue-failure.js';

export interface SweepProcessorDeps extends FailureContext {
  client: AnyProviderClient;
  enqueue: EnqueueDeps;
  sweeps: SweepStore;
}

/**
 * One auto-close sweep of an account: list its open conversations, keep those
 * idle since before the cut-off (oldest first), and enqueue closes for at most
 * `maxPerRun` of them as one batch. Each close re-checks the conversation just
 * before closing it (see the close processor).
 */
export function createSweepProcessor(deps: SweepProcessorDeps) {
  const { account } = deps.entry;

  return async function sweepIdleConversations(job: Job<SweepJobData>, token?: string): Promise<SweepResult> {
    const policy = account.autoClose;
    const logger = deps.logger.child({ jobId: job.id, sweep: true });
    if (!policy) {
      // The policy was removed from the configuration while this sweep waited; the scheduler removes it too.
      logger.info('auto-close is off for this account: nothing to do');
      return { at: new Date().toISOString(), cutoff: '', scanned: 0, idle: 0, enqueued: 0, skipped: 0, batchId: null, dryRun: false };
    }
    const now = Date.now();
    const cutoff = new Date(now - policy.idleAfterMs).toISOString();
    const scanned = { count: 0 };
    const idle: Conversation[] = [];
    try {
      const query = { status: 'open' as const, idleForMs: policy.idleAfterMs, native: {} };
      for await (const conversation of matchingConversations(deps.client, account, query, { now, scanned, skipWaiting: policy.skipWaiting })) {
        idle.push(conversation);
      }
      idle.sort((a, b) => Date.parse(a.lastActivityAt ?? '') - Date.parse(b.lastActivityAt ?? ''));
      const picked = idle.slice(0, policy.maxPerRun);
      let batchId: string | null = null;
      let enqueued = 0;
      const asked = job.data.dryRun === true;
      const dryRun = policy.dryRun || asked;
      if (!dryRun && picked.length > 0) {
        batchId = `sweep-${account.id}-${job.id}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
        const phoneOf = new Map(picked.map((conversation) => [JSON.stringify(conversation.ref), conversation.contact.phoneNumber ?? undefined]));
        const accepted = await enqueueCloses(deps.enqueue, deps.entry, batchId, picked.map((conversation) => conversation.ref), {
          extra: (ref) => {
            const phoneNumber = phoneOf.get(JSON.stringify(ref));
            return { recheck: { idleBefore: cutoff, ...(phoneNumber ? { phoneNumber } : {}) } };
          },
        });
        enqueued = accepted.accepted;
      }
      const result: SweepResult = {
        at: new Date(now).toISOString(),
        cutoff,
        scanned: scanned.count,
        idle: idle.length,
        enqueued,
        skipped: dryRun ? 0 : idle.length - enqueued,
        batchId,
        dryRun,
        ...(asked ? { wouldClose: picked.map(({ ref, lastActivityAt }) => ({ ref, lastActivityAt: lastActivityAt ?? null })) } : {}),
      };
      // A dry run someone asked for answers them (its job's result); the account's last sweep stays the last real one.
      if (!asked) await deps.sweeps.save(account.id, result);
      deps.metrics.sweeps.inc({ account: account.id, dry_run: String(result.dryRun) });
      for (const key of ['scanned', 'idle', 'enqueued', 'skipped'] as const) deps.metrics.sweepConversations.inc({ account: account.id, result: key }, result[key]);
      logger.info(result, 'auto-close sweep done');
      return result;
    } catch (error) {
      return failJob(error, job, token, { ...deps, logger });
    }
  };
}
