import type { z } from 'zod';
import { formatPath } from '../config/format-path.js';
import { ValidationError, type ValidationIssue } from './producer-errors.js';

export const UNKNOWN_FIELD = 'is not a known field';

export interface IssueOptions {
  /** The list field whose items' problems carry their position as `index` (`conversations`, `ids`); every other issue has null. */
  indexed?: string;
}

type Path = readonly PropertyKey[];

const startsWith = (path: Path, prefix: Path) => prefix.every((part, position) => path[position] === part);

function toIssue(path: Path, message: string, { indexed }: IssueOptions): ValidationIssue {
  const parts = path.map((part) => (typeof part === 'number' ? part : String(part)));
  const index = indexed !== undefined && parts[0] === indexed && typeof parts[1] === 'number' ? parts[1] : null;
  return { index, path: formatPath(parts), message };
}

/**
 * A request schema's problems as the API reports them: one issue per field,
 * by path, an unknown field as "is not a known field". zod tells an object's
 * unknown fields after its fields' own problems; the API has always told them
 * first, so each goes before the first problem inside its object.
 */
export function issuesOf(error: z.ZodError, options: IssueOptions = {}): ValidationIssue[] {
  // zod checks a length (min, max) on anything that has one, even after saying it is of the wrong type: a
  // field of the wrong type gets that one issue.
  const mistyped = new Set(error.issues.filter((issue) => issue.code === 'invalid_type').map((issue) => JSON.stringify(issue.path)));
  const ordered: { path: Path; issue: ValidationIssue }[] = [];
  for (const issue of error.issues) {
    if (issue.code !== 'invalid_type' && mistyped.has(JSON.stringify(issue.path))) continue;
    if (issue.code !== 'unrecognized_keys') {
      ordered.push({ path: issue.path, issue: toIssue(issue.path, issue.message, options) });
      continue;
    }
    const unknown = issue.keys.map((key) => ({ path: [...issue.path, key], issue: toIssue([...issue.path, key], UNKNOWN_FIELD, options) }));
    const first = ordered.findIndex((entry) => startsWith(entry.path, issue.path));
    ordered.splice(first < 0 ? ordered.length : first, 0, ...unknown);
  }
  return ordered.map((entry) => entry.issue);
}

/** The schema's output for `input`, or a ValidationError naming every problem. */
export function validated<S extends z.ZodType>(schema: S, input: unknown, options: IssueOptions = {}): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(issuesOf(result.error, options));
  return result.data;
}
