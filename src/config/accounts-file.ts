import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseAccount } from './account-schema.js';
import { formatPath } from './format-path.js';
import { substituteEnv } from './substitute-env.js';

export interface FileAccounts {
  /** Valid accounts, each with the index it had in the file. */
  accounts: { index: number; value: unknown }[];
  problems: string[];
}

export type ReadFile = (path: string) => string;

/**
 * Reads `CLOSER_ACCOUNTS_FILE` (JSON or YAML): a list of accounts, or an object
 * with an `accounts` list. Every problem names the file and the field.
 */
export function readAccountsFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile,
  cwd: string,
): FileAccounts {
  const where = `CLOSER_ACCOUNTS_FILE (${path})`;
  let text: string;
  try {
    text = readFile(resolve(cwd, path));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { accounts: [], problems: [`${where}: cannot be read: ${reason}`] };
  }

  let parsed: unknown;
  try {
    parsed = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    return { accounts: [], problems: [`${where}: is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`] };
  }

  const list = Array.isArray(parsed) ? parsed : (parsed as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(list)) {
    return { accounts: [], problems: [`${where}: must be a list of accounts, or an object with an "accounts" list`] };
  }

  const problems: string[] = [];
  const accounts: FileAccounts['accounts'] = [];
  list.forEach((raw, index) => {
    const substituted = substituteEnv(raw, env);
    const field = (path: (string | number)[]) => `${where}: ${formatPath(['accounts', index, ...path])}`;
    for (const problem of substituted.problems) problems.push(`${field(problem.path)}: ${problem.message}`);
    // The rest of the account is checked too; a field that still holds its ${NAME} is reported once, above.
    const unresolved = substituted.problems.map((problem) => formatPath(problem.path));
    const result = parseAccount(substituted.value);
    if (result.ok && unresolved.length === 0) accounts.push({ index, value: result.value });
    if (!result.ok) {
      for (const issue of result.issues) if (!unresolved.includes(formatPath(issue.path))) problems.push(`${field(issue.path)}: ${issue.message}`);
    }
  });
  return { accounts, problems };
}
