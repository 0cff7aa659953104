import { z } from 'zod';
import type { AccountInfo } from '../config/types.js';
import type { ConversationRef } from '../providers/types.js';
import { ANY_PROVIDER_REF, checkRef } from '../refs/ref-schemas.js';
import { CALLBACK_SPEC, type CallbackSpec } from '../callbacks/callback-spec.js';
import { UnknownAccountError, ValidationError, type ValidationIssue } from './producer-errors.js';
import { issuesOf } from './zod-issues.js';

export const MAX_REFS_PER_REQUEST = 10_000;
const BATCH_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BATCH_ID_MESSAGE = 'must be 1-64 characters of letters, digits, "-" or "_"';
const ACCOUNT_MESSAGE = 'is required: an account id';

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
 * A close request's fields (`POST /v1/close`, and what the OpenAPI document
 * shows). Its refs are any values here: each is checked against the named
 * account's provider afterwards (checkRef), so that every bad ref is reported
 * with its index.
 */
export const CLOSE_REQUEST = z.strictObject(
  {
    account: z.string({ error: ACCOUNT_MESSAGE }).min(1, ACCOUNT_MESSAGE),
    batchId: z.string({ error: BATCH_ID_MESSAGE }).regex(BATCH_ID, BATCH_ID_MESSAGE).optional(),
    callback: CALLBACK_SPEC.optional(),
    priority: z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` }).default('normal'),
    conversations: z
      .array(ANY_PROVIDER_REF, { error: 'is required: a list of conversation refs' })
      .min(1, 'must hold at least one ref')
      .max(MAX_REFS_PER_REQUEST, { error: (issue) => `must hold at most ${MAX_REFS_PER_REQUEST} refs (got ${(issue.input as unknown[]).length})` }),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object with "account" and "conversations"' : undefined) },
);

/**
 * The one validation of a close request, shared by the library, the HTTP API
 * and the CLI. Everything is checked before anything is enqueued, and every
 * problem is reported, by index and path. An account that does not exist is
 * a 404 whatever else is wrong.
 */
export function parseCloseRequest(body: unknown, findAccount: (accountId: string) => AccountInfo | undefined): CloseRequest {
  const parsed = CLOSE_REQUEST.safeParse(body);
  const issues: ValidationIssue[] = parsed.success ? [] : issuesOf(parsed.error, { indexed: 'conversations' });
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError(issues);

  const { account: accountId, conversations } = body as { account?: unknown; conversations?: unknown };
  const account = typeof accountId === 'string' ? findAccount(accountId) : undefined;
  if (typeof accountId === 'string' && accountId !== '' && !account) throw new UnknownAccountError(accountId);

  const refs: ConversationRef[] = [];
  // Refs are checked once the list itself is right (1 to MAX_REFS_PER_REQUEST of them) and the account known.
  if (account && Array.isArray(conversations) && !issues.some((issue) => issue.path === 'conversations')) {
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

  if (!parsed.success || issues.length > 0 || !account) throw new ValidationError(issues);
  const { batchId, priority, callback } = parsed.data;
  return { account, refs, priority, ...(batchId !== undefined ? { batchId } : {}), ...(callback ? { callback } : {}) };
}
