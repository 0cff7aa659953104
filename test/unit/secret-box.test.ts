import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createSecretBox, decodeSecretKey, secretKeyId } from '../../src/secrets/secret-box.js';
import { SecretKeyError } from '../../src/secrets/secret-errors.js';

const key = () => randomBytes(32);
const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof SecretKeyError) return { problem: error.problem, message: error.message };
    throw error;
  }
  throw new Error('it opened');
};

describe('the secret box (AES-256-GCM)', () => {
  it('opens what it sealed, for the same owner only, and never seals the same way twice', () => {
    const box = createSecretBox(key());
    const sealed = box.seal('{"apiKey":"s3cret"}', 'acme');
    expect(sealed).toMatch(new RegExp(`^v1\\.${box.keyId}\\.`));
    expect(sealed).not.toContain('s3cret');
    expect(box.open(sealed, 'acme')).toBe('{"apiKey":"s3cret"}');
    expect(box.seal('{"apiKey":"s3cret"}', 'acme')).not.toBe(sealed);
    expect(problemOf(() => box.open(sealed, 'other')).problem).toBe('tampered');
  });

  it('refuses a changed value', () => {
    const box = createSecretBox(key());
    const sealed = box.seal('value', 'acme');
    const bytes = Buffer.from(sealed.split('.')[2]!, 'base64');
    bytes[14] = bytes[14]! ^ 1;
    expect(problemOf(() => box.open(`v1.${box.keyId}.${bytes.toString('base64')}`, 'acme')).problem).toBe('tampered');
    expect(problemOf(() => box.open('v9.x.y', 'acme')).problem).toBe('unreadable');
  });

  it('names the key a value needs when it is neither the current nor the previous one', () => {
    const [oldKey, newKey, otherKey] = [key(), key(), key()];
    const sealedOld = createSecretBox(oldKey).seal('v', 'a');
    const rotating = createSecretBox(newKey, oldKey);
    expect(rotating.keyIds).toEqual([secretKeyId(newKey), secretKeyId(oldKey)]);
    expect(rotating.open(sealedOld, 'a')).toBe('v');
    expect(rotating.keyIdOf(rotating.seal('v', 'a'))).toBe(secretKeyId(newKey));
    const wrong = problemOf(() => createSecretBox(otherKey).open(sealedOld, 'a'));
    expect(wrong.problem).toBe('wrong_key');
    expect(wrong.message).toContain(`key id ${secretKeyId(oldKey)}`);
  });

  it('reads a key of 32 bytes in base64 (standard or URL alphabet) and nothing else', () => {
    const bytes = key();
    expect(decodeSecretKey(bytes.toString('base64'))).toEqual(bytes);
    expect(decodeSecretKey(bytes.toString('base64url'))).toEqual(bytes);
    expect(decodeSecretKey(randomBytes(16).toString('base64'))).toBeUndefined();
    expect(decodeSecretKey('not base64!')).toBeUndefined();
  });
});
