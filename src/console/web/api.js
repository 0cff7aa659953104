// Talks to the console's JSON under <base>/api. State-changing requests carry the
// session's CSRF token (from the page) in a header; the cookie alone changes nothing.
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content') ?? '';

export const CSRF_HEADER = 'x-closer-csrf';
const csrfToken = meta('closer-csrf');
/** `{ base, dashboard }`: where the console and bull-board are served. */
export const paths = JSON.parse(meta('closer-paths') || '{"base":"/console","dashboard":"/dashboard"}');

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.error;
  }
}

async function answerOf(response) {
  // The session expired or was ended: back to the login page.
  if (response.status === 401) {
    location.assign(`${paths.base}/login`);
    throw new ApiError(401, { message: 'log in again' });
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const getJson = async (path) => answerOf(await fetch(`${paths.base}/api${path}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' }));

export const postJson = async (path, body = {}) =>
  answerOf(
    await fetch(`${paths.base}/api${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', [CSRF_HEADER]: csrfToken },
      body: JSON.stringify(body),
    }),
  );

/** A query string of the given values, empty ones left out. */
export const query = (values) => {
  const text = new URLSearchParams(Object.entries(values).filter(([, value]) => value !== undefined && value !== '' && value !== null)).toString();
  return text ? `?${text}` : '';
};
