import { describe, expect, it } from '@jest/globals';
import type { AccountConfig } from '../../src/config/types.js';
import { parseCloseRequest } from '../../src/producer/close-request.js';
import { UnknownAccountError, ValidationError } from '../../src/producer/producer-errors.js';
import { refKey } from '../../src/refs/ref-key.js';
import { checkRef } from '../../src/refs/ref-schemas.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';

const peach = peachAccount('https://p.test', 'k');
const callbell = callbellAccount('https://c.test/v1', 't');
const chatwootApp = chatwootAccount('https://cw.test', { apiAccessToken: 't', accountId: 1 });
const chatwootPublic = chatwootAccount('https://cw.test', { inboxIdentifier: 'inbox' }, 'public');
const chatwootBare = chatwootAccount('https://cw.test', {}, 'bare');

describe('checkRef', () => {
  it.each<[AccountConfig, unknown]>([
    [peach, { conversationId: 123 }],
    [peach, { contact: { name: 'Alfred Hitchcock', phone_number: '+13309106533' } }],
    [callbell, { contactUuid: '414a6d692bd645ed803f2e7ce360d4c8' }],
    [chatwootApp, { conversationId: 42 }],
    [chatwootApp, { conversationId: 42, contactIdentifier: 'abc', inboxIdentifier: 'xyz' }],
    [chatwootPublic, { conversationId: 42, contactIdentifier: 'abc' }],
    [chatwootBare, { conversationId: 42, contactIdentifier: 'abc', inboxIdentifier: 'xyz' }],
  ])('accepts the contract refs (%#)', (account, ref) => {
    expect(checkRef(account, ref)).toEqual({ ok: true, ref });
  });

  it.each<[AccountConfig, unknown, string]>([
    [peach, { conversationId: 1.5 }, 'conversationId'],
    [peach, { id: 1 }, ''],
    [peach, { contact: { name: '', phone_number: '+13309106533' } }, 'contact.name'],
    [peach, { contact: { name: 'A', phone_number: '13309106533' } }, 'contact.phone_number'],
    [peach, { conversationId: 1, extra: true }, ''],
    [callbell, { contactUuid: 'has spaces' }, 'contactUuid'],
    [callbell, { conversationId: 1 }, ''],
    [chatwootApp, { conversationId: 0 }, 'conversationId'],
    [chatwootApp, { conversationId: '42' }, 'conversationId'],
    [chatwootPublic, { conversationId: 42 }, 'contactIdentifier'],
    [chatwootBare, { conversationId: 42, contactIdentifier: 'abc' }, 'inboxIdentifier'],
  ])('rejects a bad ref (%#) naming the path', (account, ref, path) => {
    const result = checkRef(account, ref);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain(path);
  });

  it('trims text fields', () => {
    expect(checkRef(chatwootPublic, { conversationId: 1, contactIdentifier: ' abc ' })).toEqual({ ok: true, ref: { conversationId: 1, contactIdentifier: 'abc' } });
  });
});

describe('refKey', () => {
  it('is the same for the same ref whatever the key order, and differs otherwise', () => {
    expect(refKey({ contact: { name: 'A', phone_number: '+1555' } })).toBe(refKey({ contact: { phone_number: '+1555', name: 'A' } }));
    expect(refKey({ conversationId: 1 })).not.toBe(refKey({ conversationId: 2 }));
    expect(refKey({ conversationId: 1 })).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });
});

describe('parseCloseRequest', () => {
  const accounts = [peach, callbell];
  const find = (id: string) => accounts.find((account) => account.id === id);

  it('returns the account and the checked refs', () => {
    expect(parseCloseRequest({ account: 'callbell', conversations: [{ contactUuid: 'a1' }], batchId: 'b-1' }, find)).toEqual({
      account: callbell,
      refs: [{ contactUuid: 'a1' }],
      batchId: 'b-1',
      priority: 'normal',
    });
    expect(parseCloseRequest({ account: 'callbell', conversations: [{ contactUuid: 'a1' }], priority: 'high' }, find).priority).toBe('high');
  });

  it('reports every problem at once', () => {
    try {
      parseCloseRequest({ account: 'peach', conversations: [{ conversationId: 'x' }, { conversationId: 2 }, {}], batchId: '', color: 'red' }, find);
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((issue) => [issue.index, issue.path])).toEqual([
        [null, 'color'],
        [null, 'batchId'],
        [0, 'conversations[0].conversationId'],
        [2, 'conversations[2]'],
      ]);
    }
  });

  it('names an unknown account', () => {
    expect(() => parseCloseRequest({ account: 'nope', conversations: [] }, find)).toThrow(UnknownAccountError);
  });
});
