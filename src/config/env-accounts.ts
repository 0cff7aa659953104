import { parseAccount } from './account-schema.js';
import { PROVIDERS, type ProviderName } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;
type Kind = 'string' | 'integer' | 'boolean';

/** Account field (dotted path) → environment variable suffix and how to read it. */
const FIELDS: Record<ProviderName, Record<string, [suffix: string, kind: Kind]>> = {
  peach: { apiKey: ['API_KEY', 'string'], baseUrl: ['BASE_URL', 'string'], rateLimit: ['RATE_LIMIT', 'string'] },
  callbell: { apiToken: ['API_TOKEN', 'string'], baseUrl: ['BASE_URL', 'string'], rateLimit: ['RATE_LIMIT', 'string'] },
  chatwoot: {
    baseUrl: ['BASE_URL', 'string'],
    apiAccessToken: ['API_ACCESS_TOKEN', 'string'],
    accountId: ['ACCOUNT_ID', 'integer'],
    inboxIdentifier: ['INBOX_IDENTIFIER', 'string'],
    rateLimit: ['RATE_LIMIT', 'string'],
    'autoClose.skipWaiting': ['AUTO_CLOSE_SKIP_WAITING', 'boolean'],
  },
};

const AUTO_CLOSE_FIELDS: Record<string, [suffix: string, kind: Kind]> = {
  'autoClose.idleAfter': ['AUTO_CLOSE_IDLE_AFTER', 'string'],
  'autoClose.every': ['AUTO_CLOSE_EVERY', 'string'],
  'autoClose.maxPerRun': ['AUTO_CLOSE_MAX_PER_RUN', 'integer'],
  'autoClose.dryRun': ['AUTO_CLOSE_DRY_RUN', 'boolean'],
};

/** The variable whose presence defines the provider's shortcut account. */
const DEFINING: Record<ProviderName, string> = { peach: 'API_KEY', callbell: 'API_TOKEN', chatwoot: 'BASE_URL' };

const BOOLEANS: Record<string, boolean> = { true: true, yes: true, '1': true, false: false, no: false, '0': false };

/** Every `<PROVIDER>_*` variable the shortcuts read, for the docs and .env.example checks. */
export function accountVariables(): string[] {
  return PROVIDERS.flatMap((provider) => Object.values({ ...FIELDS[provider], ...AUTO_CLOSE_FIELDS }).map(([suffix]) => `${provider.toUpperCase()}_${suffix}`));
}

export interface EnvAccounts {
  accounts: { provider: ProviderName; value: unknown }[];
  problems: string[];
}

/** Empty variables count as unset: a copied `.env.example` leaves many of them blank. */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

/** One account per provider from `<PROVIDER>_*` variables; its id is the provider name. */
export function readEnvAccounts(env: Env): EnvAccounts {
  const accounts: EnvAccounts['accounts'] = [];
  const problems: string[] = [];

  for (const provider of PROVIDERS) {
    const prefix = provider.toUpperCase();
    const fields = { ...FIELDS[provider], ...AUTO_CLOSE_FIELDS };
    const varOf = (field: string) => `${prefix}_${fields[field]![0]}`;
    const definingVar = `${prefix}_${DEFINING[provider]}`;
    const setVars = Object.keys(fields).map(varOf).filter((name) => read(env, name) !== undefined);

    if (read(env, definingVar) === undefined) {
      if (setVars.length > 0) {
        problems.push(`${setVars.join(', ')} ${setVars.length === 1 ? 'is' : 'are'} set, but ${definingVar} is not: set it to define the "${provider}" account, or unset the others`);
      }
      continue;
    }

    const raw: Record<string, unknown> = { id: provider, provider };
    const autoClose: Record<string, unknown> = {};
    let coercionFailed = false;
    for (const [field, [suffix, kind]] of Object.entries(fields)) {
      const name = `${prefix}_${suffix}`;
      const text = read(env, name);
      if (text === undefined) continue;
      let value: unknown = text;
      if (kind === 'integer') {
        value = /^\d+$/.test(text) ? Number(text) : undefined;
        if (value === undefined) problems.push(`${name}: must be a whole number`);
      } else if (kind === 'boolean') {
        value = BOOLEANS[text.toLowerCase()];
        if (value === undefined) problems.push(`${name}: must be true or false`);
      }
      if (value === undefined) {
        coercionFailed = true;
        continue;
      }
      if (field.startsWith('autoClose.')) autoClose[field.slice('autoClose.'.length)] = value;
      else raw[field] = value;
    }
    if (Object.keys(autoClose).length > 0) {
      if (autoClose.idleAfter === undefined) {
        problems.push(`${Object.keys(autoClose).map((key) => varOf(`autoClose.${key}`)).join(', ')} set without ${varOf('autoClose.idleAfter')}, which turns auto-close on`);
        continue;
      }
      raw.autoClose = autoClose;
    }
    if (coercionFailed) continue;

    const result = parseAccount(raw);
    if (result.ok) {
      accounts.push({ provider, value: result.value });
      continue;
    }
    for (const issue of result.issues) {
      const field = issue.path.join('.');
      const name = fields[field] ? varOf(field) : field === 'autoClose' ? varOf('autoClose.idleAfter') : definingVar;
      problems.push(`${name}: ${issue.message}`);
    }
  }
  return { accounts, problems };
}
