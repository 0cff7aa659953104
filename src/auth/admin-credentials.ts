import { timingSafeEqual } from 'node:crypto';

/** What admits a person to the dashboard and the console: the API token, or the dashboard's own basic auth when configured. */
export interface AdminCredentials {
  apiToken: string;
  basicAuth?: { user: string; password: string };
}

/** Compares in constant time for strings of one length (a length mismatch answers at once: lengths are no secret here). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A user and password as a browser's basic-auth prompt or the console's
 * login form sends them: any user with the API token as password, or the
 * configured basic-auth user and password.
 */
export function adminLogin(user: string, password: string, { apiToken, basicAuth }: AdminCredentials): boolean {
  return sameSecret(password, apiToken) || (basicAuth !== undefined && sameSecret(user, basicAuth.user) && sameSecret(password, basicAuth.password));
}

/**
 * An Authorization header that carries admin credentials: `Bearer <API
 * token>`, or basic auth as adminLogin takes it (browsers cannot send a
 * bearer token when opening a page, but prompt for basic auth).
 */
export function adminAuthorization(header: string | undefined, credentials: AdminCredentials): boolean {
  const [scheme, value = ''] = (header ?? '').split(' ', 2);
  if (scheme === 'Bearer') return sameSecret(value, credentials.apiToken);
  if (scheme !== 'Basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  return adminLogin(decoded.slice(0, colon), decoded.slice(colon + 1), credentials);
}
