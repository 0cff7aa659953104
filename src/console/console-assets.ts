import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSS } from './console-styles.js';

/** A file the console serves: its bytes and content type. */
export interface ConsoleAsset {
  body: Buffer;
  type: string;
}

export interface ConsoleAssets {
  /** The front end's own file (web/<name>, or console.css), or undefined when there is none of that name. */
  own(name: string): Promise<ConsoleAsset | undefined>;
  /** preact, preact/hooks or htm, from node_modules, as ES modules. */
  vendor(name: string): Promise<ConsoleAsset | undefined>;
}

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8' };
/** Plain names only: nothing outside the folder can be asked for. */
const OWN_NAME = /^[a-z][a-z0-9-]*\.js$/;
const STYLES: ConsoleAsset = { body: Buffer.from(CONSOLE_CSS), type: 'text/css; charset=utf-8' };

/**
 * The front end's files, read once and kept: its own (web/ beside this
 * module; the build copies them into dist) and the libraries it imports,
 * straight from node_modules, so the console works with no network.
 */
export function createConsoleAssets(): ConsoleAssets {
  const web = fileURLToPath(new URL('./web/', import.meta.url));
  const require = createRequire(import.meta.url);
  const vendorFiles: Record<string, () => string> = {
    'preact.mjs': () => require.resolve('preact'),
    'hooks.mjs': () => require.resolve('preact/hooks'),
    // Its "require" entry is CommonJS; the ES module sits beside it.
    'htm.mjs': () => join(dirname(require.resolve('htm')), 'htm.mjs'),
  };
  const kept = new Map<string, Promise<ConsoleAsset | undefined>>();
  const load = (key: string, path: () => string) => {
    let asset = kept.get(key);
    if (!asset) {
      asset = readFile(path()).then(
        (body) => ({ body, type: TYPES[key.split('.').pop()!]! }),
        () => undefined,
      );
      kept.set(key, asset);
    }
    return asset;
  };
  return {
    own: async (name) => (name === 'console.css' ? STYLES : OWN_NAME.test(name) ? load(name, () => join(web, name)) : undefined),
    vendor: async (name) => {
      const path = vendorFiles[name];
      return path ? load(`vendor/${name}`, path) : undefined;
    },
  };
}
