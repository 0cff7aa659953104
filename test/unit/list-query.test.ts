import { describe, expect, it } from '@jest/globals';
import { parseListRequest } from '../../src/listing/list-query.js';
import { UnknownAccountError, ValidationError } from '../../src/producer/producer-errors.js';
import { callbellAccount, chatwootAccount, peachAccount } from '../helpers/accounts.js';

const accounts = [
  peachAccount('https://p.test', 'k'),
  callbellAccount('https://c.test/v1', 't'),
  chatwootAccount('https://cw.test', { apiAccessToken: 't', accountId: 1 }),
  chatwootAccount('https://cw.test', { inboxIdentifier: 'inbox' }, 'public'),
];
const find = (id: string) => accounts.find((account) => account.id === id);

const paths = (body: unknown): string[] => {
  try {
    parseListRequest(body, find);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map((issue) => issue.path);
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('parseListRequest', () => {
  it('resolves the common filters and keeps the native ones', () => {
    expect(parseListRequest({ account: 'peach', filter: { status: 'all', idleFor: '24h', updatedSince: '2026-11-01T00:00:00Z', escalated: true } }, find)).toMatchObject({
      account: { id: 'peach' },
      limit: 1_000,
      query: { status: 'all', idleForMs: 86_400_000, updatedSince: '2026-11-01T00:00:00.000Z', native: { escalated: true } },
    });
  });

  it('lists open conversations by default, up to 1000', () => {
    expect(parseListRequest({ account: 'callbell' }, find)).toMatchObject({ limit: 1_000, query: { status: 'open', native: {} } });
  });

  it('accepts each provider\'s own filters', () => {
    expect(parseListRequest({ account: 'callbell', filter: { tags: ['vip'], source: 'whatsapp', teamUuid: 't1', withLastActivity: true } }, find).query.native).toEqual({
      tags: ['vip'],
      source: 'whatsapp',
      teamUuid: 't1',
      withLastActivity: true,
    });
    expect(parseListRequest({ account: 'chatwoot', filter: { inboxId: 3, assigneeType: 'unassigned', teamId: 2, labels: ['a'], q: 'refund' } }, find).query.native).toEqual({
      inboxId: 3,
      assigneeType: 'unassigned',
      teamId: 2,
      labels: ['a'],
      q: 'refund',
    });
  });

  it.each([
    [{ account: 'peach', filter: { status: 'resolved' } }, ['filter.status']],
    [{ account: 'peach', filter: { idleFor: 'a day' } }, ['filter.idleFor']],
    [{ account: 'peach', filter: { updatedSince: 'yesterday' } }, ['filter.updatedSince']],
    [{ account: 'peach', filter: { inboxId: 3 } }, ['filter.inboxId']],
    [{ account: 'callbell', filter: { escalated: true, tags: 'vip' } }, ['filter.tags', 'filter.escalated']],
    [{ account: 'chatwoot', filter: { assigneeType: 'nobody', inboxId: 'three' } }, ['filter.inboxId', 'filter.assigneeType']],
    [{ account: 'peach', limit: 0 }, ['limit']],
    [{ account: 'peach', limit: 10_001 }, ['limit']],
    [{ account: 'peach', filter: [] }, ['filter']],
    [{ filter: {} }, ['account']],
    [{ account: 'peach', sort: 'asc' }, ['sort']],
    [{ account: 'public', filter: {} }, ['filter.contactIdentifier']],
  ])('rejects %j naming the fields', (body, expected) => {
    expect(paths(body).sort()).toEqual([...expected].sort());
  });

  it('names an unknown account', () => {
    expect(() => parseListRequest({ account: 'nope' }, find)).toThrow(UnknownAccountError);
  });
});
