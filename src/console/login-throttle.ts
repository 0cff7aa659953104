/** Refused logins a client may make within WINDOW_MS before it must wait. */
export const MOST_FAILURES = 10;
const WINDOW_MS = 60_000;
/** Clients remembered at most: past it, the oldest are let go (memory stays bounded whoever knocks). */
const MOST_CLIENTS = 10_000;

export interface LoginThrottle {
  /** Seconds the client must wait before its next attempt; 0 when it may try now. */
  waitSeconds(client: string): number;
  /** A refused attempt of the client. */
  refused(client: string): void;
  /** A successful login: the client's refusals are forgotten. */
  admitted(client: string): void;
}

/**
 * Slows down guessing of the API token through the console's login form:
 * after MOST_FAILURES refused attempts within a minute, a client (by
 * address) is refused for the rest of that minute without its credentials
 * being checked. Kept in the process (each API process counts its own).
 */
export function createLoginThrottle({ now = Date.now }: { now?: () => number } = {}): LoginThrottle {
  /** client → its refusals of the current window: when the window began and how many. Insertion order is age. */
  const failures = new Map<string, { since: number; count: number }>();
  const current = (client: string) => {
    const entry = failures.get(client);
    if (entry && now() - entry.since >= WINDOW_MS) {
      failures.delete(client);
      return undefined;
    }
    return entry;
  };
  return {
    waitSeconds(client) {
      const entry = current(client);
      return entry && entry.count >= MOST_FAILURES ? Math.max(1, Math.ceil((entry.since + WINDOW_MS - now()) / 1000)) : 0;
    },
    refused(client) {
      const entry = current(client);
      if (entry) {
        entry.count += 1;
        return;
      }
      if (failures.size >= MOST_CLIENTS) failures.delete(failures.keys().next().value!);
      failures.set(client, { since: now(), count: 1 });
    },
    admitted(client) {
      failures.delete(client);
    },
  };
}
