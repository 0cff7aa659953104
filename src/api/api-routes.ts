import type { z } from 'zod';
import type { Scope } from '../auth/access.js';
import { API_KEY_REQUEST } from '../auth/api-keys.js';
import { LIST_REQUEST } from '../listing/list-query.js';
import { CLOSE_REQUEST } from '../producer/close-request.js';
import {
  ACCOUNT_STATUS,
  ACCOUNT_STATUS_LIST,
  ACCOUNT_VIEW,
  API_KEY_CREATED,
  API_KEY_LIST,
  BATCH_REPORT,
  CLOSE_ACCEPTED,
  DEAD_LETTER_PAGE,
  JOB_ACCEPTED,
  JOB_STATUS,
  LIVENESS,
  OPENAPI_OUTLINE,
  READINESS,
  REDRIVEN,
  type ErrorCode,
} from './api-schemas.js';
import { ACCOUNT_CREATE_REQUEST, ACCOUNT_PATCH_REQUEST } from './account-request-schemas.js';
import { ACCOUNT_REMOVAL_QUERY, DEAD_LETTER_QUERY, REDRIVE_REQUEST, SWEEP_QUERY } from './request-schemas.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One answer of a route: a JSON body, the error codes it may carry, or no body. */
export interface Answer {
  description: string;
  /** The JSON body's schema. */
  body?: z.ZodType;
  /** An error answer: `{"error": <one of these>, "message", ...}`. */
  errors?: readonly ErrorCode[];
  /** A body that is not JSON (the schema is then a plain string). */
  contentType?: string;
  /** Response headers, by name: their meaning. */
  headers?: Record<string, string>;
}

/**
 * One route of the HTTP API: what createApp serves (method, path, the scope
 * its guard asks for) and what the OpenAPI document says of it. Answers that
 * every route of a kind shares (401, 403, 503, a body's 400, 413 and 415) are
 * added by the document (openapi-document.ts), not repeated here.
 */
export interface ApiRoute {
  method: HttpMethod;
  /** As fastify writes it: `/v1/batches/:batchId`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /** The scope an API key needs; absent: no authentication at all. */
  scope?: Scope;
  /** Only for the admin token or an admin key over every account (`"accounts": "*"`). */
  everyAccount?: boolean;
  /** Path parameters: their meaning. */
  params?: Record<string, string>;
  /** The query's schema, and each parameter's meaning. */
  query?: { schema: z.ZodObject; descriptions: Record<string, string> };
  body?: z.ZodType;
  answers: Record<number, Answer>;
}

const unknownAccount: Answer = { description: 'No such account (or not one this API key covers)', errors: ['unknown_account'] };
const notFound = (what: string): Answer => ({ description: `No such ${what} (or not one this API key covers)`, errors: ['not_found'] });
const invalid: Answer = { description: 'Invalid request: every problem, by path', errors: ['validation'] };

/**
 * Every route of the HTTP API (contract section 4), by operation id. The
 * document is built from this table, and createApp takes each route's
 * method, path and scope from it, so the two cannot disagree on those. The
 * document shows every route, including those createApp serves only when it
 * is given account administration or API keys (startApi always gives both).
 */
