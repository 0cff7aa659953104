const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export interface Substitution {
  value: unknown;
  problems: { path: (string | number)[]; message: string }[];
}

/**
 * Replaces `${NAME}` in every string of a parsed accounts file with the
 * environment's value, so secrets can stay out of the file. A reference to an
 * unset variable is a problem at that field (the value itself is never echoed).
 */
export function substituteEnv(value: unknown, env: Readonly<Record<string, string | undefined>>): Substitution {
  const problems: Substitution['problems'] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      return node.replace(REFERENCE, (whole, name: string) => {
        const replacement = env[name];
        if (replacement === undefined || replacement === '') {
          problems.push({ path, message: `refers to \${${name}}, but the environment variable ${name} is not set` });
          return whole;
        }
        return replacement;
      });
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  return { value: walk(value, []), problems };
}
