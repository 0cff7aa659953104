import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { parseAccountRemovalQuery, parseDeadLetterQuery, parseRedriveRequest } from '../../src/api/request-schemas.js';
import { ValidationError } from '../../src/producer/producer-errors.js';
import { issuesOf } from '../../src/producer/zod-issues.js';

const issues = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('issuesOf', () => {
  const schema = z.strictObject({ name: z.string({ error: 'must be a string' }).min(1, 'must not be empty'), nested: z.strictObject({ x: z.number({ error: 'must be a number' }) }).optional() });

  it('tells an object\'s unknown fields first, each by its path', () => {
    const result = schema.safeParse({ name: 5, nested: { x: 'y', z: 1 }, extra: 1, more: 2 });
    expect(issuesOf(result.error!).map((issue) => [issue.path, issue.message])).toEqual([
      ['extra', 'is not a known field'],
      ['more', 'is not a known field'],
      ['name', 'must be a string'],
      ['nested.z', 'is not a known field'],
      ['nested.x', 'must be a number'],
    ]);
  });

  it('says only that a field is of the wrong type, not also that its length is wrong', () => {
    expect(issuesOf(schema.safeParse({ name: [] }).error!)).toEqual([{ index: null, path: 'name', message: 'must be a string' }]);
  });
});

describe('the API\'s own request schemas', () => {
  it('a redrive: an object, an account id, a list of string ids (each bad id by its index)', () => {
    expect(parseRedriveRequest({})).toEqual({});
    expect(parseRedriveRequest({ account: 'a', ids: ['a.1'] })).toEqual({ account: 'a', ids: ['a.1'] });
    expect(issues(() => parseRedriveRequest(null))).toEqual([{ index: null, path: '', message: expect.stringContaining('{} redrives every dead letter') }]);
    expect(issues(() => parseRedriveRequest({ ids: ['a.1', 2], account: '', extra: true }))).toEqual([
      { index: null, path: 'extra', message: 'is not a known field' },
      { index: null, path: 'account', message: 'must be an account id' },
      { index: 1, path: 'ids[1]', message: 'must be a string' },
    ]);
    expect(issues(() => parseRedriveRequest({ ids: Array.from({ length: 10_001 }, String) }))).toEqual([{ index: null, path: 'ids', message: 'must be a list of at most 10000 dead-letter ids' }]);
  });

  it('the dead-letter query: whole numbers (their range is the producer\'s), an empty account is none', () => {
    expect(parseDeadLetterQuery({ account: '', limit: '10', offset: '0' })).toEqual({ account: undefined, limit: 10, offset: 0 });
    expect(issues(() => parseDeadLetterQuery({ limit: 'lots', offset: '-1' }))).toEqual([
      { index: null, path: 'limit', message: 'must be a whole number' },
      { index: null, path: 'offset', message: 'must be a whole number' },
    ]);
  });

  it('purge: true or false', () => {
    expect(parseAccountRemovalQuery({})).toEqual({ purge: false });
    expect(parseAccountRemovalQuery({ purge: 'true' })).toEqual({ purge: true });
    expect(issues(() => parseAccountRemovalQuery({ purge: 'yes' }))).toEqual([{ index: null, path: 'purge', message: 'must be true or false' }]);
  });
});
