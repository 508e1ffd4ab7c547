// Reading what the user points the CLI at: .o2a files, directories of them, catalog snapshots.
import { readdirSync, readFileSync, statSync } from 'node:fs';
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
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry === 'node_modules' || entry.startsWith('.')) continue;
        const child = join(path, entry);
        if (statSync(child).isDirectory() || entry.endsWith('.o2a')) visit(child, false);
      }
    } else if (explicit || path.endsWith('.o2a')) {
      files.add(displayPath(path));
    }
  };
  for (const p of paths) visit(p, true);
  return [...files].sort();
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
