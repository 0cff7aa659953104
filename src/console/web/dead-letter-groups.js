import { useState } from 'preact/hooks';
import { useActions } from './actions.js';
import { postJson } from './api.js';
import { ago, count, link, plural, ref, time } from './format.js';
import { html } from './html.js';

const groupName = (group) => `${group.reason}${group.status ? ` ${group.status}` : ''}`;

/**
 * Dead letters grouped by reason and status, with their body excerpts, to
 * redrive a whole group, or redrive or delete the ones chosen. `scope`
 * (account, provider) narrows a group redrive as the list is narrowed.
 */
export function DeadLetterGroups({ answer, scope = {}, onChange, showAccount = false }) {
  const { act } = useActions();
  const [chosen, setChosen] = useState(() => new Set());
  const toggle = (id) =>
    setChosen((before) => {
      const next = new Set(before);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const done = () => {
    setChosen(new Set());
    onChange?.();
  };
  const ids = [...chosen];

  if (answer.total === 0) return html`<p class="empty">No dead letters.</p>`;
  return html`<div class="dead-letters">
    <p>
      ${plural(answer.total, 'dead letter')}${answer.read < answer.total ? html` (groups of the latest ${count(answer.read)})` : ''}.
      <span class="selection">
        ${count(ids.length)} chosen
        <button disabled=${ids.length === 0} onClick=${() => act(`Redrive the ${plural(ids.length, 'chosen dead letter')}? They run again with fresh attempts.`, () => postJson('/dead-letters/redrive', { ids }), done)}>Redrive chosen</button>
        <button class="danger" disabled=${ids.length === 0} onClick=${() => act(`Delete the ${plural(ids.length, 'chosen dead letter')}? They are gone for good.`, () => postJson('/dead-letters/delete', { ids }), done)}>Delete chosen</button>
      </span>
    </p>
    ${answer.groups.map(
      (group) => html`<section class="group" data-reason=${group.reason} data-status=${group.status ?? ''} key=${groupName(group)}>
        <h3>
          <span class="reason">${groupName(group)}</span>
          <small>${plural(group.count, 'dead letter')}, latest ${ago(group.latestAt)}, oldest ${ago(group.oldestAt)}${showAccount ? ` · ${group.accounts.join(', ')}` : ''}</small>
          <button
            onClick=${() =>
              act(`Redrive every ${groupName(group)} dead letter${scope.account ? ` of "${scope.account}"` : scope.provider ? ` of ${scope.provider} accounts` : ''}? They run again with fresh attempts.`, () =>
                postJson('/dead-letters/redrive', { group: { ...scope, reason: group.reason, status: group.status } }), done)}
          >Redrive group</button>
        </h3>
        <table>
          <thead><tr><th></th>${showAccount && html`<th>Account</th>`}<th>Conversation</th><th>Message and body excerpt</th><th>Failed</th><th>Attempts</th><th>Batch</th></tr></thead>
          <tbody>
            ${group.items.map(
              (item) => html`<tr key=${item.id} data-id=${item.id}>
                <td><input type="checkbox" aria-label=${`choose ${item.id}`} checked=${chosen.has(item.id)} onChange=${() => toggle(item.id)} /></td>
                ${showAccount && html`<td><a href=${link('accounts', item.account)}>${item.account}</a></td>`}
                <td><code>${ref(item.ref)}</code></td>
                <td>${item.message}${item.bodyExcerpt && html`<pre class="excerpt">${item.bodyExcerpt}</pre>`}</td>
                <td title=${time(item.failedAt)}>${ago(item.failedAt)}</td>
                <td class="number">${item.attempts}</td>
                <td>${item.batchId ? html`<a href=${link('batches', item.batchId)}>${item.batchId.slice(0, 8)}</a>` : '—'}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        ${group.items.length < group.count && html`<p class="hint">${count(group.count - group.items.length)} more in this group not shown; "Redrive group" takes them too.</p>`}
      </section>`,
    )}
  </div>`;
}
