import { createHmac, randomBytes } from 'node:crypto';
import { sameSecret } from '../auth/admin-credentials.js';

/** A logged-in console session, as its cookie carries it. */
export interface ConsoleSession {
  /** The cookie's value: `<issued at, base 36>.<random>.<signature>`. */
  value: string;
  /** What the session's state-changing requests must send in CONSOLE_CSRF_HEADER. */
  csrfToken: string;
  issuedAt: number;
}

export interface ConsoleSessions {
  /** A new session (after a login). */
  issue(): ConsoleSession;
  /** The session a cookie names, if it is genuine, not expired and not ended. */
  find(value: string | undefined): ConsoleSession | undefined;
  /** Ends a session (a logout): this process refuses its cookie from now on, until it would have expired anyway. */
  end(value: string): void;
  readonly lifetimeMs: number;
}

export interface ConsoleSessionOptions {
  lifetimeMs?: number;
  now?: () => number;
}

/** A session lasts a working day; then the console asks for the token again. */
export const SESSION_LIFETIME_MS = 12 * 3_600_000;

/**
 * Sessions signed with a key derived from the API token, so every API
 * process behind a load balancer accepts the cookie another one issued, no
 * session is kept anywhere, and changing the token logs everyone out. The
 * CSRF token is derived from the cookie with the same key: a page that can
 * read it (the console's own) proves it was served to this session.
 *
 * A logout is remembered by the process that served it only; the browser
 * drops the cookie at once, and a copy of it stops working everywhere when
 * it expires.
 */
export function createConsoleSessions(apiToken: string, { lifetimeMs = SESSION_LIFETIME_MS, now = Date.now }: ConsoleSessionOptions = {}): ConsoleSessions {
  const key = createHmac('sha256', apiToken).update('closer console sessions v1').digest();
  const sign = (text: string) => createHmac('sha256', key).update(text).digest('base64url');
  const csrfOf = (value: string) => sign(`csrf.${value}`);
  /** Ended sessions, by cookie value, until they expire. */
  const ended = new Map<string, number>();

  const forgetExpired = () => {
    const at = now();
    for (const [value, expiresAt] of ended) if (expiresAt <= at) ended.delete(value);
  };

  return {
    lifetimeMs,
    issue() {
      const issuedAt = now();
      const unsigned = `${issuedAt.toString(36)}.${randomBytes(18).toString('base64url')}`;
      const value = `${unsigned}.${sign(unsigned)}`;
      return { value, csrfToken: csrfOf(value), issuedAt };
    },
    find(value) {
      if (!value) return undefined;
      const parts = value.split('.');
      if (parts.length !== 3) return undefined;
      const [issued, random, signature] = parts as [string, string, string];
      if (!sameSecret(signature, sign(`${issued}.${random}`))) return undefined;
      const issuedAt = parseInt(issued, 36);
      const age = now() - issuedAt;
      // A little slack for clocks of several API processes that disagree.
      if (!Number.isSafeInteger(issuedAt) || age >= lifetimeMs || age < -60_000) return undefined;
      if (ended.has(value)) return undefined;
      return { value, csrfToken: csrfOf(value), issuedAt };
    },
    end(value) {
      forgetExpired();
      const session = this.find(value);
      if (session) ended.set(value, session.issuedAt + lifetimeMs);
    },
  };
}
