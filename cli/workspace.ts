// Reading what the user points the CLI at: .o2a files, directories of them, catalog snapshots.
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';

export class UsageError extends Error {}

/** Expands files and directories (recursively) into a sorted list of .o2a files. */
export function collectPlanFiles(paths: readonly string[]): string[] {
  const files = new Set<string>();
  const visit = (path: string, explicit: boolean) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`no such file or directory: ${path}`);
    }
    if (stat.isDirectory()) walk(path);
    else if (explicit || path.endsWith('.o2a')) {
      files.add(displayPath(path));
    }
  };
  // Directory entries carry their type: one call per directory, no stat per file.
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const child = join(dir, entry.name);
      // A symbolic link counts as what it points to; a dangling one is skipped.
      const target = entry.isSymbolicLink() ? statOrUndefined(child) : entry;
      if (target?.isDirectory()) walk(child);
      else if (target?.isFile() && entry.name.endsWith('.o2a')) files.add(displayPath(child));
    }
  };
  for (const p of paths) visit(p, true);
  return [...files].sort();
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Paths relative to the working directory, with forward slashes, as diagnostics show them. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  const shown = rel === '' || rel.startsWith('..') ? path : rel;
  return shown.split(sep).join('/');
}

export function readSources(files: readonly string[]): { file: string; text: string }[] {
  return files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
}
