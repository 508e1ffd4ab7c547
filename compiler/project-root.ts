// Where o2a's own files are (package.json, catalogs/, plans/, runtime migrations): found by
// walking up from this module, so it holds both when the TypeScript sources run directly and
// when they run from the bundle in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'o2a') return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`o2a: cannot find the o2a package above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** A path inside the o2a package, e.g. `projectPath('catalogs', '2026.11')`. */
export function projectPath(...segments: string[]): string {
  return join(projectRoot(), ...segments);
}

/** The version in o2a's package.json. */
export function toolVersion(): string {
  return (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
}