export const API_ROUTES = {
  closeConversations: {
    method: 'POST',
    path: '/v1/close',
    tag: 'closes',
    scope: 'close',
    summary: 'Enqueue closes of conversations (one batch)',
    description:
      'Every ref is checked against the account\'s provider before anything is enqueued: one invalid ref and nothing is, and each problem is reported by index and path. ' +
      'A ref whose close is already pending counts as a duplicate. Resending with the same batchId is safe.',
    body: CLOSE_REQUEST,
    answers: {
      202: { description: 'Enqueued', body: CLOSE_ACCEPTED },
      400: invalid,
      404: unknownAccount,
      409: { description: 'The batch id belongs to another account, or its batch was cancelled', errors: ['batch_conflict', 'batch_cancelled'] },
      501: { description: 'A callback was asked for and nothing can sign it (no CLOSER_CALLBACK_SECRET)', errors: ['callback_secret_missing'] },
      503: { description: 'Refused, or enqueued in part: the answer says which (resend with the batchId)', errors: ['busy', 'enqueue_incomplete', 'not_replicated'] },
    },
  },
  getBatch: {
    method: 'GET',
    path: '/v1/batches/:batchId',
    tag: 'closes',
    scope: 'read',
    summary: 'A batch: its counts, and its callback\'s delivery',
    params: { batchId: 'The batch id given or made by POST /v1/close' },
    answers: { 200: { description: 'The batch', body: BATCH_REPORT }, 404: notFound('batch') },
  },
  cancelBatch: {
    method: 'POST',
    path: '/v1/batches/:batchId/cancel',
    tag: 'closes',
    scope: 'close',
    summary: 'Cancel a batch',
    description: 'Its closes that have not started are removed and counted in `cancelled`; running ones finish. The batch takes no new close. Safe to repeat.',
    params: { batchId: 'The batch id' },
    answers: { 200: { description: 'The batch after the cancel', body: BATCH_REPORT }, 404: notFound('batch') },
  },
  listConversations: {
    method: 'POST',
    path: '/v1/list',
    tag: 'listing',
    scope: 'list',
    summary: 'Enqueue a listing of an account\'s conversations',
    description: 'The filter is checked against the account\'s provider; its result comes from GET /v1/jobs/{jobId}.',
    body: LIST_REQUEST,
    answers: { 202: { description: 'Enqueued', body: JOB_ACCEPTED }, 400: invalid, 404: unknownAccount },
  },
  getJob: {
    method: 'GET',
    path: '/v1/jobs/:jobId',
    tag: 'listing',
    scope: 'read',
    summary: 'A job (listing, sweep or close): its state, and its result once completed',
    params: { jobId: 'The job id, `<account>.<id>`' },
    answers: { 200: { description: 'The job', body: JOB_STATUS }, 404: notFound('job') },
  },
  listDeadLetters: {
    method: 'GET',
    path: '/v1/dead-letters',
    tag: 'dead letters',
    scope: 'read',
    summary: 'Dead letters, a page at a time',
    query: {
      schema: DEAD_LETTER_QUERY,
      descriptions: {
        account: 'Only this account\'s (every account the caller sees when absent)',
        limit: 'Dead letters per page: 1 to 1000 (default 50)',
        offset: 'Dead letters to skip (default 0)',
      },
    },
    answers: { 200: { description: 'A page of dead letters', body: DEAD_LETTER_PAGE }, 400: invalid, 404: unknownAccount },
  },
  redriveDeadLetters: {
    method: 'POST',
    path: '/v1/dead-letters/redrive',
    tag: 'dead letters',
    scope: 'close',
    summary: 'Run dead letters again, with fresh attempts',
    description: '`{}` redrives every dead letter the caller sees; `account` one account\'s; `ids` those.',
    body: REDRIVE_REQUEST,
    answers: { 200: { description: 'How many were redriven', body: REDRIVEN }, 400: invalid, 404: unknownAccount },
  },
  deleteDeadLetter: {
    method: 'DELETE',
    path: '/v1/dead-letters/:id',
    tag: 'dead letters',
    scope: 'close',
    summary: 'Delete a dead letter',
    params: { id: 'The dead letter id, `<account>.<id>`' },
    answers: { 204: { description: 'Deleted' }, 404: notFound('dead letter') },
  },
  listAccounts: {
    method: 'GET',
    path: '/v1/accounts',
    tag: 'accounts',
    scope: 'read',
    summary: 'Every account the caller sees, with its queue counts',
    answers: { 200: { description: 'The accounts', body: ACCOUNT_STATUS_LIST } },
  },
  createAccount: {
    method: 'POST',
    path: '/v1/accounts',
    tag: 'accounts',
    scope: 'admin',
    everyAccount: true,
    summary: 'Make a managed account',
    description: 'The fields of an account in the accounts file, checked by the same schema; its credentials are stored encrypted and answered masked.',
    body: ACCOUNT_CREATE_REQUEST,
    answers: {
      201: { description: 'The account', body: ACCOUNT_VIEW },
      400: invalid,
      409: { description: 'The id is taken', errors: ['conflict'] },
      501: { description: 'This process has no CLOSER_SECRET_KEY to seal credentials with', errors: ['secret_key_missing'] },
    },
  },
  getAccount: {
    method: 'GET',
    path: '/v1/accounts/:id',
    tag: 'accounts',
    scope: 'read',
    summary: 'An account: its status, where it comes from, its credentials masked',
    params: { id: 'The account id' },
    answers: { 200: { description: 'The account', body: ACCOUNT_VIEW }, 404: unknownAccount },
  },
  updateAccount: {
    method: 'PATCH',
    path: '/v1/accounts/:id',
    tag: 'accounts',
    scope: 'admin',
    summary: 'Change a managed account',
    description: 'The fields to change (`null` takes one out); the account they make is checked whole, by the schema of its provider. `id` and `provider` cannot change.',
    params: { id: 'The account id' },
    body: ACCOUNT_PATCH_REQUEST,
    answers: {
      200: { description: 'The account', body: ACCOUNT_VIEW },
      400: invalid,
      404: unknownAccount,
      409: { description: 'An environment or accounts-file account, or a newer change won', errors: ['static_account', 'conflict'] },
      501: { description: 'This process has no CLOSER_SECRET_KEY', errors: ['secret_key_missing'] },
    },
  },
  removeAccount: {
    method: 'DELETE',
    path: '/v1/accounts/:id',
    tag: 'accounts',
    scope: 'admin',
    summary: 'Remove a managed account',
    params: { id: 'The account id' },
    query: { schema: ACCOUNT_REMOVAL_QUERY, descriptions: { purge: '`true`: its pending jobs and dead letters go with it' } },
    answers: {
      204: {
        description: 'Removed',
        headers: { 'closer-purged-jobs': 'Pending jobs removed with it', 'closer-purged-dead-letters': 'Dead letters removed with it' },
      },
      400: invalid,
      404: unknownAccount,
      409: { description: 'It has pending jobs or dead letters (and no purge), or it is an environment or accounts-file account', errors: ['has_pending', 'static_account'] },
      501: { description: 'This process has no CLOSER_SECRET_KEY', errors: ['secret_key_missing'] },
    },
  },
  pauseAccount: {
    method: 'POST',
    path: '/v1/accounts/:id/pause',
    tag: 'accounts',
    scope: 'admin',
    summary: 'Pause an account: it keeps its jobs and runs none',
    params: { id: 'The account id' },
    answers: { 200: { description: 'The account', body: ACCOUNT_STATUS }, 404: unknownAccount },
  },
  resumeAccount: {
    method: 'POST',
    path: '/v1/accounts/:id/resume',
    tag: 'accounts',
    scope: 'admin',
    summary: 'Resume a paused account',
    params: { id: 'The account id' },
    answers: { 200: { description: 'The account', body: ACCOUNT_STATUS }, 404: unknownAccount },
  },
  sweepAccount: {
    method: 'POST',
    path: '/v1/accounts/:id/sweep',
    tag: 'accounts',
    scope: 'close',
    summary: 'Run an auto-close sweep of the account now',
    description: 'Its result comes from GET /v1/jobs/{jobId}; a dry run\'s lists the conversations it would close (`wouldClose`).',
    params: { id: 'The account id' },
    query: { schema: SWEEP_QUERY, descriptions: { dryRun: 'true: list what the sweep would close, close nothing (and leave the last sweep as it was)' } },
    answers: {
      202: { description: 'Enqueued', body: JOB_ACCEPTED },
      400: { description: 'The account has no auto-close policy', errors: ['validation'] },
      404: unknownAccount,
    },
  },
  createApiKey: {
    method: 'POST',
    path: '/v1/api-keys',
    tag: 'API keys',
    scope: 'admin',
    everyAccount: true,
    summary: 'Make an API key',
    description: 'The answer holds the key, and its own callback signing secret when the deployment has CLOSER_SECRET_KEY: the only time they are shown.',
    body: API_KEY_REQUEST,
    answers: { 201: { description: 'The key', body: API_KEY_CREATED }, 400: invalid },
  },
  listApiKeys: {
    method: 'GET',
    path: '/v1/api-keys',
    tag: 'API keys',
    scope: 'admin',
    everyAccount: true,
    summary: 'The API keys, without their secrets',
    answers: { 200: { description: 'The keys', body: API_KEY_LIST } },
  },
  revokeApiKey: {
    method: 'DELETE',
    path: '/v1/api-keys/:id',
    tag: 'API keys',
    scope: 'admin',
    everyAccount: true,
    summary: 'Revoke an API key (in every API process within seconds)',
    params: { id: 'The key id' },
    answers: { 204: { description: 'Revoked' }, 404: notFound('API key') },
  },
  liveness: {
    method: 'GET',
    path: '/healthz',
    tag: 'operations',
    summary: 'Liveness: the process answers',
    answers: { 200: { description: 'Alive', body: LIVENESS } },
  },
  readiness: {
    method: 'GET',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: Redis reachable, evicting nothing, taking writes',
    answers: { 200: { description: 'Ready', body: READINESS }, 503: { description: 'Not ready, and why', body: READINESS } },
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics',
    answers: { 200: { description: 'Prometheus text exposition', contentType: 'text/plain' } },
  },
  openApiDocument: {
    method: 'GET',
    path: '/openapi.json',
    tag: 'operations',
    summary: 'This document (browsable at /docs)',
    answers: { 200: { description: 'The OpenAPI 3.1 document', body: OPENAPI_OUTLINE } },
  },
} satisfies Record<string, ApiRoute>;

export type OperationId = keyof typeof API_ROUTES;
