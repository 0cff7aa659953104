import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { createActivityRecorder } from '../../src/stats/activity-recorder.js';
import { activityOf, MINUTE_MS, type MinuteCounts } from '../../src/stats/activity-store.js';

/** A store that records what it is given, or refuses while `down`. */
function fakeStore() {
  const store = {
    down: false,
    writes: [] as { accountId: string; minutes: MinuteCounts[] }[],
    rateLimited: [] as string[][],
    /** Told of each write. */
    written: (): void => undefined,
    async add(accountId: string, minutes: readonly MinuteCounts[]) {
      if (store.down) throw new Error('Connection is closed.');
      store.writes.push({ accountId, minutes: minutes.map(({ minute, counts }) => ({ minute, counts: [...counts] })) });
      store.written();
    },
    async noteRateLimited(accountIds: readonly string[]) {
      if (store.down) throw new Error('Connection is closed.');
      store.rateLimited.push([...accountIds]);
    },
  };
  return store;
}

const logger = createLogger({ level: 'silent' });
const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const minuteOf = (ms: number) => Math.floor(ms / MINUTE_MS);

describe('the activity recorder', () => {
  it('counts in memory and writes one command per account with counts, by minute', async () => {
    const clock = { now: START };
    const store = fakeStore();
    const recorder = createActivityRecorder({ store, logger, flushEveryMs: 3_600_000, now: () => clock.now });
    for (let i = 0; i < 1_000; i += 1) recorder.record('a', 'closed');
    recorder.record('a', 'dead_lettered');
    recorder.record('b', 'rate_limited', 2);
    clock.now += MINUTE_MS;
    recorder.record('a', 'closed', 5);
    await recorder.flush();
    expect(store.writes).toEqual([
      {
        accountId: 'a',
        minutes: [
          { minute: minuteOf(START), counts: [1_000, 1, 0] },
          { minute: minuteOf(START) + 1, counts: [5, 0, 0] },
        ],
      },
      { accountId: 'b', minutes: [{ minute: minuteOf(START), counts: [0, 0, 2] }] },
    ]);
    expect(store.rateLimited).toEqual([['b']]);
    // Nothing new: nothing written.
    await recorder.flush();
    expect(store.writes).toHaveLength(2);
    await recorder.close();
  });

  it('never throws when Redis refuses, keeps the counts for the next flush, and lets go of those older than the hour', async () => {
    const clock = { now: START };
    const store = fakeStore();
    const recorder = createActivityRecorder({ store, logger, flushEveryMs: 3_600_000, now: () => clock.now });
    store.down = true;
    recorder.record('a', 'closed', 3);
    await expect(recorder.flush()).resolves.toBeUndefined();
    recorder.record('a', 'closed', 2);
    clock.now += 30 * MINUTE_MS;
    recorder.record('a', 'rate_limited');
    await recorder.flush();
    expect(store.writes).toEqual([]);

    store.down = false;
    await recorder.flush();
    expect(store.writes).toEqual([
      {
        accountId: 'a',
        minutes: [
          { minute: minuteOf(START), counts: [5, 0, 0] },
          { minute: minuteOf(START) + 30, counts: [0, 0, 1] },
        ],
      },
    ]);

    // Down for over an hour: what is older than the hour shown is dropped, so memory stays bounded.
    store.down = true;
    store.writes.length = 0;
    recorder.record('a', 'closed', 7);
    for (let minute = 1; minute <= 90; minute += 1) {
      clock.now += MINUTE_MS;
      recorder.record('a', 'closed');
      await recorder.flush();
    }
    store.down = false;
    await recorder.flush();
    const [write] = store.writes;
    expect(write!.minutes).toHaveLength(60);
    expect(write!.minutes[0]!.minute).toBe(minuteOf(clock.now) - 59);
    expect(write!.minutes.every(({ counts }) => counts[0] === 1)).toBe(true);
    await recorder.close();
  });

  it('writes what is left when it closes, and forgets a removed account', async () => {
    const store = fakeStore();
    const recorder = createActivityRecorder({ store, logger, flushEveryMs: 3_600_000, now: () => START });
    recorder.record('kept', 'closed', 4);
    recorder.record('removed', 'closed', 9);
    recorder.forget('removed');
    await recorder.close();
    expect(store.writes).toEqual([{ accountId: 'kept', minutes: [{ minute: minuteOf(START), counts: [4, 0, 0] }] }]);
  });

  it('flushes on its own every few seconds', async () => {
    const store = fakeStore();
    const recorder = createActivityRecorder({ store, logger, flushEveryMs: 20 });
    recorder.record('a', 'closed');
    await new Promise<void>((resolve) => (store.written = resolve));
    expect(store.writes[0]!.accountId).toBe('a');
    await recorder.close();
  });
});

describe('activityOf', () => {
  const now = Date.UTC(2030, 0, 1, 12, 30, 40);
  const minute = minuteOf(now);
  it('reads the hash into series over the hour up to this minute, ignoring what is outside it', () => {
    const activity = activityOf(
      {
        [String(minute % 60)]: `${minute}:3:0:1`,
        [String((minute - 1) % 60)]: `${minute - 1}:20:1:0`,
        [String((minute - 59) % 60)]: `${minute - 59}:6:0:0`,
        // An hour-old minute still in its slot, and something unreadable.
        [String((minute - 2) % 60)]: `${minute - 62}:500:0:0`,
        junk: 'x',
      },
      now,
    );
    expect(activity.lastMinuteAt).toBe(minute * MINUTE_MS);
    expect(activity.perMinute.closed).toHaveLength(60);
    expect([activity.perMinute.closed[0], activity.perMinute.closed[58], activity.perMinute.closed[59]]).toEqual([6, 20, 3]);
    expect(activity.lastHour).toEqual({ closed: 29, deadLettered: 1, rateLimited: 1 });
    expect(activity.closedLastMinute).toBe(20);
  });
});
