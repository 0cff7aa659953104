import { z } from 'zod';
import { SCOPES } from '../auth/access.js';
import { CALLBACK_EVENTS } from '../callbacks/callback-spec.js';
import { PROVIDERS } from '../config/types.js';
import { REF_SHAPES } from '../refs/ref-schemas.js';

/**
 * The answers of the HTTP API, as zod schemas written from what the handlers
 * return (producer.ts, account-admin.ts, api-keys.ts, batch-store.ts ...).
 * Nothing validates answers at run time: these are what the OpenAPI document
 * shows, and test/integration/openapi.test.ts checks real answers of every
 * route against that document, so a field added to an answer and not here
 * fails it.
 */

const count = z.number().int().min(0);
/** Written by the server with toISOString(). */
const instant = z.iso.datetime();

/** A close ref as answers give it back (dead letters, listed conversations): one of the provider shapes. */
export const CONVERSATION_REF = z.union(REF_SHAPES);

export const CLOSE_ACCEPTED = z.object({
  batchId: z.string(),
  total: count,
  accepted: count,
  duplicates: count,
});

export const JOB_ACCEPTED = z.object({ jobId: z.string() });

export const CALLBACK_STATE = z.object({
  url: z.string(),
  events: z.array(z.enum(CALLBACK_EVENTS)),
  keyId: z.string().optional(),
  state: z.enum(['pending', 'delivered', 'failed']),
  attempts: count,
  lastStatus: z.number().int().nullable(),
  deliveredAt: instant.nullable(),
  doneAt: instant.nullable(),
  conversationEvents: z.object({ delivered: count, waiting: count, failed: count }).optional(),
});

export const BATCH_REPORT = z.object({
  batchId: z.string(),
  account: z.string(),
  total: count,
  completed: count,
  deadLettered: count,
  pending: count,
  done: z.boolean(),
  duplicates: count,
  skipped: count,
  cancelled: count,
  cancelledAt: instant.nullable(),
  callback: CALLBACK_STATE.optional(),
  createdAt: z.string(),
  finishedAt: instant.nullable(),
});

export const CONVERSATION = z.object({
  account: z.string(),
  provider: z.enum(PROVIDERS),
  id: z.string(),
  status: z.enum(['open', 'pending', 'closed']),
  providerStatus: z.string(),
  contact: z.object({
    id: z.string().optional(),
    name: z.string().nullable().optional(),
    phoneNumber: z.string().nullable().optional(),
    email: z.string().nullable().optional(),
    identifier: z.string().nullable().optional(),
  }),
  lastActivityAt: z.string().nullable(),
  ref: CONVERSATION_REF,
  waitingSince: z.string().nullable().optional(),
});

export const LIST_RESULT = z.object({
  conversations: z.array(CONVERSATION),
  truncated: z.boolean(),
  scanned: count,
});

export const SWEEP_RESULT = z.object({
  at: z.string(),
  cutoff: z.string(),
  scanned: count,
  idle: count,
  enqueued: count,
  skipped: count,
  batchId: z.string().nullable(),
  dryRun: z.boolean(),
  /** A dry run asked for: the conversations it would close, oldest activity first. */
  wouldClose: z.array(z.object({ ref: z.unknown(), lastActivityAt: z.string().nullable() })).optional(),
});

export const CLOSE_RESULT = z.object({
  outcome: z.enum(['closed', 'already_closed', 'skipped_active']),
  status: z.number().int().optional(),
});

export const JOB_STATUS = z.object({
  jobId: z.string(),
  state: z.string(),
  result: z.union([LIST_RESULT, SWEEP_RESULT, CLOSE_RESULT]).optional(),
  error: z.object({ code: z.string(), message: z.string(), status: z.number().int().optional() }).optional(),
});

export const DEAD_LETTER = z.object({
  id: z.string(),
  account: z.string(),
  ref: CONVERSATION_REF,
  reason: z.string(),
  status: z.number().int().nullable(),
  message: z.string(),
  bodyExcerpt: z.string().nullable(),
  attempts: count,
  failedAt: instant,
  enqueuedAt: instant,
  batchId: z.string().nullable(),
});

