import { z } from 'zod';
import { validated } from '../producer/zod-issues.js';

/**
 * The requests only the HTTP API takes raw: the producer library and the CLI
 * take these already parsed. Each schema validates its request and is what
 * the OpenAPI document shows.
 */

const IDS_MESSAGE = 'must be a list of at most 10000 dead-letter ids';

/** `POST /v1/dead-letters/redrive`. Redriving everything must be asked for ({}), never the outcome of a missing or null body. */
export const REDRIVE_REQUEST = z.strictObject(
  {
    account: z.string({ error: 'must be an account id' }).min(1, 'must be an account id').optional(),
    ids: z.array(z.string({ error: 'must be a string' }), { error: IDS_MESSAGE }).max(10_000, IDS_MESSAGE).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'invalid_type' ? 'must be a JSON object: {} redrives every dead letter, {"account": "..."} one account\'s, {"ids": [...]} those' : undefined,
  },
);

export const parseRedriveRequest = (body: unknown) => validated(REDRIVE_REQUEST, body, { indexed: 'ids' });

/** A query parameter that is a whole number; its range is the producer's to check (the library takes numbers). */
const wholeNumber = z.string({ error: 'must be a whole number' }).regex(/^\d+$/, 'must be a whole number').transform(Number);

/** `GET /v1/dead-letters`. An empty `account` is no account (every one the caller sees). */
export const DEAD_LETTER_QUERY = z.object({
  account: z
    .string({ error: 'must be an account id' })
    .optional()
    .transform((account) => (account === '' ? undefined : account)),
  limit: wholeNumber.optional(),
  offset: wholeNumber.optional(),
});

export const parseDeadLetterQuery = (query: unknown) => validated(DEAD_LETTER_QUERY, query);

/** `DELETE /v1/accounts/:id`: `?purge=true` lets the account's pending jobs and dead letters go with it. */
export const ACCOUNT_REMOVAL_QUERY = z.object({
  purge: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((purge) => purge === 'true'),
});

export const parseAccountRemovalQuery = (query: unknown) => validated(ACCOUNT_REMOVAL_QUERY, query);

/** `POST /v1/accounts/:id/sweep`: `?dryRun=true` lists what the sweep would close and closes nothing. */
export const SWEEP_QUERY = z.object({
  dryRun: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .optional()
    .transform((dryRun) => dryRun === 'true'),
});

export const parseSweepQuery = (query: unknown) => validated(SWEEP_QUERY, query);
