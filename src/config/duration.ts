const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION = /^(\d+)(ms|s|m|h|d)$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** `500ms`, `30s`, `5m`, `24h`, `7d` → milliseconds. Whole numbers only, so configs stay unambiguous. */
export function parseDuration(text: string): Parsed<number> {
  const match = DURATION.exec(text.trim());
  if (!match) {
    return { ok: false, error: `"${text}" is not a duration; use a whole number and a unit (ms, s, m, h, d), e.g. 30s, 5m, 24h` };
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  if (ms <= 0) return { ok: false, error: `"${text}" must be longer than zero` };
  return { ok: true, value: ms };
}

/** The shortest exact spelling of a duration, for messages and the accounts listing. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
