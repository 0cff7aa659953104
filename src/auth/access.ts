/**
 * Who a request acts as: the admin token (everything), or an API key, which
 * acts on its accounts only and within its scopes. Everything of an account
 * a key does not cover looks to it as if it did not exist (404), so a key
 * cannot learn which accounts exist.
 */
export const SCOPES = ['close', 'list', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface Access {
  /** The API key's id; absent for the admin token. */
  readonly keyId?: string;
  /** The accounts it covers: every one, or those. */
  readonly accounts: '*' | readonly string[];
  readonly scopes: ReadonlySet<Scope>;
  sees(accountId: string): boolean;
  has(scope: Scope): boolean;
}

export function createAccess(accounts: '*' | readonly string[], scopes: readonly Scope[], keyId?: string): Access {
  const covered = accounts === '*' ? undefined : new Set(accounts);
  const granted = new Set(scopes);
  return {
    ...(keyId !== undefined ? { keyId } : {}),
    accounts,
    scopes: granted,
    sees: (accountId) => !covered || covered.has(accountId),
    has: (scope) => granted.has(scope),
  };
}

/** The admin token, the CLI and the library: every account, every scope. */
export const FULL_ACCESS: Access = createAccess('*', SCOPES);

/** Managing accounts and API keys: an admin key over every account (a narrower key could make itself a wider one). */
export const managesEverything = (access: Access): boolean => access.accounts === '*' && access.has('admin');
