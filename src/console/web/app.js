import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AccountPage } from './account-page.js';
import { AccountsPage } from './accounts-page.js';
import { ActionsProvider } from './actions.js';
import { paths, postJson } from './api.js';
import { BatchesPage } from './batches-page.js';
import { DeadLettersPage } from './dead-letters-page.js';
import { html } from './html.js';

/** The page a hash names: #/accounts, #/accounts/<id>, #/dead-letters?account=, #/batches/<id>. */
function routeOf(hash) {
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  const [section = 'accounts', id] = path.split('/').map((part) => decodeURIComponent(part));
  // What an action's notice belongs to: a new page starts without the last page's.
  const key = `${section}/${id ?? ''}`;
  return { section: section || 'accounts', id, params: new URLSearchParams(search), key };
}

function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return routeOf(hash);
}

function Page({ route }) {
  if (route.section === 'accounts') return route.id ? html`<${AccountPage} key=${route.id} id=${route.id} />` : html`<${AccountsPage} />`;
  if (route.section === 'dead-letters') return html`<${DeadLettersPage} params=${route.params} />`;
  if (route.section === 'batches') return html`<${BatchesPage} id=${route.id} />`;
  return html`<p>No such page. <a href="#/accounts">Accounts</a></p>`;
}

async function logOut() {
  await postJson('/logout').catch(() => undefined);
  location.assign(`${paths.base}/login`);
}

function Console() {
  const route = useRoute();
  const current = (section) => (route.section === section ? 'page' : undefined);
  return html`<header>
      <h1>closer console</h1>
      <nav>
        <a href="#/accounts" aria-current=${current('accounts')}>Accounts</a>
        <a href="#/dead-letters" aria-current=${current('dead-letters')}>Dead letters</a>
        <a href="#/batches" aria-current=${current('batches')}>Batches</a>
        <a href=${paths.dashboard} target="_blank" rel="noopener">Raw jobs (bull-board) ↗</a>
        <button class="link" onClick=${logOut}>Log out</button>
      </nav>
    </header>
    <main><${ActionsProvider} key=${route.key}><${Page} route=${route} /><//></main>`;
}

render(html`<${Console} />`, document.getElementById('console'));
