import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { formatPath } from '../config/format-path.js';
import { substituteEnv } from '../config/substitute-env.js';

/**
 * One account (or the fields to change) for `closer accounts add|update`:
 * a JSON or YAML file, `-` for stdin, written like an entry of the accounts
 * file; `${NAME}` is read from the environment, so a secret need not be in
 * the file or the shell history. The fields are checked by the same code as
 * the API's.
 */
export function readAccountSpec(file: string, env: Readonly<Record<string, string | undefined>> = process.env): unknown {
  const text = readFileSync(file === '-' ? 0 : file, 'utf8');
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new Error(`${file === '-' ? 'stdin' : file} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const substituted = substituteEnv(parsed, env);
  if (substituted.problems.length > 0) throw new Error(substituted.problems.map((problem) => `${formatPath(problem.path)}: ${problem.message}`).join('\n'));
  return substituted.value;
}
