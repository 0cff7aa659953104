#!/usr/bin/env node
// The npm registry mirror on our build machines serves only the linux
// builds of packages with per-platform binaries (@msgpackr-extract/*,
// @unrs/resolver-binding-*); `npm install` then leaves the other platforms
// out of package-lock.json and `npm ci` refuses the lock as out of sync.
// This adds each missing optional platform package back with the os/cpu its
// name states, as npm writes them with a complete registry: npm ci skips
// them here and fetches them by version on the platforms that need them.
// Run after every `npm install` that changes the lock: `npm run lockfile:complete`.
import { readFileSync, writeFileSync } from 'node:fs';

const OS = new Set(['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony']);
const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const added = [];

for (const [location, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
    const tokens = name.split('/').pop().split('-');
    const osIndex = tokens.findIndex((token) => OS.has(token));
    if (osIndex < 0 || !tokens[osIndex + 1]) continue;
    const libc = tokens.includes('musl') ? ['musl'] : tokens.includes('gnu') || tokens.includes('gnueabihf') ? ['glibc'] : undefined;
    lock.packages[`node_modules/${name}`] = {
      version,
      cpu: [tokens[osIndex + 1]],
      ...(entry.dev ? { dev: true } : {}),
      ...(libc ? { libc } : {}),
      license: entry.license,
      optional: true,
      os: [tokens[osIndex]],
    };
    added.push(`${name}@${version}`);
  }
}

lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform packages:\n  ${added.join('\n  ')}` : 'lockfile already complete');
