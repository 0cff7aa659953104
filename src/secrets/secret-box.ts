import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SecretKeyError } from './secret-errors.js';

/**
 * Authenticated encryption of the managed accounts' credentials with
 * CLOSER_SECRET_KEY: AES-256-GCM from node:crypto, a fresh 96-bit nonce per
 * value, and the value's owner (an account id) bound in as associated data,
 * so a stored value copied onto another account does not decrypt.
 *
 * A sealed value reads `v1.<key id>.<base64 of nonce, ciphertext and tag>`.
 * The key id is a hash of the key (a 256-bit random key cannot be found from
 * it), so a process given the wrong key says so instead of reporting a
 * failed decryption, and `closer keys rotate` knows what is left to redo.
 */
export interface SecretBox {
  /** Id of the key values are sealed with. */
  readonly keyId: string;
  /** Ids of every key it opens with: the current one, and the previous one during a rotation. */
  readonly keyIds: readonly string[];
  seal(plain: string, owner: string): string;
  /** Throws SecretKeyError naming the key when it cannot. */
  open(sealed: string, owner: string): string;
  /** The key id a sealed value was sealed with (no key needed). */
  keyIdOf(sealed: string): string | undefined;
}

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

/** A key's id: 12 hex characters of SHA-256 over a label and the key. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('closer secret key id\0').update(key).digest('hex').slice(0, 12);
}

/** 32 bytes of base64 (standard or URL alphabet), or undefined. */
export function decodeSecretKey(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === SECRET_KEY_BYTES ? key : undefined;
}

export function createSecretBox(current: Buffer, previous?: Buffer): SecretBox {
  const keys = new Map<string, Buffer>([[secretKeyId(current), current]]);
  if (previous) keys.set(secretKeyId(previous), previous);
  const keyId = secretKeyId(current);
  const aad = (owner: string) => Buffer.from(`closer:${owner}`, 'utf8');

  return {
    keyId,
    keyIds: [...keys.keys()],
    seal(plain, owner) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(owner));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return `${VERSION}.${keyId}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64')}`;
    },
    open(sealed, owner) {
      const [version, id, payload] = sealed.split('.');
      if (version !== VERSION || !id || !payload) throw new SecretKeyError('unreadable', `the stored credentials of "${owner}" are not in a format this version reads`);
      const key = keys.get(id);
      if (!key) throw new SecretKeyError('wrong_key', wrongKeyMessage(id, [...keys.keys()]));
      const bytes = Buffer.from(payload, 'base64');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(owner));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretKeyError('tampered', `the stored credentials of "${owner}" fail authentication: they were changed in Redis, or belong to another account`);
      }
    },
    keyIdOf: (sealed) => sealed.split('.')[1],
  };
}

/** Why a value sealed under `found` cannot be opened with keys `known`: the wording start-up and `keys rotate` use. */
export function wrongKeyMessage(found: string, known: readonly string[]): string {
  return (
    `CLOSER_SECRET_KEY is not the key the managed accounts were encrypted with: they use key id ${found}, ` +
    `and this process has ${known.map((id) => `key id ${id}`).join(' and ')}. ` +
    'Set CLOSER_SECRET_KEY to the key they were encrypted with (or, during a rotation, that key as CLOSER_SECRET_KEY_PREVIOUS)'
  );
}
