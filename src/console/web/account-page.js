import { useActions } from './actions.js';
import { ActivitySection } from './activity.js';
import { getJson, paths, postJson } from './api.js';
import { AttentionBadges } from './badges.js';
import { DeadLetterGroups } from './dead-letter-groups.js';
import { ago, count, link } from './format.js';
import { html } from './html.js';
import { usePolling } from './polling.js';
import { BatchList } from './batch-list.js';
import { DryRun } from './dry-run.js';

const COUNTS = [
  ['waiting', 'waiting'],
  ['active', 'active'],
  ['delayed', 'delayed'],
  ['completed', 'completed (kept)'],
  ['failed', 'failed (list and sweep jobs)'],
  ['deadLettered', 'dead letters'],
];

function Actions({ account, onChange }) {
  const { act } = useActions();
  const id = account.id;
  const path = `/accounts/${encodeURIComponent(id)}`;
  return html`<div class="actions">
    ${account.paused
      ? html`<button onClick=${() => act(`Resume "${id}"? Its ${count(account.counts.waiting)} waiting jobs run again${account.pausedReason === 'unauthorized' ? ' (check its credentials first: it was paused after repeated 401/403 answers)' : ''}.`, () => postJson(`${path}/resume`), onChange)}>Resume</button>`
      : html`<button class="danger" onClick=${() => act(`Pause "${id}"? Its jobs stay queued and none runs until it is resumed.`, () => postJson(`${path}/pause`), onChange)}>Pause</button>`}
    ${account.autoClose && html`<button onClick=${() => act(`Sweep "${id}" now? Conversations idle for ${account.autoClose.idleAfter} or more ${account.autoClose.dryRun ? 'are counted (dry run), not closed' : 'are closed'}, at most ${count(account.autoClose.maxPerRun)}.`, () => postJson(`${path}/sweep`), onChange)}>Sweep now</button>`}
    <a class="button" href=${`${paths.dashboard}/queue/${encodeURIComponent(`account-${id}`)}`} target="_blank" rel="noopener">Raw jobs in bull-board ↗</a>
  </div>`;
}

function AutoClose({ autoClose }) {
  if (!autoClose) return html`<p>No auto-close policy.</p>`;
  const last = autoClose.lastRun;
  return html`<p>
    Auto-close: conversations idle ${autoClose.idleAfter}, every ${autoClose.every}, at most ${count(autoClose.maxPerRun)} a run${autoClose.dryRun ? ' (dry run)' : ''}.
    ${last
      ? html` Last sweep ${ago(last.at)}: ${count(last.scanned)} scanned, ${count(last.idle)} idle, ${count(last.enqueued)} enqueued, ${count(last.skipped)} skipped${last.batchId ? html` (<a href=${link('batches', last.batchId)}>batch</a>)` : ''}.`
      : ' No sweep yet.'}
  </p>`;
}

/** One account: its counts, actions and dead letters grouped by reason. */
export function AccountPage({ id }) {
  const { data, error, refresh, at } = usePolling(() => getJson(`/accounts/${encodeURIComponent(id)}`), [id]);
  if (error && !data) return html`<p class="notice error" role="alert">Could not load "${id}": ${error.message}</p>`;
  if (!data) return html`<p>Loading "${id}"…</p>`;
  const { account, deadLetters } = data;
  return html`<section class="account" data-account=${account.id}>
    <h2>${account.id} <small>${account.provider}, ${account.rateLimit}</small> <${AttentionBadges} kinds=${account.attention} /></h2>
    <p class="state">${account.paused ? (account.pausedReason === 'unauthorized' ? 'Paused after repeated unauthorized answers (401/403): check its credentials, then resume.' : 'Paused by hand.') : 'Running.'}</p>
    <${Actions} account=${account} onChange=${refresh} />
    <dl class="counts">
      ${COUNTS.map(([key, label]) => html`<div data-count=${key}><dt>${label}</dt><dd>${count(account.counts[key])}</dd></div>`)}
    </dl>
    <${ActivitySection} account=${account} />
    ${account.oldestDeadLetterAt && html`<p>Oldest dead letter: ${ago(account.oldestDeadLetterAt)}.</p>`}
    <${AutoClose} autoClose=${account.autoClose} />
    ${account.autoClose && html`<${DryRun} accountId=${account.id} />`}
    <h2>Recent batches</h2>
    <${BatchList} account=${account.id} />
    <h2>Dead letters</h2>
    <${DeadLetterGroups} answer=${deadLetters} scope=${{ account: account.id }} onChange=${refresh} />
    ${at && html`<p class="updated">updated ${at.toLocaleTimeString('en-GB')}</p>`}
  </section>`;
}
