import { parseAccount, type AccountIssue } from '../config/account-schema.js';
import { accountInfo, type AccountConfig, type AccountInfo, type ProviderName } from '../config/types.js';
import type { SecretBox } from '../secrets/secret-box.js';

/**
 * A managed account as stored in the registry: the fields as they were given
 * (so a change is validated against the whole account again, by the same
 * schema as the accounts file), with the credentials sealed by the secret
 * box. Which credentials it has is kept in clear: that a Chatwoot account
 * has an application-API token says nothing of the token.
 */
export interface ManagedRecord {
  id: string;
  provider: ProviderName;
  /** Every given field except id, provider and the credentials, as given. */
  fields: Record<string, unknown>;
  /** Names of the credential fields sealed in `sealed`. */
  credentialNames: string[];
  /** The credentials, `{field: value}` as JSON, sealed (secret-box.ts). */
  sealed: string;
  createdAt: string;
  updatedAt: string;
}

/** The fields of each provider that are secrets: sealed at rest, masked in answers, never logged. */
export const CREDENTIAL_FIELDS: Record<ProviderName, readonly string[]> = {
  peach: ['apiKey'],
  callbell: ['apiToken'],
  chatwoot: ['apiAccessToken'],
};

const credentialNamesOf = (provider: string): readonly string[] => CREDENTIAL_FIELDS[provider as ProviderName] ?? [];

/**
 * A secret as answers show it: its last 4 characters, only when that is
 * at most a third of it (so a short secret is not half given away).
 */
export function maskSecret(secret: string): string {
  return secret.length >= 12 ? `****${secret.slice(-4)}` : '****';
}

/** The raw account a record stands for, its credentials as `credentials` gives them. */
export function rawAccount(record: ManagedRecord, credentials: Record<string, string>): Record<string, unknown> {
  return { id: record.id, provider: record.provider, ...record.fields, ...credentials };
}

/** Checks a raw account exactly as the accounts file is checked; on success, the record to store. */
export function toRecord(raw: unknown, box: SecretBox, times: { createdAt: string; updatedAt: string }): { ok: true; record: ManagedRecord } | { ok: false; issues: AccountIssue[] } {
  const parsed = parseAccount(raw);
  if (!parsed.ok) return parsed;
  const { id, provider, ...rest } = raw as Record<string, unknown>;
  const names = credentialNamesOf(provider as string);
  const credentials: Record<string, string> = {};
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (names.includes(key)) credentials[key] = value as string;
    else fields[key] = value;
  }
  return {
    ok: true,
    record: {
      id: id as string,
      provider: provider as ProviderName,
      fields,
      credentialNames: Object.keys(credentials),
      sealed: box.seal(JSON.stringify(credentials), id as string),
      ...times,
    },
  };
}

/** Opens a record's credentials (throws SecretKeyError when the box cannot). */
export function openCredentials(record: ManagedRecord, box: SecretBox): Record<string, string> {
  return JSON.parse(box.open(record.sealed, record.id)) as Record<string, string>;
}

/** The account with its credentials, for the workers; undefined when the stored fields no longer pass the schema. */
export function toAccountConfig(record: ManagedRecord, box: SecretBox): AccountConfig | undefined {
  const parsed = parseAccount(rawAccount(record, openCredentials(record, box)));
  return parsed.ok ? (parsed.value as AccountConfig) : undefined;
}

/** The account without credentials (what the API and the scheduler need): no key required. */
export function toAccountInfo(record: ManagedRecord): AccountInfo | undefined {
  // Stand-ins for the sealed values: the schema wants them present, and accountInfo() drops them.
  const standIns = Object.fromEntries(record.credentialNames.map((name) => [name, 'sealed']));
  const parsed = parseAccount(rawAccount(record, standIns));
  return parsed.ok ? accountInfo(parsed.value as AccountConfig) : undefined;
}

/** The credentials of any account (managed or configured), masked, by field name. */
export function maskedCredentials(account: Record<string, unknown>, provider: string): Record<string, string> {
  return Object.fromEntries(
    credentialNamesOf(provider)
      .filter((name) => typeof account[name] === 'string')
      .map((name) => [name, maskSecret(account[name] as string)]),
  );
}
