import type { BatchReport } from '../batches/batch-store.js';
import type { Producer } from '../producer/producer.js';

const BAR_WIDTH = 30;

/** One line: a bar of finished jobs, the counts and the closing rate. */
export function progressLine(report: BatchReport, ratePerSecond: number): string {
  const finished = report.completed + report.deadLettered;
  const share = report.total === 0 ? 1 : finished / report.total;
  const filled = Math.round(share * BAR_WIDTH);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  return `[${bar}] ${finished}/${report.total}  completed ${report.completed}  dead-lettered ${report.deadLettered}  pending ${report.pending}  ${ratePerSecond.toFixed(1)}/s`;
}

/** From the batch's creation to its last job's end, as Redis recorded them: watching may start late. */
function batchSeconds(report: BatchReport): number | undefined {
  if (!report.finishedAt || !report.createdAt) return undefined;
  return Math.max(0, Date.parse(report.finishedAt) - Date.parse(report.createdAt)) / 1000;
}

export function summaryLine(report: BatchReport, watchedSeconds: number): string {
  const skipped = report.skipped ? `, ${report.skipped} of them skipped (active again)` : '';
  const duplicates = report.duplicates ? `; ${report.duplicates} duplicate ref(s) were already pending elsewhere` : '';
  const counts = `${report.completed} completed${skipped}, ${report.deadLettered} dead-lettered${duplicates}`;
  if (!report.done) return `batch ${report.batchId} not done after ${watchedSeconds.toFixed(1)} s: ${counts}, ${report.pending} pending`;
  const seconds = batchSeconds(report);
  const finished = report.completed + report.deadLettered;
  const rate = seconds ? `, ${(finished / seconds).toFixed(1)}/s` : '';
  return `batch ${report.batchId} done in ${seconds === undefined ? '?' : seconds.toFixed(1)} s${rate}: ${counts}`;
}

export interface WatchOptions {
  /** Where progress goes; a terminal gets one line rewritten in place. */
  out: NodeJS.WriteStream;
  intervalMs?: number;
  /** Stop watching after this long even if the batch is not done. */
  timeoutMs?: number;
}

/** Follows a batch until it is done, drawing a progress line; resolves with the last report. */
export async function watchBatch(producer: Producer, batchId: string, { out, intervalMs = 500, timeoutMs = Infinity }: WatchOptions): Promise<BatchReport> {
  const started = performance.now();
  const samples: { at: number; finished: number }[] = [];
  let lastPrinted = 0;
  for (;;) {
    const report = await producer.batch(batchId);
    const now = performance.now();
    samples.push({ at: now, finished: report.completed + report.deadLettered });
    while (samples.length > 1 && now - samples[0]!.at > 5_000) samples.shift();
    const first = samples[0]!;
    const sinceCreated = (Date.now() - Date.parse(report.createdAt)) / 1000;
    // Until two readings span some time, the average since the batch was created is the best estimate.
    const rate = now - first.at >= 1_000 ? ((samples.at(-1)!.finished - first.finished) * 1000) / (now - first.at) : sinceCreated > 0 ? samples.at(-1)!.finished / sinceCreated : 0;
    const line = progressLine(report, rate);
    if (out.isTTY) out.write(`\r${line}\x1b[K`);
    else if (report.done || now - lastPrinted >= 5_000) {
      out.write(`${line}\n`);
      lastPrinted = now;
    }
    if (report.done || now - started > timeoutMs) {
      if (out.isTTY) out.write('\n');
      out.write(`${summaryLine(report, (now - started) / 1000)}\n`);
      return report;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
