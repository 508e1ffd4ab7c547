// The workspace as the server sees it: open documents over the .o2a files on disk, grouped into
// compile units, each checked against its catalog snapshot. Results are cached per unit and reused
// until a document of the unit, a file on disk or the catalog changes.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { compileWorkspace, type CompileResult, type ParsedSource } from '../compiler/index.js';
import { loadCatalog } from '../compiler/catalog/load.js';
import type { CatalogSnapshot } from '../compiler/catalog/schema.js';
import { chooseSnapshot, snapshotVersionsIn, type CatalogPin } from '../compiler/catalog/pins.js';
import type { Diagnostic } from '../compiler/diagnostics/index.js';
import { parse, reparse, type SyntaxToken } from '../compiler/syntax/index.js';
import type { Document } from '../compiler/syntax/ast.js';
import { FileNames } from './convert.js';
import { lex, relex } from './relex.js';

export type ParseResult = ReturnType<typeof parse>;
export type Compilation = CompileResult;

export interface SourceFile {
  file: string;
  text: string;
  /** Editor version for open documents; undefined for files read from disk. */
  version?: number;
}

/** One compile unit: the .o2a files of one directory, as `o2a check <dir>` sees them. */
export interface UnitAnalysis {
  unit: string;
  sources: SourceFile[];
  catalog?: CatalogSnapshot;
  /** The snapshot directory (workspace-relative when inside the root). */
  catalogPath?: string;
  catalogDiagnostics: Diagnostic[];
  compilation: Compilation;
  /** Every diagnostic, catalog ones included, sorted as the compiler sorts them. */
  diagnostics: Diagnostic[];
}

interface DiskFile {
  text: string;
  mtimeMs: number;
}

interface CachedCatalog {
  mtimeMs: number;
  catalog?: CatalogSnapshot;
  diagnostics: Diagnostic[];
}

export class Workspace {
  readonly names: FileNames;
  private readonly open = new Map<string, TextDocument>();
  private readonly disk = new Map<string, DiskFile>();
  private readonly catalogs = new Map<string, CachedCatalog>();
  private readonly parses = new Map<string, { text: string; result: ParseResult }>();
  private readonly lexed = new Map<string, { text: string; tokens: SyntaxToken[] }>();
  private readonly analyses = new Map<string, { key: string; analysis: UnitAnalysis }>();
  /** Listed .o2a files per unit directory, until a watched-file event says otherwise. */
  private readonly listings = new Map<string, string[]>();

  /** A snapshot path for every unit (`--catalog`), `null` for none, undefined to infer it. */
  catalogOverride: string | null | undefined;

  constructor(readonly root: string | undefined) {
    this.names = new FileNames(root);
  }

  openDocument(doc: TextDocument): string {
    const file = this.names.fileOf(doc.uri);
    this.open.set(file, doc);
    return file;
  }

  closeDocument(uri: string): string {
    const file = this.names.fileOf(uri);
    this.open.delete(file);
    this.lexed.delete(file);
    return file;
  }

  openFiles(): string[] {
    return [...this.open.keys()];
  }

  isOpen(file: string): boolean {
    return this.open.has(file);
  }

  document(file: string): TextDocument | undefined {
    return this.open.get(file);
  }

  /** A file or a catalog changed on disk: forget what was read. */
  fileChanged(uri: string): void {
    const file = this.names.fileOf(uri);
    this.disk.delete(file);
    this.listings.delete(this.unitOf(file));
    for (const dir of this.catalogs.keys()) {
      if (file === dir || file.startsWith(`${dir}/`)) this.catalogs.delete(dir);
    }
  }

  textOf(file: string): string | undefined {
    const doc = this.open.get(file);
    if (doc !== undefined) return doc.getText();
    return this.readDisk(file)?.text;
  }

