// Where o2a's own files are (package.json, catalogs/, plans/, runtime migrations): found by
// walking up from this module, so it holds both when the TypeScript sources run directly and
// when they run from the bundle in dist/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: { dir: string; version: string } | undefined;

function findRoot(): { dir: string; version: string } {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === 'o2a') return (root = { dir, version: version ?? '0.0.0' });
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`o2a: cannot find the o2a package above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function projectRoot(): string {
  return findRoot().dir;
}

/** A path inside the o2a package, e.g. `projectPath('catalogs', '2026.11')`. */
export function projectPath(...segments: string[]): string {
  return join(projectRoot(), ...segments);
}

/** The version in o2a's package.json (read once, with the root). */
export function toolVersion(): string {
  return findRoot().version;
}
