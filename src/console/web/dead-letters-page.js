import { getJson, query } from './api.js';
import { DeadLetterGroups } from './dead-letter-groups.js';
import { plural } from './format.js';
import { html } from './html.js';
import { usePolling } from './polling.js';

const PROVIDERS = ['peach', 'callbell', 'chatwoot'];

/** Dead letters across accounts, grouped by reason; filtered by account, provider and HTTP status through the address (#/dead-letters?account=...). */
export function DeadLettersPage({ params }) {
  const account = params.get('account') ?? '';
  const provider = params.get('provider') ?? '';
  const status = params.get('status') ?? '';
  const { data, error, refresh } = usePolling(() => getJson(`/dead-letters${query({ account, provider, status })}`), [account, provider, status], 5_000);
  const filter = (changes) => {
    const next = new URLSearchParams({ account, provider, status, ...changes });
    for (const [key, value] of [...next]) if (!value) next.delete(key);
    location.hash = `#/dead-letters${next.size ? `?${next}` : ''}`;
  };
  return html`<section>
    <h2>Dead letters</h2>
    <form class="filters" onSubmit=${(event) => {
      event.preventDefault();
      filter({ account: new FormData(event.currentTarget).get('account').trim() });
    }}>
      <label>Account <input name="account" value=${account} placeholder="any" /></label>
      <button type="submit">Filter</button>
      <label>Provider <select value=${provider} onChange=${(event) => filter({ provider: event.currentTarget.value })}>
        <option value="">any</option>
        ${PROVIDERS.map((name) => html`<option value=${name}>${name}</option>`)}
      </select></label>
      <label>Status <select value=${status} onChange=${(event) => filter({ status: event.currentTarget.value })}>
        <option value="">any</option>
        ${[...new Set([...(data?.statuses ?? []).map((code) => (code === null ? 'none' : String(code))), ...(status ? [status] : [])])].map(
          (code) => html`<option value=${code}>${code === 'none' ? 'no answer' : code}</option>`,
        )}
      </select></label>
    </form>
    ${error && html`<p class="notice error" role="alert">Could not load the dead letters: ${error.message}</p>`}
    ${data && !account && html`<p>${plural(data.accounts, 'account')} with dead letters.</p>`}
    ${data && html`<${DeadLetterGroups} answer=${data} scope=${{ ...(account ? { account } : {}), ...(provider ? { provider } : {}) }} onChange=${refresh} showAccount=${true} />`}
  </section>`;
}
