// End-to-end harness: starts the real server process (`o2a lsp --stdio`), speaks JSON-RPC to it
// over its stdio, and builds throwaway workspaces with the repository's catalog snapshots.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams, Position } from 'vscode-languageserver-protocol';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The server command: through the CLI once `o2a lsp` is wired into it, else the server module. */
export function serverCommand(): string[] {
  const cli = readFileSync(join(repoRoot, 'cli', 'main.ts'), 'utf8');
  return cli.includes('registerLspCommands')
    ? [join(repoRoot, 'bin', 'o2a.js'), 'lsp', '--stdio']
    : ['--import', 'tsx', join(repoRoot, 'lsp', 'main.ts'), '--stdio'];
}

/** Strips the `<|>` marker: the text, and where the marker was. */
export function cursor(source: string): { text: string; offset: number; position: Position } {
  const offset = source.indexOf('<|>');
  if (offset < 0) throw new Error('no <|> marker in the source');
  const text = source.slice(0, offset) + source.slice(offset + 3);
  return { text, offset, position: positionAt(text, offset) };
}

export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** The range of the n-th (0-based) occurrence of `needle` in `text`. */
export function rangeOf(text: string, needle: string, nth = 0): { start: Position; end: Position } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (#${nth}) not in the text`);
  }
  return { start: positionAt(text, at), end: positionAt(text, at + needle.length) };
}

/** Applies LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: { range: { start: Position; end: Position }; newText: string }[]): string {
  const offsetOf = (p: Position) => {
    const lines = text.split('\n');
    let o = 0;
    for (let i = 0; i < p.line; i++) o += lines[i]!.length + 1;
    return o + p.character;
  };
  // Last first; inserts at one position keep their array order in the result (as LSP says).
  const sorted = edits.map((e, i) => ({ e, i })).sort((a, b) => offsetOf(b.e.range.start) - offsetOf(a.e.range.start) || b.i - a.i).map((x) => x.e);
  let result = text;
  for (const e of sorted) result = result.slice(0, offsetOf(e.range.start)) + e.newText + result.slice(offsetOf(e.range.end));
  return result;
}

export interface WorkspaceOptions {
  /** Files to write, by path relative to the root. */
  files?: Record<string, string>;
  /** Copy the repository's sample plans into `plans/`. */
  samplePlans?: boolean;
  /** Link the repository's catalog snapshots as `catalogs/` (default true). */
  catalogs?: boolean;
  /** Copy (not link) the catalogs, so that a test may change them. */
  copyCatalogs?: boolean;
}

export function makeWorkspace(options: WorkspaceOptions = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'o2a-lsp-'));
  if (options.copyCatalogs) cpSync(join(repoRoot, 'catalogs'), join(root, 'catalogs'), { recursive: true });
  else if (options.catalogs !== false) symlinkSync(join(repoRoot, 'catalogs'), join(root, 'catalogs'), 'dir');
  if (options.samplePlans) {
    mkdirSync(join(root, 'plans'));
    for (const f of readdirSync(join(repoRoot, 'plans'))) if (f.endsWith('.o2a')) cpSync(join(repoRoot, 'plans', f), join(root, 'plans', f));
  }
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export interface LspSession {
  root: string;
  connection: MessageConnection;
  process: ChildProcess;
  uri(path: string): string;
  open(path: string, text: string): Promise<string>;
  change(uri: string, text: string): Promise<number>;
  close(uri: string): Promise<void>;
  /** The next diagnostics published for the uri at (at least) the version; the latest if already there. */
  diagnostics(uri: string, version?: number): Promise<Diagnostic[]>;
  /** Waits for a publication for the uri after this call. */
  nextDiagnostics(uri: string): Promise<Diagnostic[]>;
  request<R>(method: string, params: unknown): Promise<R>;
  notify(method: string, params: unknown): Promise<void>;
  logs: string[];
  stop(): Promise<void>;
}

export async function startSession(options: WorkspaceOptions & { initializationOptions?: Record<string, unknown>; root?: string } = {}): Promise<LspSession> {
  const root = options.root ?? makeWorkspace(options);
  const child = spawn(process.execPath, serverCommand(), { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<string, PublishDiagnosticsParams[]>();
  const waiters: { uri: string; ok: (p: PublishDiagnosticsParams) => boolean; resolve: (d: Diagnostic[]) => void }[] = [];
  const logs: string[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    const list = published.get(p.uri) ?? [];
    list.push(p);
    published.set(p.uri, list);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && w.ok(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p.diagnostics);
      }
    }
  });
  connection.onNotification('window/logMessage', (p: { message: string }) => {
    logs.push(p.message);
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('workspace/configuration', () => []);
  connection.listen();
  const rootUri = pathToFileURL(root).href;
  const exited = new Promise<never>((_, reject) => child.on('exit', (code) => reject(new Error(`the server exited (${code}) before initializing: ${stderr}`))));
  exited.catch(() => undefined);
  await Promise.race([exited, connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri,
    workspaceFolders: [{ uri: rootUri, name: 'ws' }],
    capabilities: {
      workspace: { didChangeWatchedFiles: { dynamicRegistration: true } },
      textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
    },
    initializationOptions: options.initializationOptions ?? {},
  })]);
  await connection.sendNotification('initialized', {});
  const versions = new Map<string, number>();
  const uri = (path: string) => pathToFileURL(join(root, path)).href;
  const session: LspSession = {
    root,
    connection,
    process: child,
    logs,
    uri,
    async open(path, text) {
      const u = uri(path);
      versions.set(u, 1);
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri: u, languageId: 'o2a', version: 1, text } });
      return u;
    },
    async change(u, text) {
      const version = (versions.get(u) ?? 1) + 1;
      versions.set(u, version);
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri: u, version }, contentChanges: [{ text }] });
      return version;
    },
    async close(u) {
      await connection.sendNotification('textDocument/didClose', { textDocument: { uri: u } });
    },
    diagnostics(u, version) {
      const ok = (p: PublishDiagnosticsParams) => version === undefined || (p.version ?? 0) >= version;
      const latest = published.get(u)?.at(-1);
      if (latest !== undefined && ok(latest) && (version !== undefined || latest !== undefined)) return Promise.resolve(latest.diagnostics);
      return new Promise((resolve) => waiters.push({ uri: u, ok, resolve }));
    },
    nextDiagnostics(u) {
      return new Promise((resolve) => waiters.push({ uri: u, ok: () => true, resolve }));
    },
    request: <R>(method: string, params: unknown) => connection.sendRequest(method, params) as Promise<R>,
    notify: (method, params) => connection.sendNotification(method, params),
    async stop() {
      try {
        await Promise.race([connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await connection.sendNotification('exit');
      } catch {
        // Already gone.
      }
      await new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          child.kill();
          r();
        }, 2000);
        child.on('exit', () => {
          clearTimeout(t);
          r();
        });
      });
      connection.dispose();
      if (options.root === undefined) rmSync(root, { recursive: true, force: true });
      if (stderr.includes('Error')) logs.push(stderr);
    },
  };
  return session;
}

export const header = 'catalog telco-core 2026.11\n\n';
