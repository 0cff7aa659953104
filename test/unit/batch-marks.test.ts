import { describe, expect, it } from '@jest/globals';
import type { JobEnd } from '../../src/batches/batch-store.js';
import { createLogger } from '../../src/logger.js';
import { createBatchMarks } from '../../src/worker/batch-marks.js';

const ids = { batchId: 'batch-1', jobId: 'job-1', event: '{"ref":1}' };
/** A job end of `batchId` whose event names the job. */
const end = (batchId: string, jobId: string) => ({ batchId, jobId, event: `{"job":"${jobId}"}` });
const completed = { skipped: false };

/** A logger whose lines can be read back. */
function capturingLogger() {
  const lines: { level: number; msg: string; batchId?: string; jobIds?: string[] }[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (text: string) => void lines.push(JSON.parse(text)) } });
  return { logger, lines };
}

type Call = { batchId: string; jobIds: readonly string[]; events: readonly string[]; skipped: boolean };

/** A batch store that records each mark command and answers it with `answer`. */
function recordingStore(answer: (call: Call) => Promise<void> = async () => undefined) {
  const calls: Call[] = [];
  return {
    calls,
    markCompleted: (batchId: string, ends: readonly JobEnd[], options?: { skipped?: boolean }) => {
      const call = { batchId, jobIds: ends.map(({ jobId }) => jobId), events: ends.map(({ event }) => event), skipped: options?.skipped ?? false };
      calls.push(call);
      return answer(call);
    },
  };
}

describe('batch marks', () => {
  it('sends the mark before completed() resolves, so it goes out ahead of the job completion', async () => {
    const store = recordingStore(() => new Promise<void>(() => undefined)); // Redis never answers
    const marks = createBatchMarks(store, capturingLogger().logger);
    await marks.completed(ids, completed);
    expect(store.calls).toEqual([{ batchId: 'batch-1', jobIds: ['job-1'], events: ['{"ref":1}'], skipped: false }]);
  });

  it('sends the marks of one turn of the event loop as one command per batch and kind', async () => {
    const store = recordingStore();
    const marks = createBatchMarks(store, capturingLogger().logger);
    const sent = [
      marks.completed(end('a', '1'), completed),
      marks.completed(end('b', '2'), completed),
      marks.completed(end('a', '3'), completed),
      marks.completed(end('a', '4'), { skipped: true }),
    ];
    expect(store.calls).toEqual([]);
    await Promise.all(sent);
    expect(store.calls).toEqual([
      { batchId: 'a', jobIds: ['1', '3'], events: ['{"job":"1"}', '{"job":"3"}'], skipped: false },
      { batchId: 'b', jobIds: ['2'], events: ['{"job":"2"}'], skipped: false },
      { batchId: 'a', jobIds: ['4'], events: ['{"job":"4"}'], skipped: true },
    ]);
    await marks.completed(end('a', '5'), completed);
    expect(store.calls.at(-1)).toMatchObject({ batchId: 'a', jobIds: ['5'], skipped: false });
  });

  it('sends refused marks again until Redis takes them', async () => {
    const { logger, lines } = capturingLogger();
    let landed!: () => void;
    const allLanded = new Promise<void>((resolve) => (landed = resolve));
    const store = recordingStore(async () => {
      if (store.calls.length < 3) throw new Error('OOM command not allowed');
      landed();
    });
    const marks = createBatchMarks(store, logger);
    await marks.completed(ids, completed);
    await allLanded;
    expect(store.calls).toHaveLength(3);
    expect(lines.filter((line) => line.msg.startsWith('batch marks refused'))).toHaveLength(2);
    expect(lines[0]).toMatchObject({ batchId: 'batch-1', jobIds: ['job-1'] });
  });

  it('drain sends what is queued, waits for the marks in flight, then logs marks still refused as lost rather than retrying them', async () => {
    const { logger, lines } = capturingLogger();
    let landed = false;
    let release!: () => void;
    const store = recordingStore(async ({ batchId }) => {
      if (batchId === 'slow') return new Promise<void>((resolve) => (release = resolve)).then(() => void (landed = true));
      throw new Error('READONLY');
    });
    const marks = createBatchMarks(store, logger);
    void marks.completed(end('slow', 'first'), completed);
    void marks.completed(ids, completed);
    const drained = marks.drain();
    await new Promise<void>((resolve) => setImmediate(resolve));
    release();
    await drained;
    expect(landed).toBe(true);
    expect(store.calls.filter((call) => call.batchId === 'batch-1')).toHaveLength(1);
    expect(lines.find((line) => line.msg.startsWith('batch marks lost'))).toMatchObject({ level: 50, batchId: 'batch-1', jobIds: ['job-1'] });
  });
});