export const DEAD_LETTER_PAGE = z.object({ total: count, items: z.array(DEAD_LETTER) });

export const REDRIVEN = z.object({ redriven: count });

export const ACCOUNT_STATUS = z.object({
  id: z.string(),
  provider: z.enum(PROVIDERS),
  rateLimit: z.string(),
  paused: z.boolean(),
  pausedReason: z.enum(['manual', 'unauthorized']).nullable(),
  counts: z.object({ waiting: count, active: count, delayed: count, completed: count, failed: count, deadLettered: count }),
  autoClose: z
    .object({
      idleAfter: z.string(),
      every: z.string(),
      maxPerRun: count,
      dryRun: z.boolean(),
      skipWaiting: z.boolean(),
      lastRun: SWEEP_RESULT.nullable(),
    })
    .nullable(),
});

export const ACCOUNT_STATUS_LIST = z.array(ACCOUNT_STATUS);

export const ACCOUNT_VIEW = ACCOUNT_STATUS.extend({
  baseUrl: z.string(),
  source: z.enum(['api', 'config']),
  /** Each credential field masked to its last 4 characters. */
  credentials: z.record(z.string(), z.string()),
  createdAt: instant.optional(),
  updatedAt: instant.optional(),
});

export const API_KEY = z.object({
  id: z.string(),
  name: z.string(),
  accounts: z.union([z.literal('*'), z.array(z.string())]),
  scopes: z.array(z.enum(SCOPES)),
  createdAt: instant,
});

export const API_KEY_LIST = z.array(API_KEY);

export const API_KEY_CREATED = API_KEY.extend({ key: z.string(), callbackSecret: z.string().optional() });

export const LIVENESS = z.object({ status: z.literal('ok') });

export const READINESS = z.object({ ready: z.boolean(), reason: z.string().optional() });

/** The OpenAPI document itself: only its outline is described. */
export const OPENAPI_OUTLINE = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) });

const failure = <C extends string, S extends z.ZodRawShape>(code: C, extra: S) => z.object({ error: z.literal(code), message: z.string(), ...extra });

/**
 * Every error answer, by its code (`{"error": code, "message", ...}`): those
 * of producer-errors.ts and json-body.ts, and those create-app.ts answers
 * itself (401, 413, 415, 404 for no route, 500).
 */
export const ERROR_ANSWERS = {
  validation: failure('validation', {
    issues: z.array(z.object({ index: z.number().int().nullable(), path: z.string(), message: z.string() })),
  }),
  malformed_json: failure('malformed_json', {}),
  unauthorized: failure('unauthorized', {}),
  forbidden: failure('forbidden', {}),
  not_found: failure('not_found', {}),
  unknown_account: failure('unknown_account', { account: z.string() }),
  batch_conflict: failure('batch_conflict', {}),
  batch_cancelled: failure('batch_cancelled', {}),
  conflict: failure('conflict', {}),
  static_account: failure('static_account', { account: z.string() }),
  has_pending: failure('has_pending', { account: z.string(), pending: z.object({ jobs: count, deadLetters: count }) }),
  payload_too_large: failure('payload_too_large', {}),
  unsupported_media_type: failure('unsupported_media_type', {}),
  internal: failure('internal', {}),
  callback_secret_missing: failure('callback_secret_missing', {}),
  secret_key_missing: failure('secret_key_missing', {}),
  redis_unavailable: failure('redis_unavailable', {}),
  redis_out_of_memory: failure('redis_out_of_memory', {}),
  busy: failure('busy', {}),
  not_replicated: failure('not_replicated', { batchId: z.string(), replicated: count, required: count }),
  enqueue_incomplete: failure('enqueue_incomplete', { batchId: z.string(), accepted: count, notEnqueued: count, uncertain: count, reason: z.string() }),
} satisfies Record<string, z.ZodObject>;

export type ErrorCode = keyof typeof ERROR_ANSWERS;
