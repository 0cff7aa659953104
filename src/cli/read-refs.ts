import { readFileSync } from 'node:fs';

/**
 * Refs for `closer close`: JSON arguments, or a file (`-` for stdin) holding
 * a JSON list, a list result (`{"conversations": [...]}`, whose items carry
 * `ref`) or one JSON ref per line. Nothing is checked here: the producer's
 * validation is the only one, so the CLI and the API agree.
 */
export function readRefs(args: readonly string[], file: string | undefined): unknown[] {
  const refs: unknown[] = args.map((arg) => parseJson(arg, `argument ${JSON.stringify(arg)}`));
  if (file !== undefined) {
    const text = readFileSync(file === '-' ? 0 : file, 'utf8').trim();
    refs.push(...fromText(text, file));
  }
  return refs;
}

function fromText(text: string, source: string): unknown[] {
  if (text === '') return [];
  const whole = tryJson(text);
  const list = Array.isArray(whole) ? whole : (whole as { conversations?: unknown } | undefined)?.conversations;
  if (Array.isArray(list)) {
    // Items of a list result carry their close ref in `ref`.
    return list.map((item) => (item && typeof item === 'object' && 'ref' in item ? (item as { ref: unknown }).ref : item));
  }
  return text.split('\n').filter((line) => line.trim() !== '').map((line, index) => parseJson(line, `${source} line ${index + 1}`));
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${where} is not valid JSON`);
  }
}
