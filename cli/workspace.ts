// Reading what the user points the CLI at: .o2a files, directories of them, catalog snapshots.
import { readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

export class UsageError extends Error {}

/**
 * What the CLI prints for a failure. A usage error, a failure of the system (a file it cannot
 * read, a database it cannot reach: Node and PostgreSQL errors carry a `code`) or a failed child
 * process is the user's to act on: its message. Anything else is a bug in o2a: named so, its stack
 * printed only with O2A_DEBUG=1 (an operator reading CI logs wants the message first).
 */
export function describeError(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (!(error instanceof Error)) return `internal error: ${String(error)}`;
  if (error instanceof UsageError) return error.message;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || 'stderr' in error) return error.message.trim();
  if (env['O2A_DEBUG'] === '1') return `internal error: ${error.stack ?? error.message}`;
  return `internal error: ${error.message} (a bug in o2a; O2A_DEBUG=1 prints its stack trace)`;
}

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

/**
 * What the CLI compiles for the paths it is given. A folder is a workspace of its own: every .o2a
 * file under it. A file given alone is checked in its workspace, the .o2a files of its folder
 * (not below it), which is the language server's compile unit (lsp/workspace.ts), so that the
 * templates and plans it uses from the files beside it resolve. Only the findings of the files
 * given (`focus`) are reported, with what stops their plans elsewhere (compiler/findings.ts).
 */
export interface PlanWorkspace {
  /** Every file to compile, sorted. */
  files: string[];
  /** The files whose findings and plans are reported; undefined when only folders were given. */
  focus?: ReadonlySet<string>;
}

export function planWorkspace(paths: readonly string[]): PlanWorkspace {
  const files = new Set<string>();
  const focus = new Set<string>();
  let folderGiven = false;
  for (const path of paths) {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      throw new UsageError(`no such file or directory: ${path}`);
    }
    if (stat.isDirectory()) {
      folderGiven = true;
      for (const file of collectPlanFiles([path])) {
        files.add(file);
        focus.add(file);
      }
      continue;
    }
    const file = displayPath(path);
    files.add(file);
    focus.add(file);
    if (!path.endsWith('.o2a')) continue;
    for (const entry of readdirSync(dirname(path), { withFileTypes: true })) {
      if (!entry.name.endsWith('.o2a') || entry.name.startsWith('.')) continue;
      const sibling = join(dirname(path), entry.name);
      const target = entry.isSymbolicLink() ? statOrUndefined(sibling) : entry;
      if (target?.isFile()) files.add(displayPath(sibling));
    }
  }
  const sorted = [...files].sort();
  return folderGiven && focus.size === files.size ? { files: sorted } : { files: sorted, focus };
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
