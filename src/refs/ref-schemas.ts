import { z } from 'zod';
import { hasApplicationApi, type AccountInfo } from '../config/types.js';

/**
 * The close refs of contract section 2, one strict schema per provider:
 * an unknown field is an error, because a typo (`conversation_id`) must not
 * silently become a different kind of close.
 */
const positiveId = z.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive').max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

export const peachByConversation = z.strictObject({ conversationId: positiveId });
export const peachByContact = z.strictObject({
  contact: z.strictObject({
    name: text(200),
    phone_number: z.string({ error: 'must be a string' }).regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +13309106533'),
  }),
});
/** Picks the kind of Peach ref by its key, so a wrong value is reported at its field rather than as "matches neither". */
const peachRef = z.unknown().transform((raw, ctx) => {
  const hasKey = (key: string) => typeof raw === 'object' && raw !== null && key in raw;
  const schema = hasKey('conversationId') ? peachByConversation : hasKey('contact') ? peachByContact : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', message: 'must be {"conversationId": <number>} or {"contact": {"name": "...", "phone_number": "+..."}}' });
    return z.NEVER;
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

export const callbellRef = z.strictObject({
  contactUuid: z.string({ error: 'must be a string' }).regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a Callbell contact uuid (letters, digits and "-")'),
});

export const chatwootRef = z.strictObject({
  conversationId: positiveId,
  contactIdentifier: text(255).optional(),
  inboxIdentifier: text(255).optional(),
});

export const REF_SCHEMAS = { peach: peachRef, callbell: callbellRef, chatwoot: chatwootRef } as const;

/** Every shape a ref can take, whatever the provider: what the OpenAPI document shows a ref as (anyOf). */
export const REF_SHAPES = [peachByConversation, peachByContact, callbellRef, chatwootRef] as const;

/**
 * A ref in a request, before its account is known: any value, checked by
 * checkRef against the account's provider, one by one, so each problem is
 * reported with its ref's index. Documented as anyOf REF_SHAPES.
 */
export const ANY_PROVIDER_REF = z.unknown();

export interface RefIssue {
  /** Path inside the ref, e.g. `contact.phone_number`; empty for the ref itself. */
  path: string;
  message: string;
}

/** Checks one ref for one account, including what the account can do (Chatwoot API reachability). */
export function checkRef(account: AccountInfo, raw: unknown): { ok: true; ref: unknown } | { ok: false; issues: RefIssue[] } {
  const result = REF_SCHEMAS[account.provider].safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    };
  }
  if (account.provider === 'chatwoot') {
    const ref = result.data as z.infer<typeof chatwootRef>;
    if (ref.contactIdentifier === undefined && !hasApplicationApi(account)) {
      return {
        ok: false,
        issues: [{ path: 'contactIdentifier', message: `is required: account "${account.id}" has no application-API token, so closes go through the public API` }],
      };
    }
    if (ref.contactIdentifier !== undefined && ref.inboxIdentifier === undefined && account.inboxIdentifier === undefined) {
      return { ok: false, issues: [{ path: 'inboxIdentifier', message: `is required: account "${account.id}" has no default inbox identifier` }] };
    }
  }
  return { ok: true, ref: result.data };
}
