import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { accountVariables, GENERAL_VARIABLES, loadConfig } from '../../../src/config/index.js';

const lines = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8').split('\n');
const entries = lines.flatMap((line, index) => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
  return match ? [{ name: match[1]!, value: match[2]!, comment: lines[index - 1] ?? '' }] : [];
});

describe('.env.example', () => {
  it('lists exactly the variables the configuration reads', () => {
    expect(entries.map((entry) => entry.name).sort()).toEqual([...GENERAL_VARIABLES, ...accountVariables()].sort());
  });

  it('has a comment line above every variable', () => {
    expect(entries.filter(({ comment }) => !comment.startsWith('# ')).map(({ name }) => name)).toEqual([]);
  });

  it('loads as it is, so copying it to .env is a valid start', () => {
    const env = Object.fromEntries(entries.map(({ name, value }) => [name, value]));
    expect(loadConfig(env).accounts).toEqual([]);
  });
});
