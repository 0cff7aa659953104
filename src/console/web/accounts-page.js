import { useEffect, useState } from 'preact/hooks';
import { RateLimitUse, Sparkline } from './activity.js';
import { getJson, query } from './api.js';
import { AttentionBadges } from './badges.js';
import { ago, count, link, plural } from './format.js';
import { html } from './html.js';
import { usePolling } from './polling.js';

/** Waits this long after the last key before searching. */
const TYPING_MS = 250;

function useSettled(value, ms) {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

const Summary = ({ summary }) => html`<p class="summary">
  ${plural(summary.accounts, 'account')}
  ${summary.unauthorized > 0 && html` · <span class="badge unauthorized">${count(summary.unauthorized)} unauthorized</span>`}
  ${summary.paused > 0 && html` · <span class="badge paused">${count(summary.paused)} paused</span>`}
  ${' · '}${count(summary.dead_letters)} with dead letters · ${count(summary.rate_limited)} with 429s in the last hour · ${count(summary.backlog)} with backlog · ${count(summary.running)} active lately
</p>`;

const AccountRow = ({ account }) => html`<tr data-account=${account.id}>
  <td><a href=${link('accounts', account.id)}>${account.id}</a></td>
  <td>${account.provider}</td>
  <td class="rate">${account.rateLimit}<br /><small><${RateLimitUse} use=${account.rateLimitUse} /></small></td>
  <td><${AttentionBadges} kinds=${account.attention} /></td>
  <td class="closes" data-closed=${account.activity.lastHour.closed}>
    <${Sparkline} values=${account.activity.perMinute.closed} />
    <small>${count(account.activity.lastHour.closed)} · ${count(account.activity.closedLastMinute)}/min</small>
  </td>
  <td class="number" data-rate-limited=${account.activity.lastHour.rateLimited}>${count(account.activity.lastHour.rateLimited)}</td>
  <td class="number">${count(account.counts.waiting)} / ${count(account.counts.active)} / ${count(account.counts.delayed)}</td>
  <td class="number">${count(account.counts.deadLettered)}${account.oldestDeadLetterAt ? html` <small>oldest ${ago(account.oldestDeadLetterAt)}</small>` : ''}</td>
  <td>${account.autoClose ? html`idle ${account.autoClose.idleAfter}, every ${account.autoClose.every}${account.autoClose.lastRun ? html` <small>last ${ago(account.autoClose.lastRun.at)}</small>` : ''}` : '—'}</td>
</tr>`;

/** Every account, those needing attention first; searched, sorted and paged by the server. */
export function AccountsPage() {
  const [typed, setTyped] = useState('');
  const [page, setPage] = useState(1);
  const search = useSettled(typed, TYPING_MS);
  useEffect(() => setPage(1), [search]);
  const { data, error, at } = usePolling(() => getJson(`/accounts${query({ q: search, page })}`), [search, page]);

  return html`<section>
    <h2>Accounts</h2>
    ${data && html`<${Summary} summary=${data.summary} />`}
    <label class="search">Search <input type="search" name="q" placeholder="part of an account id" value=${typed} onInput=${(event) => setTyped(event.currentTarget.value)} /></label>
    ${error && html`<p class="notice error" role="alert">Could not load the accounts: ${error.message}</p>`}
    ${data &&
    html`<table class="accounts">
        <thead><tr><th>Account</th><th>Provider</th><th>Rate limit <small>(use now)</small></th><th>Attention</th><th>Closes <small>(1 h · last min)</small></th><th>429s <small>(1 h)</small></th><th>Waiting / active / delayed</th><th>Dead letters</th><th>Auto-close</th></tr></thead>
        <tbody>${data.items.map((account) => html`<${AccountRow} key=${account.id} account=${account} />`)}</tbody>
      </table>
      ${data.items.length === 0 && html`<p>No account matches "${search}".</p>`}
      <nav class="pager">
        <button disabled=${data.page <= 1} onClick=${() => setPage(data.page - 1)}>Previous</button>
        <span>page ${data.page} of ${data.pages} (${plural(data.total, 'account')}${search ? ' matching' : ''})</span>
        <button disabled=${data.page >= data.pages} onClick=${() => setPage(data.page + 1)}>Next</button>
      </nav>`}
    ${at && html`<p class="updated">updated ${at.toLocaleTimeString('en-GB')}</p>`}
  </section>`;
}
