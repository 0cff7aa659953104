import { z } from 'zod';
import { ACCOUNT_SCHEMAS } from '../config/account-schema.js';

/**
 * The bodies of the managed-accounts routes, as the OpenAPI document shows
 * them. Both are made of ACCOUNT_SCHEMAS, the schemas that check every
 * account (accounts file, environment, API), so they cannot drift from it.
 */

/** `POST /v1/accounts`: an account of one of the providers (parseAccount picks the schema by `provider`). */
export const ACCOUNT_CREATE_REQUEST = z.union([ACCOUNT_SCHEMAS.peach, ACCOUNT_SCHEMAS.callbell, ACCOUNT_SCHEMAS.chatwoot]);

/** What an account is (id, provider) cannot change; anything else can, and `null` takes a field out. */
const FIXED = new Set(['id', 'provider']);

/** A field as a patch takes it: a field left out keeps its stored value, so no default shows. */
const patchField = (field: z.ZodType) => (field instanceof z.ZodDefault || field instanceof z.ZodPrefault ? (field.unwrap() as z.ZodType) : field).nullable().optional();

function patchOf(schema: z.ZodObject): z.ZodObject {
  const fields = Object.entries(schema.shape).filter(([name]) => !FIXED.has(name));
  return z.strictObject(Object.fromEntries(fields.map(([name, field]) => [name, patchField(field as z.ZodType)])));
}

/**
 * `PATCH /v1/accounts/:id`: the fields to change of an account of one of the
 * providers. The API merges them into the stored account and checks the
 * whole with its provider's schema (account-admin.ts); this is that schema's
 * fields, each optional and nullable.
 */
export const ACCOUNT_PATCHES = { peach: patchOf(ACCOUNT_SCHEMAS.peach), callbell: patchOf(ACCOUNT_SCHEMAS.callbell), chatwoot: patchOf(ACCOUNT_SCHEMAS.chatwoot) };

export const ACCOUNT_PATCH_REQUEST = z.union([ACCOUNT_PATCHES.peach, ACCOUNT_PATCHES.callbell, ACCOUNT_PATCHES.chatwoot]);