  /** Parses a file, reusing the last parse while its text is unchanged. */
  parsed(file: string): ParseResult | undefined {
    const text = this.textOf(file);
    if (text === undefined) return undefined;
    const cached = this.parses.get(file);
    if (cached !== undefined && cached.text === text) return cached.result;
    // After an edit inside one step, only that step is parsed again.
    const result = cached !== undefined ? reparse(cached.result, text, file) : parse(text, file);
    this.parses.set(file, { text, result });
    return result;
  }

  /**
   * The tokens of a file's current text, for completion: the last ones with the edited lines
   * lexed again (no parse: completion must not wait for one). Keywords used as names are
   * `keyword` here; completion only asks whether a token is a word.
   */
  tokensOf(file: string): SyntaxToken[] | undefined {
    const text = this.textOf(file);
    if (text === undefined) return undefined;
    const lexed = this.lexed.get(file);
    if (lexed !== undefined && lexed.text === text) return lexed.tokens;
    const tokens = lexed !== undefined ? relex(lexed.text, lexed.tokens, text) : lex(text);
    this.lexed.set(file, { text, tokens });
    return tokens;
  }

  unitOf(file: string): string {
    const slash = file.lastIndexOf('/');
    return slash < 0 ? '.' : file.slice(0, slash);
  }

  unitFiles(unit: string): string[] {
    const files = new Set(this.listUnit(unit));
    for (const file of this.open.keys()) if (this.unitOf(file) === unit && file.endsWith('.o2a')) files.add(file);
    return [...files].sort();
  }

  /** The up-to-date analysis of the unit holding `file`, computed at most once per change. */
  analyse(file: string): UnitAnalysis {
    const unit = this.unitOf(file);
    const sources: SourceFile[] = [];
    for (const f of this.unitFiles(unit)) {
      const doc = this.open.get(f);
      if (doc !== undefined) sources.push({ file: f, text: doc.getText(), version: doc.version });
      else {
        const d = this.readDisk(f);
        if (d !== undefined) sources.push({ file: f, text: d.text });
      }
    }
    const catalogPath = this.catalogPathOf(sources);
    const cat = catalogPath?.path !== undefined ? this.loadCatalogCached(catalogPath.path) : undefined;
    const key = JSON.stringify([
      sources.map((s) => [s.file, s.version ?? this.disk.get(s.file)?.mtimeMs]),
      catalogPath?.path,
      cat?.mtimeMs,
    ]);
    const cached = this.analyses.get(unit);
    if (cached !== undefined && cached.key === key && sameTexts(cached.analysis.sources, sources)) return cached.analysis;

    const catalogDiagnostics: Diagnostic[] = [];
    if (catalogPath !== undefined) catalogDiagnostics.push(...catalogPath.diagnostics);
    if (cat !== undefined) catalogDiagnostics.push(...cat.diagnostics);
    const parses = new Map<string, ParsedSource>();
    for (const s of sources) {
      const p = this.parsed(s.file);
      if (p !== undefined) parses.set(s.file, { text: s.text, document: p.document, diagnostics: p.diagnostics });
    }
    const compilation = compileWorkspace(
      sources.map((s) => ({ file: s.file, text: s.text })),
      cat?.catalog,
      // The editor never uses compiled plans: skip lowering and emitting.
      // Edit after edit: reuse the binding of the steps an edit did not touch.
      // The fix of a syntax error is checked when code actions ask for it, not on every edit.
      { catalogDiagnostics, parses, emit: false, reuse: true, verifySyntaxFixes: false },
    );
    const analysis: UnitAnalysis = {
      unit,
      sources,
      catalogDiagnostics,
      compilation,
      diagnostics: compilation.diagnostics,
    };
    if (cat?.catalog !== undefined) analysis.catalog = cat.catalog;
    if (catalogPath?.path !== undefined) analysis.catalogPath = catalogPath.path;
    this.analyses.set(unit, { key, analysis });
    return analysis;
  }

  /** The last analysis of the unit, however stale; cheap. */
  lastAnalysis(file: string): UnitAnalysis | undefined {
    return this.analyses.get(this.unitOf(file))?.analysis;
  }

