import type { AccountInfo } from '../config/types.js';
import type { ConversationRef } from '../providers/types.js';
import { checkRef } from '../refs/ref-schemas.js';
import { parseCallbackSpec, type CallbackSpec } from '../callbacks/callback-spec.js';
import { UnknownAccountError, ValidationError, type ValidationIssue } from './producer-errors.js';

export const MAX_REFS_PER_REQUEST = 10_000;
const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const PRIORITIES = ['high', 'normal'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface CloseRequest {
  account: AccountInfo;
  refs: ConversationRef[];
  batchId?: string;
  /** `high`: ahead of the account's normal backlog (still within its rate limit). */
  priority: Priority;
  /** Where the batch's events are POSTed. */
  callback?: CallbackSpec;
}

/**
 * The one validation of a close request, shared by the library, the HTTP API
 * and the CLI. Everything is checked before anything is enqueued, and every
 * problem is reported, by index and path.
 */
export function parseCloseRequest(body: unknown, findAccount: (accountId: string) => AccountInfo | undefined): CloseRequest {
  const issues: ValidationIssue[] = [];
  const refs: ConversationRef[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError([{ index: null, path: '', message: 'must be a JSON object with "account" and "conversations"' }]);
  }
  const { account: accountId, conversations, batchId, priority = 'normal', callback: rawCallback, ...unknown } = body as Record<string, unknown>;
  for (const key of Object.keys(unknown)) issues.push({ index: null, path: key, message: 'is not a known field' });

  if (typeof accountId !== 'string' || accountId === '') issues.push({ index: null, path: 'account', message: 'is required: an account id' });
  if (batchId !== undefined && (typeof batchId !== 'string' || !BATCH_ID.test(batchId))) {
    issues.push({ index: null, path: 'batchId', message: 'must be 1-64 characters of letters, digits, "-" or "_"' });
  }
  const callback = parseCallbackSpec(rawCallback, issues);
  if (!(PRIORITIES as readonly unknown[]).includes(priority)) issues.push({ index: null, path: 'priority', message: `must be one of ${PRIORITIES.join(', ')}` });
  const account = typeof accountId === 'string' ? findAccount(accountId) : undefined;
  if (typeof accountId === 'string' && accountId !== '' && !account) throw new UnknownAccountError(accountId);

  if (!Array.isArray(conversations)) {
    issues.push({ index: null, path: 'conversations', message: 'is required: a list of conversation refs' });
  } else if (conversations.length === 0) {
    issues.push({ index: null, path: 'conversations', message: 'must hold at least one ref' });
  } else if (conversations.length > MAX_REFS_PER_REQUEST) {
    issues.push({ index: null, path: 'conversations', message: `must hold at most ${MAX_REFS_PER_REQUEST} refs (got ${conversations.length})` });
  } else if (account) {
    conversations.forEach((raw, index) => {
      const checked = checkRef(account, raw);
      if (checked.ok) refs.push(checked.ref as ConversationRef);
      else {
        for (const issue of checked.issues) {
          issues.push({ index, path: `conversations[${index}]${issue.path ? `.${issue.path}` : ''}`, message: issue.message });
        }
      }
    });
  }

  if (issues.length > 0 || !account) throw new ValidationError(issues);
  return { account, refs, priority: priority as Priority, ...(typeof batchId === 'string' ? { batchId } : {}), ...(callback ? { callback } : {}) };
}
