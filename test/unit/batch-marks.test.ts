import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logger.js';
import { createBatchMarks } from '../../src/worker/batch-marks.js';

const ids = { batchId: 'batch-1', jobId: 'job-1' };
const completed = { skipped: false };

/** A logger whose lines can be read back. */
function capturingLogger() {
  const lines: { level: number; msg: string; batchId?: string; jobId?: string }[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (text: string) => void lines.push(JSON.parse(text)) } });
  return { logger, lines };
}

/** A batch store whose marks run `mark`, told which job each is for. */
const storeRunning = (mark: (jobId: string) => Promise<void>) => ({ markCompleted: (_batchId: string, jobId: string) => mark(jobId) });

describe('batch marks', () => {
  it('sends the mark before completed() returns, so it goes out ahead of the job completion', () => {
    let calls = 0;
    const marks = createBatchMarks(
      storeRunning(async () => {
        calls += 1;
      }),
      capturingLogger().logger,
    );
    marks.completed(ids, completed);
    expect(calls).toBe(1);
  });

  it('sends a refused mark again until Redis takes it', async () => {
    const { logger, lines } = capturingLogger();
    let calls = 0;
    await new Promise<void>((landed) => {
      const marks = createBatchMarks(
        storeRunning(async () => {
          calls += 1;
          if (calls < 3) throw new Error('OOM command not allowed');
          landed();
        }),
        logger,
      );
      marks.completed(ids, completed);
    });
    expect(calls).toBe(3);
    expect(lines.filter((line) => line.msg.startsWith('batch mark refused'))).toHaveLength(2);
    expect(lines[0]).toMatchObject(ids);
  });

  it('drain waits for the marks in flight, then logs a mark still refused as lost rather than retrying it', async () => {
    const { logger, lines } = capturingLogger();
    let landed = false;
    let refusals = 0;
    let release!: () => void;
    const marks = createBatchMarks(
      storeRunning(async (jobId) => {
        if (jobId === 'slow') return new Promise<void>((resolve) => (release = resolve)).then(() => void (landed = true));
        refusals += 1;
        throw new Error('READONLY');
      }),
      logger,
    );
    marks.completed({ batchId: 'b', jobId: 'slow' }, completed);
    marks.completed(ids, completed);
    const drained = marks.drain();
    release();
    await drained;
    expect(landed).toBe(true);
    expect(refusals).toBe(1);
    expect(lines.find((line) => line.msg.startsWith('batch mark lost'))).toMatchObject({ level: 50, ...ids });
  });
});
