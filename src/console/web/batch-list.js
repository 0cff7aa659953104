import { useState } from 'preact/hooks';
import { getJson, query } from './api.js';
import { ago, count, link, plural } from './format.js';
import { html } from './html.js';
import { usePolling } from './polling.js';

/** Closes a second over the batch's life so far (or its whole life, once done). */
function rate(batch) {
  const ended = batch.completed + batch.deadLettered + batch.cancelled;
  const until = batch.finishedAt ? new Date(batch.finishedAt).getTime() : Date.now();
  const seconds = Math.max(1, (until - new Date(batch.createdAt).getTime()) / 1000);
  return ended / seconds;
}

const BatchRow = ({ batch, showAccount }) => {
  const ended = batch.completed + batch.deadLettered + batch.cancelled;
  return html`<tr data-batch=${batch.batchId} data-done=${String(batch.done)}>
    <td><a href=${link('batches', batch.batchId)}>${batch.batchId}</a></td>
    ${showAccount && html`<td><a href=${link('accounts', batch.account)}>${batch.account}</a></td>`}
    <td><progress max=${Math.max(1, batch.total)} value=${ended}>${ended} of ${batch.total}</progress> <small>${count(ended)} / ${count(batch.total)}</small></td>
    <td class="number">${count(batch.completed)} / ${count(batch.deadLettered)} / ${count(batch.cancelled)}</td>
    <td class="number">${rate(batch).toFixed(1)}/s</td>
    <td>${batch.callback ? batch.callback.state : '—'}</td>
    <td>${batch.done ? 'done' : batch.cancelledAt ? 'cancelling' : 'running'} <small>${ago(batch.createdAt)}</small></td>
  </tr>`;
};

/**
 * Batches newest first, live: every account's, or one account's (`account`);
 * searched by id and paged by the server.
 */
export function BatchList({ account }) {
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(1);
  const { data, error } = usePolling(() => getJson(`/batches${query({ ...(account ? { account } : {}), q: search, page })}`), [account, search, page]);
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;
  return html`<div class="batch-list">
    <label>Search batch ids <input type="search" value=${search} placeholder="part of a batch id" onInput=${(event) => { setSearch(event.currentTarget.value.trim()); setPage(1); }} /></label>
    ${error && !data && html`<p class="notice error" role="alert">Could not load the batches: ${error.message}</p>`}
    ${data && data.items.length === 0 && html`<p>No batches${search ? ' matching' : ''}.</p>`}
    ${data && data.items.length > 0 && html`<table>
      <thead><tr><th>Batch</th>${!account && html`<th>Account</th>`}<th>Progress</th><th>Completed / dead / cancelled</th><th>Rate</th><th>Callback</th><th>State</th></tr></thead>
      <tbody>${data.items.map((batch) => html`<${BatchRow} key=${batch.batchId} batch=${batch} showAccount=${!account} />`)}</tbody>
    </table>
    <nav class="pager">
      <button disabled=${page <= 1} onClick=${() => setPage(page - 1)}>Previous</button>
      <span>page ${page} of ${pages} (${plural(data.total, 'batch', 'batches')}${search ? ' matching' : ''})</span>
      <button disabled=${page >= pages} onClick=${() => setPage(page + 1)}>Next</button>
    </nav>`}
  </div>`;
}