  /** The AST of the file's current text (parsed once per text). */
  documentOf(file: string): Document | undefined {
    return this.parsed(file)?.document;
  }

  /** Every unit under the workspace root that holds .o2a files (for workspace symbols). */
  allUnits(): string[] {
    const units = new Set<string>();
    for (const file of this.open.keys()) units.add(this.unitOf(file));
    if (this.root !== undefined) {
      const visit = (dir: string, depth: number) => {
        if (depth > 6) return;
        let entries;
        try {
          entries = readdirSync(dir, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          if (e.name.startsWith('.') || e.name === 'node_modules') continue;
          if (e.isDirectory()) visit(join(dir, e.name), depth + 1);
          else if (e.name.endsWith('.o2a')) units.add(this.unitOf(this.names.fileOfPath(join(dir, e.name))));
        }
      };
      visit(this.root, 0);
    }
    return [...units].sort();
  }

  private listUnit(unit: string): string[] {
    const known = this.listings.get(unit);
    if (known !== undefined) return known;
    const dir = this.names.pathOf(unit === '.' ? (this.root ?? '.') : unit);
    let files: string[] = [];
    try {
      files = readdirSync(dir)
        .filter((e) => e.endsWith('.o2a'))
        .map((e) => this.names.fileOfPath(join(dir, e)))
        .sort();
    } catch {
      files = [];
    }
    this.listings.set(unit, files);
    return files;
  }

  private readDisk(file: string): DiskFile | undefined {
    const path = this.names.pathOf(file);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      this.disk.delete(file);
      return undefined;
    }
    const cached = this.disk.get(file);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached;
    try {
      const d = { text: readFileSync(path, 'utf8'), mtimeMs };
      this.disk.set(file, d);
      return d;
    } catch {
      return undefined;
    }
  }

  /**
   * The snapshot the unit is checked against: `--catalog`, or by the CLI's rule (compiler/catalog/
   * pins.ts) among the snapshots of `catalogs/` at the workspace root (beside the unit's folder
   * without one), with the same findings on the `catalog` lines when no pin names one.
   */
  private catalogPathOf(sources: SourceFile[]): { path?: string; diagnostics: Diagnostic[] } | undefined {
    if (this.catalogOverride === null) return undefined;
    if (this.catalogOverride !== undefined) return { path: this.catalogOverride, diagnostics: [] };
    const pins: CatalogPin[] = [];
    for (const s of sources) {
      const binding = this.parsed(s.file)?.document.catalog;
      if (binding !== undefined && binding.version.name !== '') pins.push({ file: s.file, version: binding.version.name, range: binding.version.range });
    }
    if (pins.length === 0) return undefined;
    const folder = this.root !== undefined ? 'catalogs' : join(dirname(this.names.pathOf(pins[0]!.file)), '..', 'catalogs');
    const choice = chooseSnapshot(pins, snapshotVersionsIn(this.names.pathOf(folder)));
    return { ...(choice.version !== undefined ? { path: `${folder}/${choice.version}` } : {}), diagnostics: choice.diagnostics };
  }

  private loadCatalogCached(path: string): CachedCatalog {
    const full = this.names.pathOf(path);
    let mtimeMs = -1;
    try {
      const file = statSync(full).isDirectory() ? join(full, 'catalog.json') : full;
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      mtimeMs = -1;
    }
    const cached = this.catalogs.get(path);
    if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached;
    // Relative paths keep catalog diagnostics named as the CLI names them (the server runs in the root).
    const loaded = loadCatalog(this.root !== undefined && process.cwd() === this.root ? path : full);
    const entry: CachedCatalog = { mtimeMs, diagnostics: loaded.diagnostics };
    if (loaded.catalog !== undefined) entry.catalog = loaded.catalog;
    this.catalogs.set(path, entry);
    return entry;
  }
}

function sameTexts(a: SourceFile[], b: SourceFile[]): boolean {
  return a.length === b.length && a.every((s, i) => s.file === b[i]!.file && s.text === b[i]!.text);
}
