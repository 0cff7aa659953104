import { z } from 'zod';
import { parseDuration } from '../config/duration.js';
import { hasApplicationApi, type AccountInfo, type ProviderName } from '../config/types.js';
import { UnknownAccountError, ValidationError, type ValidationIssue } from '../producer/producer-errors.js';
import { issuesOf } from '../producer/zod-issues.js';

export const DEFAULT_LIST_LIMIT = 1_000;
/** A list result must fit one close request (10,000 refs) and stay small in Redis (see README, "Listing"). */
export const MAX_LIST_LIMIT = 10_000;

export type ListStatus = 'open' | 'pending' | 'closed' | 'all';

/** What a list job runs: the common filters, resolved, plus the provider's own. */
export interface ListQuery {
  status: ListStatus;
  /** Last activity older than this many ms before the job runs. */
  idleForMs?: number;
  /** Last activity (Peach: update) at or after this instant (ISO 8601). */
  updatedSince?: string;
  /** Provider-native filters, already checked against the provider's schema. */
  native: Record<string, unknown>;
}

export interface ListRequest {
  account: AccountInfo;
  query: ListQuery;
  limit: number;
}

const duration = z.string({ error: 'must be a duration such as 24h' }).transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

const instant = z.string({ error: 'must be an ISO 8601 date-time' }).refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 date-time');
const text = z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty');

const common = {
  status: z.enum(['open', 'pending', 'closed', 'all'], { error: 'must be open, pending, closed or all' }).default('open'),
  idleFor: duration.optional(),
  updatedSince: instant.optional(),
};

/** Each provider's native filters (contract: "whatever each provider supports natively"). */
const NATIVE = {
  peach: {
    escalated: z.boolean({ error: 'must be true or false' }).optional(),
    activityType: z.enum(['assignment', 'escalation', 'message', 'status_change'], { error: 'must be assignment, escalation, message or status_change' }).optional(),
    phoneNumber: text.optional(),
    hasCallPermission: z.boolean({ error: 'must be true or false' }).optional(),
  },
  callbell: {
    source: text.optional(),
    tags: z.array(text, { error: 'must be a list of tags' }).optional(),
    teamUuid: text.optional(),
    withLastActivity: z.boolean({ error: 'must be true or false' }).optional(),
  },
  chatwoot: {
    inboxId: z.number({ error: 'must be a number' }).int().positive().optional(),
    assigneeType: z.enum(['me', 'unassigned', 'assigned', 'all'], { error: 'must be me, unassigned, assigned or all' }).optional(),
    teamId: z.number({ error: 'must be a number' }).int().positive().optional(),
    labels: z.array(text, { error: 'must be a list of labels' }).optional(),
    q: text.optional(),
    /** Public API: the conversations of one contact (the only listing an account without a token has). */
    contactIdentifier: text.optional(),
    inboxIdentifier: text.optional(),
  },
} satisfies Record<ProviderName, z.ZodRawShape>;

/** Each provider's filter: the common ones and its own; anything else is refused (`is not a <provider> filter`). */
export const LIST_FILTERS = {
  peach: z.strictObject({ ...common, ...NATIVE.peach }),
  callbell: z.strictObject({ ...common, ...NATIVE.callbell }),
  chatwoot: z.strictObject({ ...common, ...NATIVE.chatwoot }),
} satisfies Record<ProviderName, z.ZodObject>;

/**
 * A filter in a request, before its account is known: any value, checked
 * against LIST_FILTERS[the account's provider]. Documented as anyOf LIST_FILTERS.
 */
export const ANY_PROVIDER_FILTER = z.unknown();

const ACCOUNT_MESSAGE = 'is required: an account id';
const LIMIT_MESSAGE = `must be a whole number from 1 to ${MAX_LIST_LIMIT}`;

/** A list request's fields (`POST /v1/list`, and what the OpenAPI document shows); its filter is checked per provider. */
export const LIST_REQUEST = z.strictObject(
  {
    account: z.string({ error: ACCOUNT_MESSAGE }).min(1, ACCOUNT_MESSAGE),
    filter: ANY_PROVIDER_FILTER.optional(),
    // Not a whole number: that alone is said (abort), not also "too small".
    limit: z.number({ error: LIMIT_MESSAGE }).int({ error: LIMIT_MESSAGE, abort: true }).min(1, LIMIT_MESSAGE).max(MAX_LIST_LIMIT, LIMIT_MESSAGE).default(DEFAULT_LIST_LIMIT),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be a JSON object with "account" and "filter"' : undefined) },
);

/**
 * The one validation of a list request (API, CLI, library). Every problem is
 * reported with its path; a filter the account's provider does not have is an
 * unknown field.
 */
export function parseListRequest(body: unknown, findAccount: (accountId: string) => AccountInfo | undefined): ListRequest {
  const envelope = LIST_REQUEST.safeParse(body);
  const issues: ValidationIssue[] = envelope.success ? [] : issuesOf(envelope.error);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError(issues);
  const { account: accountId, filter = {} } = body as { account?: unknown; filter?: unknown };
  const account = typeof accountId === 'string' ? findAccount(accountId) : undefined;
  if (typeof accountId === 'string' && accountId !== '' && !account) throw new UnknownAccountError(accountId);

  let query: ListQuery | undefined;
  if (account) {
    const parsed = LIST_FILTERS[account.provider].safeParse(filter);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
        for (const key of keys) {
          const path = ['filter', ...issue.path.map(String), ...(key ? [key] : [])].join('.');
          issues.push({ index: null, path, message: key ? `is not a ${account.provider} filter` : issue.message });
        }
      }
    } else {
      const { status, idleFor, updatedSince, ...native } = parsed.data;
      query = { status, ...(idleFor !== undefined ? { idleForMs: idleFor } : {}), ...(updatedSince ? { updatedSince: new Date(updatedSince).toISOString() } : {}), native };
      if (account.provider === 'chatwoot' && !hasApplicationApi(account) && (native as { contactIdentifier?: string }).contactIdentifier === undefined) {
        issues.push({
          index: null,
          path: 'filter.contactIdentifier',
          message: `is required: account "${account.id}" has no application-API token, and the public API lists one contact's conversations only`,
        });
      }
    }
  }
  if (!envelope.success || issues.length > 0 || !account || !query) throw new ValidationError(issues);
  return { account, query, limit: envelope.data.limit };
}
