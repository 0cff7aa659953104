import { useEffect, useState } from 'preact/hooks';
import { useActions } from './actions.js';
import { getJson, postJson } from './api.js';
import { ago, count, plural, ref } from './format.js';
import { html } from './html.js';

/** How often a running dry run's job is read until it ends. */
const POLL_MS = 1_000;

/**
 * A sweep's dry run: asked (and confirmed) like any action, it runs on a
 * worker as a sweep that closes nothing; its job's result lists the
 * conversations the sweep would close, shown here when it ends.
 */
export function DryRun({ accountId }) {
  const { act } = useActions();
  const [jobId, setJobId] = useState(undefined);
  const [job, setJob] = useState(undefined);
  useEffect(() => {
    if (!jobId) return undefined;
    let stopped = false;
    const look = async () => {
      const status = await getJson(`/jobs/${encodeURIComponent(jobId)}`).catch((error) => ({ state: 'unknown', error }));
      if (stopped) return;
      setJob(status);
      if (status.state !== 'completed' && status.state !== 'failed') setTimeout(look, POLL_MS);
    };
    void look();
    return () => {
      stopped = true;
    };
  }, [jobId]);
  const ask = () =>
    act(`Run a dry run of a sweep of "${accountId}"? It lists the idle conversations a sweep would close now, and closes nothing.`, () => postJson(`/accounts/${encodeURIComponent(accountId)}/sweep?dryRun=true`), (answer) => {
      setJob(undefined);
      setJobId(answer.jobId);
    });
  const result = job?.state === 'completed' ? job.result : undefined;
  return html`<div class="dry-run">
    <button onClick=${ask}>Dry run of a sweep</button>
    ${jobId && !job && html`<p>Dry run asked…</p>`}
    ${job && !result && html`<p class="dry-run-state">Dry run ${job.state}${job.error ? `: ${job.error.message ?? job.error}` : ''}.</p>`}
    ${result && html`<div class="dry-run-result">
      <p>A sweep now would close ${plural(result.wouldClose?.length ?? 0, 'conversation')} (${plural(result.scanned, 'conversation')} scanned, ${count(result.idle)} idle).</p>
      ${result.wouldClose?.length > 0 && html`<table>
        <thead><tr><th>Conversation</th><th>Last activity</th></tr></thead>
        <tbody>${result.wouldClose.map((item) => html`<tr><td><code>${ref(item.ref)}</code></td><td>${ago(item.lastActivityAt)}</td></tr>`)}</tbody>
      </table>`}
    </div>`}
  </div>`;
}
