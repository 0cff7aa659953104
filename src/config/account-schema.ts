import { z } from 'zod';
import { parseDuration } from './duration.js';
import { parseRate } from './rate.js';
import { PROVIDERS, type ProviderName } from './types.js';

/**
 * Schemas of one account as written in the accounts file. The environment
 * shortcuts build the same raw shape and go through these schemas too, so
 * both sources obey exactly the same rules.
 */

/** Queue names are derived from account ids: BullMQ rejects `:` and Redis keys read better without spaces. */
const requiredString = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

const accountId = requiredString()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 characters of a-z, 0-9, "-" or "_", starting with a letter or digit');

const secret = requiredString().min(1, 'must not be empty');

const baseUrl = requiredString().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password;
  } catch {
    return false;
  }
}, 'must be an http(s) URL without credentials in it');

const rate = z.string().transform((text, ctx) => {
  const parsed = parseRate(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

const duration = z.string().transform((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) {
    ctx.addIssue({ code: 'custom', message: parsed.error });
    return z.NEVER;
  }
  return parsed.value;
});

export const DEFAULT_MAX_PER_RUN = 500;
export const DEFAULT_AUTO_CLOSE_EVERY = '5m';

/** skipWaiting reads Chatwoot's waiting flag; checked on the field, so it is reported beside any other problem of the policy. */
const autoClose = (provider: ProviderName) =>
  z
    .strictObject({
      idleAfter: duration,
      every: duration.prefault(DEFAULT_AUTO_CLOSE_EVERY),
      maxPerRun: z.number().int().min(1).max(10_000).default(DEFAULT_MAX_PER_RUN),
      dryRun: z.boolean().default(false),
      skipWaiting: (provider === 'chatwoot' ? z.boolean() : z.boolean().refine((value) => !value, 'is supported only for chatwoot accounts')).default(false),
    })
    .transform(({ idleAfter, every, ...rest }) => ({ idleAfterMs: idleAfter, everyMs: every, ...rest }));

export const DEFAULTS: Record<ProviderName, { baseUrl?: string; rateLimit: string }> = {
  peach: { baseUrl: 'https://app.trypeach.io', rateLimit: '5/s' },
  callbell: { baseUrl: 'https://api.callbell.eu/v1', rateLimit: '250/s' },
  chatwoot: { rateLimit: '40/s' },
};

const common = (provider: ProviderName) => ({
  id: accountId,
  provider: z.literal(provider),
  baseUrl: DEFAULTS[provider].baseUrl ? baseUrl.default(DEFAULTS[provider].baseUrl) : baseUrl,
  rateLimit: rate.prefault(DEFAULTS[provider].rateLimit),
  autoClose: autoClose(provider).optional(),
});

const peach = z.strictObject({ ...common('peach'), apiKey: secret });

const callbell = z.strictObject({ ...common('callbell'), apiToken: secret });

const chatwoot = z
  .strictObject({
    ...common('chatwoot'),
    apiAccessToken: secret.optional(),
    accountId: z.number().int().positive().optional(),
    inboxIdentifier: z.string().min(1).optional(),
  })
  .superRefine((account, ctx) => {
    if (account.apiAccessToken !== undefined && account.accountId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['accountId'], message: 'is required with the application-API token (apiAccessToken, CHATWOOT_API_ACCESS_TOKEN): that API is per account' });
    }
    if (account.accountId !== undefined && account.apiAccessToken === undefined) {
      ctx.addIssue({ code: 'custom', path: ['apiAccessToken'], message: 'is required with the application-API account id (accountId, CHATWOOT_ACCOUNT_ID)' });
    }
    if (account.autoClose && account.apiAccessToken === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['autoClose'],
        message:
          "auto-close must list the account's conversations, which Chatwoot allows only through the application API: set its token and account id (apiAccessToken and accountId, or CHATWOOT_API_ACCESS_TOKEN and CHATWOOT_ACCOUNT_ID), or turn auto-close off",
      });
    }
  });

/** One schema per provider: what parseAccount checks an account against (and what the OpenAPI document shows). */
export const ACCOUNT_SCHEMAS = { peach, callbell, chatwoot } as const;

/** Every field some provider knows: an account whose provider is unknown is still checked against these. */
const KNOWN_FIELDS = new Set(Object.values(ACCOUNT_SCHEMAS).flatMap((schema) => Object.keys(schema.shape)));

/** What can be checked without knowing the provider. */
const anyProvider = z.object({ id: accountId, baseUrl: baseUrl.optional(), rateLimit: rate.optional(), autoClose: autoClose('chatwoot').optional() });

export type AccountIssue = { path: (string | number)[]; message: string };

/** Checks one raw account; the provider is checked first so its own schema can name the right fields. */
export function parseAccount(raw: unknown): { ok: true; value: unknown } | { ok: false; issues: AccountIssue[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: [], message: 'must be an object' }] };
  }
  const provider = (raw as { provider?: unknown }).provider;
  if (typeof provider !== 'string' || !(PROVIDERS as readonly string[]).includes(provider)) {
    const shown = provider === undefined ? 'is required' : `${JSON.stringify(provider)} is not a known provider`;
    const common = anyProvider.safeParse(raw);
    const unknown = Object.keys(raw).filter((key) => key !== 'provider' && !KNOWN_FIELDS.has(key));
    return {
      ok: false,
      issues: [
        ...(common.success ? [] : issuesOf(common.error)),
        { path: ['provider'], message: `${shown}; expected one of ${PROVIDERS.join(', ')}` },
        ...unknown.map((key) => ({ path: [], message: `Unrecognized key: "${key}"` })),
      ],
    };
  }
  const result = ACCOUNT_SCHEMAS[provider as ProviderName].safeParse(raw);
  if (!result.success) return { ok: false, issues: issuesOf(result.error) };
  const { autoClose: policy, ...account } = result.data;
  return { ok: true, value: policy ? { ...account, autoClose: policy } : account };
}

function issuesOf(error: z.ZodError): AccountIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: issue.message }));
}
