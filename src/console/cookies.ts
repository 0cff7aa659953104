/** The console's session cookie. */
export const SESSION_COOKIE = 'closer_console';

/** One cookie's value from a Cookie header (the first of that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const equals = part.indexOf('=');
    if (equals < 0 || part.slice(0, equals).trim() !== name) continue;
    const value = part.slice(equals + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The Set-Cookie header of a session: unreadable by scripts (HttpOnly), sent
 * only to the console's own paths, never on a request another site starts
 * (SameSite=Strict), over TLS only when the console is served over TLS.
 */
export function sessionCookie(value: string, { path, maxAgeSeconds, secure }: { path: string; maxAgeSeconds: number; secure: boolean }): string {
  return [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, `Path=${path}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

/** Set-Cookie that makes the browser forget the session. */
export const clearedSessionCookie = (path: string): string => `${SESSION_COOKIE}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Strict`;
