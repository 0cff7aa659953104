import { z } from 'zod';
import { ValidationError } from '../producer/producer-errors.js';

/** Dead letters one action takes at most (the page selects from at most a few hundred shown). */
export const MOST_IDS = 1_000;

const text = (most: number) => z.string().trim().max(most);
const ids = z.array(z.string().min(1).max(300)).min(1).max(MOST_IDS);
const status = z.union([z.number().int().min(100).max(599), z.null()]);

const ACCOUNTS_QUERY = z.object({ q: text(200).default(''), page: z.coerce.number().int().min(1).max(1_000_000).default(1) });
const DEAD_LETTERS_QUERY = z.object({
  account: text(200).optional(),
  provider: text(50).optional(),
  status: z.union([z.literal(''), z.literal('none'), z.string().regex(/^[1-5]\d\d$/, 'must be an HTTP status or "none"')]).optional(),
});
const IDS_BODY = z.strictObject({ ids });
const GROUP_BODY = z.strictObject({ group: z.strictObject({ account: text(200).optional(), provider: text(50).optional(), reason: z.string().min(1).max(100), status }) });

export type DeadLetterScope = { account?: string | undefined; provider?: string | undefined };
/** `status`: only dead letters of this HTTP status (null: those that got no answer). */
export type DeadLetterFilter = DeadLetterScope & { status?: number | null };
export type GroupRequest = z.infer<typeof GROUP_BODY>['group'];

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({ index: null, path: issue.path.join('.') || '(body)', message: issue.message })));
}

const BATCHES_QUERY = z.object({ account: text(200).optional(), q: text(64).default(''), page: z.coerce.number().int().min(1).max(1_000_000).default(1) });
const SWEEP_QUERY = z.object({ dryRun: z.enum(['true', 'false']).default('false') });

/** `?account=&q=&page=` of the batches list (an empty account is every account). */
export function parseBatchesQuery(query: unknown): { account?: string; q: string; page: number } {
  const { account, q, page } = parse(BATCHES_QUERY, query);
  return { ...(account ? { account } : {}), q, page };
}

/** `?dryRun=true` of a sweep asked from the console. */
export const parseSweepQuery = (query: unknown): { dryRun: boolean } => ({ dryRun: parse(SWEEP_QUERY, query).dryRun === 'true' });

/** `?q=&page=` of the accounts list. */
export const parseAccountsQuery = (query: unknown): { q: string; page: number } => parse(ACCOUNTS_QUERY, query);

/** `?account=&provider=&status=` of the dead letters across accounts (empty means no filter; status `none`: no answer). */
export function parseDeadLetterScope(query: unknown): DeadLetterFilter {
  const { account, provider, status } = parse(DEAD_LETTERS_QUERY, query);
  return { ...(account ? { account } : {}), ...(provider ? { provider } : {}), ...(status ? { status: status === 'none' ? null : Number(status) } : {}) };
}

/** `{"ids": [...]}`: chosen dead letters. */
export const parseIdsBody = (body: unknown): string[] => parse(IDS_BODY, body).ids;

/** `{"ids": [...]}` or `{"group": {reason, status, account?, provider?}}`: what to redrive. */
export function parseRedriveBody(body: unknown): { ids: string[] } | { group: GroupRequest } {
  if (body !== null && typeof body === 'object' && 'group' in body) return parse(GROUP_BODY, body);
  return { ids: parseIdsBody(body) };
}
