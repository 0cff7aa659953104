import { DAY_MS } from './time.js';

const FIRST_NAMES = ['Ana', 'Budi', 'Chen', 'Dewi', 'Emma', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemal', 'Lina'];
const LAST_NAMES = ['Santos', 'Wijaya', 'Li', 'Lestari', 'Müller', 'Haddad', 'Okafor', 'Tanaka', 'Rossi', 'Berg'];

export interface SamplePerson {
  readonly name: string;
  /** E.164, unique per index, in the +1 555 range used for fiction. */
  readonly phoneNumber: string;
  readonly email: string;
}

/** A deterministic, distinct person for seed index `index`, so seeded data is reproducible. */
export function samplePerson(index: number): SamplePerson {
  const first = FIRST_NAMES[index % FIRST_NAMES.length] ?? 'Alex';
  const last = LAST_NAMES[Math.floor(index / FIRST_NAMES.length) % LAST_NAMES.length] ?? 'Doe';
  const serial = String(index + 1).padStart(7, '0');
  return {
    name: `${first} ${last}`,
    phoneNumber: `+1555${serial}`,
    email: `${first}.${last}.${serial}@example.com`.toLowerCase(),
  };
}

export interface ActivitySpread {
  /** Age of the oldest last activity; ages are spread evenly up to it. Default 7 days. */
  readonly activitySpreadMs?: number;
}

/**
 * Last-activity time of seed item `index` of `count`: evenly spaced from
 * `spread / count` ago (index 0, the most recent) to `spread` ago, so a test
 * can tell exactly which items an idle cut-off selects.
 */
export function seededActivityAt(now: number, index: number, count: number, spread: ActivitySpread): number {
  const spreadMs = spread.activitySpreadMs ?? 7 * DAY_MS;
  return now - Math.round(((index + 1) * spreadMs) / count);
}
