import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AccountRegistry } from '../accounts/account-registry.js';
import { formatPath } from '../config/format-path.js';
import type { AccountInfo } from '../config/types.js';
import { NotFoundError, ValidationError } from '../producer/producer-errors.js';
import type { RegistryFeed } from '../registry/registry-feed.js';
import type { RegistryStore } from '../registry/registry-store.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { createAccess, SCOPES, type Access, type Scope } from './access.js';

/** An API key as stored: never the key itself, only its SHA-256 (a 256-bit random secret needs no slow hash). */
interface ApiKeyRecord {
  id: string;
  name: string;
  accounts: '*' | string[];
  scopes: Scope[];
  sha256: string;
  /** The key's own secret for signing the callbacks of batches it enqueues, sealed (workers need it back, so no hash). */
  sealedCallbackSecret?: string;
  createdAt: string;
}

/** An API key as answers show it. */
export type ApiKeyView = Omit<ApiKeyRecord, 'sha256' | 'sealedCallbackSecret'>;

export interface ApiKeys {
  /** Makes a key; the answer holds it (`key`) and its callback signing secret, the only time they are shown. */
  create(request: unknown): Promise<ApiKeyView & { key: string; callbackSecret?: string }>;
  list(): ApiKeyView[];
  /** Revokes a key in every process (within a poll of the registry). */
  revoke(id: string): Promise<void>;
  /** The access a bearer token grants, or undefined when it is no key (or a revoked one). */
  authenticate(token: string): Promise<Access | undefined>;
}

/** `ck_<id>_<secret>`: the id finds the record, the whole key is what is hashed. */
const KEY_FORMAT = /^ck_([a-f0-9]{16})_[A-Za-z0-9_-]{43}$/;

const accountIdList = z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be an account id')).min(1, 'must name at least one account').max(10_000);
/** `POST /v1/api-keys`: what a new key may do (and what the OpenAPI document shows). */
export const API_KEY_REQUEST = z.strictObject({
  name: z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  accounts: z.union([z.literal('*'), accountIdList], { error: 'is required: a list of account ids, or "*" for every account' }),
  scopes: z.array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }), { error: `is required: a list of scopes (${SCOPES.join(', ')})` }).min(1, 'must hold at least one scope'),
});

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** Sealed under the key's id, so a sealed secret copied onto another key does not open. */
const sealOwner = (keyId: string) => `api-key:${keyId}`;

/**
 * The callback signing secret of an API key (whsec_...), for the workers
 * that sign its batches' callbacks; undefined when the key is gone or has
 * none (made without CLOSER_SECRET_KEY).
 */
export function apiKeyCallbackSecret(feed: RegistryFeed, box: SecretBox | undefined, keyId: string): string | undefined {
  const text = feed.records('api-key').get(keyId);
  const sealed = text === undefined ? undefined : (JSON.parse(text) as ApiKeyRecord).sealedCallbackSecret;
  return sealed && box ? box.open(sealed, sealOwner(keyId)) : undefined;
}

/** A stored key's record with its callback secret sealed again under the box's current key; undefined when there is nothing to redo. */
export function resealApiKey(text: string, box: SecretBox): string | undefined {
  const record = JSON.parse(text) as ApiKeyRecord;
  const sealed = record.sealedCallbackSecret;
  if (!sealed || box.keyIdOf(sealed) === box.keyId) return undefined;
  return JSON.stringify({ ...record, sealedCallbackSecret: box.seal(box.open(sealed, sealOwner(record.id)), sealOwner(record.id)) });
}

export function createApiKeys(store: RegistryStore, feed: RegistryFeed, accounts: AccountRegistry<AccountInfo>, box?: SecretBox): ApiKeys {
  const parsed = new Map<string, { text: string; record: ApiKeyRecord }>();
  const recordOf = (id: string): ApiKeyRecord | undefined => {
    const text = feed.records('api-key').get(id);
    if (text === undefined) return undefined;
    let entry = parsed.get(id);
    if (!entry || entry.text !== text) {
      entry = { text, record: JSON.parse(text) as ApiKeyRecord };
      parsed.set(id, entry);
    }
    return entry.record;
  };
  const view = ({ sha256: _hash, sealedCallbackSecret: _secret, ...rest }: ApiKeyRecord): ApiKeyView => rest;

  return {
    async create(request) {
      const result = API_KEY_REQUEST.safeParse(request);
      if (!result.success) throw new ValidationError(result.error.issues.map((issue) => ({ index: null, path: formatPath(issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))), message: issue.message })));
      const { name, accounts: covered, scopes } = result.data;
      if (covered !== '*') {
        const unknown: { index: number; id: string }[] = [];
        for (const [index, id] of covered.entries()) if (!(await accounts.lookup(id))) unknown.push({ index, id });
        if (unknown.length > 0) throw new ValidationError(unknown.map(({ index, id }) => ({ index: null, path: `accounts[${index}]`, message: `no account "${id}" exists` })));
      }
      const id = randomBytes(8).toString('hex');
      const key = `ck_${id}_${randomBytes(32).toString('base64url')}`;
      // Its own callback secret needs CLOSER_SECRET_KEY to be kept: without it, its batches' callbacks use CLOSER_CALLBACK_SECRET.
      const callbackSecret = box ? `whsec_${randomBytes(32).toString('base64')}` : undefined;
      const record: ApiKeyRecord = {
        id,
        name,
        accounts: covered === '*' ? '*' : [...new Set(covered)],
        scopes: [...new Set(scopes)],
        sha256: sha256(key).toString('hex'),
        ...(callbackSecret && box ? { sealedCallbackSecret: box.seal(callbackSecret, sealOwner(id)) } : {}),
        createdAt: new Date().toISOString(),
      };
      await store.put('api-key', id, JSON.stringify(record), 'create');
      await feed.sync();
      return { ...view(record), key, ...(callbackSecret ? { callbackSecret } : {}) };
    },
    list: () => [...feed.records('api-key').keys()].flatMap((id) => recordOf(id) ?? []).map(view).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    async revoke(id) {
      if (!(await store.remove('api-key', id))) throw new NotFoundError(`API key "${id}"`);
      await feed.sync();
    },
    async authenticate(token) {
      const match = KEY_FORMAT.exec(token);
      if (!match) return undefined;
      const id = match[1]!;
      // Made a moment ago through another API process: look before refusing.
      if (!recordOf(id)) await feed.sync().catch(() => undefined);
      const record = recordOf(id);
      if (!record || !timingSafeEqual(sha256(token), Buffer.from(record.sha256, 'hex'))) return undefined;
      return createAccess(record.accounts, record.scopes, record.id);
    },
  };
}
