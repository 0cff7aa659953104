/** `['accounts', 1, 'autoClose', 'idleAfter']` → `accounts[1].autoClose.idleAfter`. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}
