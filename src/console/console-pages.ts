/** HTML of the console's two server-made pages: the login form and the shell the front end runs in. */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * What a console page may load: its own scripts and styles only (no CDN,
 * no inline script but the import map carrying the nonce), never framed.
 */
export const contentSecurityPolicy = (nonce: string): string =>
  [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

export interface PagePaths {
  /** The console's base path (/console). */
  base: string;
  /** bull-board's, linked for raw jobs. */
  dashboard: string;
}

/** The front end's modules by bare name (preact, htm), mapped to the console's copies of them. */
const importMap = (base: string) => JSON.stringify({ imports: { preact: `${base}/assets/vendor/preact.mjs`, 'preact/hooks': `${base}/assets/vendor/hooks.mjs`, htm: `${base}/assets/vendor/htm.mjs` } });

/** The page the front end draws into, with the session's CSRF token for its state-changing requests. */
export function shellPage({ base, dashboard }: PagePaths, { csrfToken, nonce }: { csrfToken: string; nonce: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>closer console</title>
<meta name="closer-csrf" content="${escapeHtml(csrfToken)}">
<meta name="closer-paths" content="${escapeHtml(JSON.stringify({ base, dashboard }))}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/console.css">
<script type="importmap" nonce="${escapeHtml(nonce)}">${importMap(base)}</script>
<script type="module" src="${base}/assets/app.js"></script>
</head>
<body>
<div id="console"><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

/** The login form: a plain form (no script), posting the API token or the dashboard's user and password. */
export function loginPage({ base }: PagePaths, { error, basicAuth }: { error?: string; basicAuth: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>closer console: log in</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/assets/console.css">
</head>
<body>
<main class="login">
<h1>closer console</h1>
<form method="post" action="${base}/login">
${error ? `<p class="notice error" role="alert">${escapeHtml(error)}</p>` : ''}
<label>User <input name="user" autocomplete="username" placeholder="${basicAuth ? 'dashboard user, or any with the API token' : 'any'}"></label>
<label>API token${basicAuth ? ' or dashboard password' : ''} <input name="password" type="password" autocomplete="current-password" required autofocus></label>
<button type="submit">Log in</button>
</form>
<p class="hint">The admin token is <code>CLOSER_API_TOKEN</code>${basicAuth ? '; the dashboard user and password are <code>CLOSER_DASHBOARD_BASIC_AUTH</code>' : ''}.</p>
</main>
</body>
</html>
`;
}
