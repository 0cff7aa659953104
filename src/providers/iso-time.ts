/** A provider's date (ISO text or unix seconds) as ISO 8601, or null when missing or unreadable. */
export function isoTime(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '' || value === 0) return null;
  const time = typeof value === 'number' ? value * 1000 : Date.parse(value);
  return Number.isFinite(time) ? new Date(time).toISOString() : null;
}
