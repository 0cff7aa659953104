/** What a request's headers tell of the page that sent it. */
export interface OriginHeaders {
  /** The Host the request was sent to (host:port), as fastify reads it. */
  host: string;
  headers: Record<string, string | string[] | undefined>;
}

const header = (headers: OriginHeaders['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Why a request seems to come from a page of another origin, or undefined
 * when nothing says so. Browsers send `Origin` with every POST, PUT, PATCH
 * and DELETE (same-origin ones included) and `Sec-Fetch-Site` with every
 * request; a client that sends neither (curl, a script) is no browser page.
 *
 * Another port on the same host is another origin but the same site, so a
 * SameSite=Strict cookie still rides along on its requests: this check (and
 * the console's CSRF token) is what stops them, not the cookie's attribute.
 */
export function foreignOrigin({ host, headers }: OriginHeaders): string | undefined {
  const site = header(headers, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site: ${site}`;
  const origin = header(headers, 'origin');
  if (origin === undefined) return undefined;
  try {
    const sent = new URL(origin);
    // Read the same way, so a default port written out (Host: example.com:80) still matches.
    const own = new URL(`${sent.protocol}//${host}`);
    return sent.host !== '' && sent.host === own.host ? undefined : `Origin: ${origin}`;
  } catch {
    return `Origin: ${origin}`;
  }
}
