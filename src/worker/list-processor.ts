import type { Job } from 'bullmq';
import { matchingConversations } from '../listing/matching-conversations.js';
import type { AnyProviderClient } from '../providers/create-provider-client.js';
import type { Conversation } from '../providers/types.js';
import type { ListJobData, ListJobResult } from '../queues/list-job.js';
import { failJob, type FailureContext } from './queue-failure.js';

export interface ListProcessorDeps extends FailureContext {
  client: AnyProviderClient;
}

/**
 * Pages through the provider (through the account's rate limit, like closes)
 * until the end or `limit`; one conversation past the limit tells `truncated`.
 */
export function createListProcessor(deps: ListProcessorDeps) {
  return async function listConversations(job: Job<ListJobData>, token?: string): Promise<ListJobResult> {
    const { query, limit } = job.data;
    const scanned = { count: 0 };
    const conversations: Conversation[] = [];
    let truncated = false;
    try {
      for await (const conversation of matchingConversations(deps.client, deps.entry.account, query, { now: Date.now(), scanned })) {
        if (conversations.length === limit) {
          truncated = true;
          break;
        }
        conversations.push(conversation);
      }
    } catch (error) {
      return failJob(error, job, token, { ...deps, logger: deps.logger.child({ jobId: job.id }) });
    }
    deps.logger.info({ jobId: job.id, found: conversations.length, scanned: scanned.count, truncated }, 'listed');
    return { conversations, truncated, scanned: scanned.count };
  };
}
