import type { BatchReport } from '../batches/batch-store.js';
import { summaryLine } from '../cli/progress.js';
import type { JobEvent } from '../worker/job-events.js';

const WIDTH = 10;
const refText = (ref: unknown) => (ref === undefined ? '' : `${JSON.stringify(ref)} `);

/** One line per event, as the demo prints it. */
export function eventLine(event: JobEvent): string {
  const who = event.account.padEnd(WIDTH);
  const code = event.status === undefined ? '' : `${event.status} `;
  switch (event.type) {
    case 'rate_limited':
      return `  ${who}${code}rate limited by the provider: the whole account waits ${(event.waitMs / 1000).toFixed(1)} s; the job keeps its attempts`;
    case 'retrying':
      return `  ${who}${refText(event.ref)}${code}${event.code}: attempt ${event.attempt} of ${event.attempts} failed, retried after a backoff`;
    case 'failed':
      return `  ${who}${refText(event.ref)}${code}${event.code}: ${event.jobName === 'close' ? 'dead-lettered' : 'failed'} (${event.message})`;
  }
}

/** One line for several batches: account and finished/total each. */
function statusLine(reports: readonly BatchReport[]): string {
  return `  ${reports.map((r) => `${r.account} ${r.completed + r.deadLettered}/${r.total}${r.done ? ' done' : ''}`).join('   ')}`;
}

export interface Narration {
  event(event: JobEvent): void;
  /** The batches as last read; prints a summary for each that is newly done. */
  progress(reports: readonly BatchReport[]): void;
}

/**
 * The demo's running commentary: every 429, retry and dead letter as it
 * happens, the batches' progress, and each batch's summary when it is done.
 * A terminal gets the progress as one line redrawn under the events; a pipe
 * gets it every few seconds.
 */
export function createNarration(out: NodeJS.WriteStream, { everyMs = 2_000 } = {}): Narration {
  const finished = new Set<string>();
  let status = '';
  let lastStatusAt = 0;
  const write = (line: string) => {
    if (out.isTTY) out.write(`\r\x1b[K${line}\n${status}`);
    else out.write(`${line}\n`);
  };
  return {
    event: (event) => write(eventLine(event)),
    progress(reports) {
      for (const report of reports) {
        if (report.done && !finished.has(report.batchId)) {
          finished.add(report.batchId);
          write(`  ${summaryLine(report, 0)}`);
        }
      }
      status = statusLine(reports);
      if (out.isTTY) out.write(`\r\x1b[K${status}`);
      else if (Date.now() - lastStatusAt >= everyMs) {
        lastStatusAt = Date.now();
        out.write(`${status}\n`);
      }
      if (out.isTTY && reports.every((report) => report.done)) out.write('\n');
    },
  };
}
