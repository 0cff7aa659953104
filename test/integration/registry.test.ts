import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { keyNames } from '../../src/queues/names.js';
import { createRegistryFeed } from '../../src/registry/registry-feed.js';
import { createRegistryStore } from '../../src/registry/registry-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitUntil } from '../helpers/test-config.js';

/** The registry of managed accounts and API keys: atomic writes, a change log every process follows, and catching up. */
let server: TestRedis;
let redis: Redis;
let prefix = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});

afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const fresh = (options: { tombstoneMs?: number } = {}) => createRegistryStore(redis, keyNames(`reg${(prefix += 1)}`), options);

describe('the registry store', () => {
  it('creates only where nothing is, updates only what is, and refuses an update based on an old read', async () => {
    const store = fresh();
    expect(await store.put('account', 'a', '{"v":1}', 'create')).toEqual({ ok: true, revision: 1 });
    expect(await store.put('account', 'a', '{"v":2}', 'create')).toEqual({ ok: false, reason: 'exists' });
    expect(await store.put('account', 'b', '{}', 'update')).toEqual({ ok: false, reason: 'missing' });
    const read = (await store.get('account', 'a'))!;
    expect(read).toEqual({ value: '{"v":1}', revision: 1 });
    expect(await store.put('account', 'a', '{"v":2}', 'update', read.revision)).toEqual({ ok: true, revision: 2 });
    expect(await store.put('account', 'a', '{"v":3}', 'update', read.revision)).toEqual({ ok: false, reason: 'changed' });
    expect((await store.get('account', 'a'))!.value).toBe('{"v":2}');
    expect(await store.remove('account', 'a')).toBe(true);
    expect(await store.remove('account', 'a')).toBe(false);
    expect(await store.count('account')).toBe(0);
  });

  it('tells what changed since a revision, a page at a time, removals included', async () => {
    const store = fresh();
    for (let i = 0; i < 5; i += 1) await store.put('account', `a${i}`, `{"i":${i}}`, 'create');
    await store.put('api-key', 'k', '{}', 'create');
    await store.remove('account', 'a0');
    // a0's entry moved to its removal (revision 7): a page of 4 reaches revision 5.
    const first = await store.changesSince(0, 4);
    expect(first).toMatchObject({ reset: false, more: true, revision: 5 });
    const rest = await store.changesSince(5, 4);
    expect(rest).toMatchObject({ reset: false, more: false, revision: 7 });
    if (rest.reset || first.reset) throw new Error('no reset expected');
    expect([...first.changes, ...rest.changes]).toEqual([
      { kind: 'account', id: 'a1', value: '{"i":1}' },
      { kind: 'account', id: 'a2', value: '{"i":2}' },
      { kind: 'account', id: 'a3', value: '{"i":3}' },
      { kind: 'account', id: 'a4', value: '{"i":4}' },
      { kind: 'api-key', id: 'k', value: '{}' },
      { kind: 'account', id: 'a0', value: null },
    ]);
  });
});

describe('a registry feed', () => {
  it("follows another process's writes by polling, with no call of its own", async () => {
    const store = fresh();
    const feed = createRegistryFeed(store, { everyMs: 50 });
    await feed.start();
    const seen: string[] = [];
    feed.onChange((kind, id, value) => seen.push(`${kind}:${id}:${value ?? 'removed'}`));
    await store.put('account', 'x', '{"v":1}', 'create');
    await waitUntil(() => feed.records('account').has('x'), { what: 'x seen' });
    // Both changes may be read in one round: they are told in the order they were made.
    await store.put('api-key', 'k', '{"k":1}', 'create');
    await store.remove('account', 'x');
    await waitUntil(() => !feed.records('account').has('x'), { what: 'x gone' });
    expect(seen).toEqual(['account:x:{"v":1}', 'api-key:k:{"k":1}', 'account:x:removed']);
    expect(feed.records('api-key').get('k')).toBe('{"k":1}');
    feed.stop();
  });

  it('reloads everything when it is further behind than the kept tombstones', async () => {
    const store = fresh({ tombstoneMs: 0 });
    const feed = createRegistryFeed(store, { everyMs: 60_000 });
    await store.put('account', 'stays', '{}', 'create');
    await store.put('account', 'goes', '{}', 'create');
    await feed.start();
    // Removals whose tombstones are pruned at once: the log no longer says that "goes" went.
    await store.remove('account', 'goes');
    await store.put('account', 'new', '{}', 'create');
    await store.remove('account', 'new');
    expect(await store.changesSince(2)).toEqual({ reset: true });
    const removed: string[] = [];
    feed.onChange((_kind, id, value) => value === null && removed.push(id));
    await feed.sync();
    expect([...feed.records('account').keys()]).toEqual(['stays']);
    expect(removed).toEqual(['goes']);
    feed.stop();
  });

  it('gives a sync asked for during another its own, later read', async () => {
    const store = fresh();
    const feed = createRegistryFeed(store, { everyMs: 60_000 });
    await feed.start();
    const first = feed.sync();
    await store.put('account', 'late', '{}', 'create');
    await Promise.all([first, feed.sync()]);
    expect(feed.records('account').has('late')).toBe(true);
    await feed.settled();
    feed.stop();
  });
});
