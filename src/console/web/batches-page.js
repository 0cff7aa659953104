import { useActions } from './actions.js';
import { getJson, postJson } from './api.js';
import { count, link, time } from './format.js';
import { html } from './html.js';
import { usePolling } from './polling.js';
import { BatchList } from './batch-list.js';

function Callback({ callback }) {
  if (!callback) return html`<p>No callback asked for.</p>`;
  const events = callback.conversationEvents;
  return html`<p class="callback" data-state=${callback.state}>
    Callback to <code>${callback.url}</code> (${callback.events.join(', ')}): <strong>${callback.state}</strong>
    after ${count(callback.attempts)} attempt${callback.attempts === 1 ? '' : 's'}${callback.lastStatus ? `, last answered ${callback.lastStatus}` : ''}${callback.deliveredAt ? `, delivered ${time(callback.deliveredAt)}` : ''}.
    ${events && ` Conversation events: ${count(events.delivered)} delivered, ${count(events.waiting)} waiting, ${count(events.failed)} given up.`}
  </p>`;
}

function Batch({ id }) {
  const { act } = useActions();
  const { data: batch, error, refresh } = usePolling(() => getJson(`/batches/${encodeURIComponent(id)}`), [id], 2_000);
  if (error && !batch) return html`<p class="notice error" role="alert">Could not load batch "${id}": ${error.message}</p>`;
  if (!batch) return html`<p>Loading batch "${id}"…</p>`;
  const ended = batch.completed + batch.deadLettered + batch.cancelled;
  return html`<section class="batch" data-done=${String(batch.done)}>
    <h3>Batch <code>${batch.batchId}</code> of <a href=${link('accounts', batch.account)}>${batch.account}</a></h3>
    <progress max=${Math.max(1, batch.total)} value=${ended} aria-label="progress">${ended} of ${batch.total}</progress>
    <p class="progress-text">${batch.done ? `Done ${time(batch.finishedAt)}` : 'Running'}: ${count(ended)} of ${count(batch.total)} ended.</p>
    <dl class="counts">
      <div data-count="completed"><dt>completed</dt><dd>${count(batch.completed)}</dd></div>
      <div data-count="deadLettered"><dt>dead letters</dt><dd>${count(batch.deadLettered)}</dd></div>
      <div data-count="cancelled"><dt>cancelled</dt><dd>${count(batch.cancelled)}</dd></div>
      <div data-count="pending"><dt>pending</dt><dd>${count(batch.pending)}</dd></div>
      <div data-count="duplicates"><dt>duplicates</dt><dd>${count(batch.duplicates)}</dd></div>
      <div data-count="skipped"><dt>skipped (active again)</dt><dd>${count(batch.skipped)}</dd></div>
    </dl>
    <p>Created ${time(batch.createdAt)}${batch.cancelledAt ? `; cancel asked ${time(batch.cancelledAt)}` : ''}.</p>
    <${Callback} callback=${batch.callback} />
    ${!batch.done && !batch.cancelledAt && html`<button class="danger" onClick=${() => act(`Cancel batch "${batch.batchId}"? Its ${count(batch.pending)} pending closes that have not started are removed; running ones finish.`, () => postJson(`/batches/${encodeURIComponent(id)}/cancel`), refresh)}>Cancel batch</button>`}
  </section>`;
}

/** Every account's batches (#/batches), or one looked up by id (#/batches/<id>): its progress, counts and callback, live. */
export function BatchesPage({ id }) {
  return html`<section>
    <h2>Batches</h2>
    <form class="filters" onSubmit=${(event) => {
      event.preventDefault();
      const wanted = new FormData(event.currentTarget).get('batch').trim();
      if (wanted) location.hash = link('batches', wanted);
    }}>
      <label>Batch id <input name="batch" value=${id ?? ''} placeholder="a batchId from POST /v1/close" size="40" /></label>
      <button type="submit">Look up</button>
    </form>
    ${id ? html`<${Batch} key=${id} id=${id} />` : html`<${BatchList} />`}
  </section>`;
}
