const numbers = new Intl.NumberFormat('en');

export const count = (value) => numbers.format(value ?? 0);
export const plural = (value, one, many = `${one}s`) => `${count(value)} ${value === 1 ? one : many}`;

/** "3 min ago" for an ISO time (or ms since the epoch). */
export function ago(at) {
  if (at === null || at === undefined) return '—';
  const seconds = Math.max(0, Math.round((Date.now() - new Date(at).getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3_600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

export const time = (at) => (at ? new Date(at).toLocaleString('en-GB') : '—');

/** A conversation ref in one line: its fields as key=value. */
export const ref = (value) =>
  Object.entries(value ?? {})
    .map(([key, field]) => `${key}=${typeof field === 'object' ? JSON.stringify(field) : field}`)
    .join(' ');

/** Where a hash route points: #/accounts/<id> and the like, ids escaped. */
export const link = (...parts) => `#/${parts.map((part) => encodeURIComponent(part)).join('/')}`;
