// `o2a diff`: what a change of plans or of the catalog snapshot means for sagas in flight and for
// customers. Reads two sides (compiled plans, sources compiled on the fly, a git revision of the
// plans folder, or the same sources against two snapshots), diffs them, prints the changes.
// Exit codes: 0 no changes, 1 error, 2 changes all below --fail-on, 3 changes at or above it.
import { type Command, Option } from 'commander';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { parse } from '../../compiler/syntax/index.js';
import { compiledPlanSchema, type CompiledPlan } from '../../compiler/emit/schema.js';
import type { Diagnostic } from '../../compiler/diagnostics/index.js';
import { diffPlanSets, diffLevels, parseApprovals, type DiffLevel, type DiffReport, type PlanSet } from '../../compiler/diff/index.js';
import { renderDiffText } from '../printers/diff-text.js';
import { renderText } from '../printers/text.js';
import { renderDiffJson } from '../printers/diff-json.js';
import { renderDiffMarkdown } from '../printers/diff-markdown.js';
import { renderDiffSarif } from '../printers/diff-sarif.js';
import { renderDiffGithub } from '../printers/diff-github.js';
import { locatorFromSources } from '../printers/diff-location.js';
import { collectPlanFiles, describeError, planWorkspace } from '../workspace.js';
import { findingsOf } from '../../compiler/findings.js';
import type { CommandContext } from '../main.js';
import { toolVersion as readToolVersion } from '../../compiler/project-root.js';

export type DiffFormat = 'text' | 'json' | 'markdown' | 'sarif' | 'github';

// Read here rather than imported from main.ts, so the command loads without the whole CLI.
const toolVersion: string = readToolVersion();

export const DEFAULT_APPROVALS_FILE = '.o2a-approved.json';

/** A bad input: reported on stderr, exit code 1. */
export class DiffInputError extends Error {}

/** One side of the diff, read and compiled. */
export interface DiffSide extends PlanSet {
  label: string;
  /** Source texts by the file name shown to the user (empty for compiled plan inputs). */
  sources: Map<string, string>;
  /** The compiler's findings for sources (of the focus file when one file was given). */
  diagnostics?: Diagnostic[];
}

interface SourceFile {
  /** Where to read it. */
  path: string;
  /** The name it gets in compiled plans and messages; the same on both sides of a diff. */
  name: string;
}

interface CatalogChoice {
  /** An explicit snapshot directory. */
  snapshot?: string;
  /** Compile every file as if its `catalog` line named this snapshot's version (--catalog-from/--catalog-to). */
  repin?: boolean;
  /** Directories holding `<version>/` snapshots, tried in order for a file's `catalog` line. */
  roots: string[];
}

const toPosix = (path: string) => path.split(sep).join('/');

/**
 * Compiles source files; every declared plan that does not come out is a failure with its errors.
 * With `focus` (names of files), the others are the workspace only: the side holds the plans of
 * the focus files, and `diagnostics` their findings (compiler/findings.ts).
 */
export function compileSide(files: readonly SourceFile[], catalog: CatalogChoice, label: string, focus?: ReadonlySet<string>): DiffSide {
  const read = files.map((f) => ({ file: f.name, text: readFileSync(f.path, 'utf8') }));
  const sources = new Map(read.map((i) => [i.file, i.text]));
  if (read.length === 0) return { label, plans: [], failures: new Map(), sources };
  const snapshot = catalog.snapshot ?? inferSnapshot(focus === undefined ? read : [...read.filter((i) => focus.has(i.file)), ...read.filter((i) => !focus.has(i.file))], catalog.roots);
  const loaded = loadCatalog(snapshot);
  const version = loaded.catalog?.data.version;
  const inputs = catalog.repin && version !== undefined ? read.map((i) => ({ file: i.file, text: repin(i.text, i.file, version) })) : read;
  const result = compileWorkspace(inputs, loaded.catalog, { catalogDiagnostics: loaded.diagnostics });
  const plans = focus === undefined ? result.plans : result.plans.filter((p) => focus.has(p.source.file));
  const diagnostics = focus === undefined ? result.diagnostics : findingsOf(result, focus);
  const compiled = new Set(plans.map((p) => p.planId));
  const errors = diagnostics.filter((d) => d.severity === 'error');

  const declared: { planId: string; file: string; start: number; end: number }[] = [];
  for (const input of inputs) {
    if (focus !== undefined && !focus.has(input.file)) continue;
    for (const decl of (result.documents.get(input.file) ?? parse(input.text, input.file).document).declarations) {
      if ((decl.kind === 'Plan' || decl.kind === 'Bundle') && decl.name.name !== '') {
        declared.push({ planId: decl.name.name, file: input.file, start: decl.range.start.offset, end: decl.range.end.offset });
      }
    }
  }
  const inside = (d: Diagnostic, p: (typeof declared)[number]) => d.file === p.file && d.range.start.offset >= p.start && d.range.start.offset <= p.end;
  const outsideEveryPlan = errors.filter((d) => !declared.some((p) => inside(d, p)));
  const failures = new Map<string, string[]>();
  for (const plan of declared) {
    if (compiled.has(plan.planId) || failures.has(plan.planId)) continue;
    const own = errors.filter((d) => inside(d, plan));
    const relevant = own.length > 0 ? own : outsideEveryPlan;
    // Without positions, so a fingerprint survives edits elsewhere in the file.
    const messages = [...new Set(relevant.map((d) => `${d.code} ${d.message}${d.help ? ` (${d.help})` : ''}`))];
    failures.set(plan.planId, messages.length > 0 ? messages : ['a plan or template it uses does not compile']);
  }
  return { label, plans, failures, sources, diagnostics };
}

/** The source with its `catalog <id> <version>` line naming `version` instead. */
function repin(text: string, file: string, version: string): string {
  const binding = parse(text, file).document.catalog;
  if (binding === undefined || binding.version.name === '') return text;
  const { start, end } = binding.version.range;
  return `${text.slice(0, start.offset)}${version}${text.slice(end.offset)}`;
}

function inferSnapshot(inputs: readonly { file: string; text: string }[], roots: readonly string[]): string {
  for (const input of inputs) {
    const version = parse(input.text, input.file).document.catalog?.version.name;
    if (version === undefined || version === '') continue;
    for (const root of roots) {
      const candidate = join(root, version);
      if (existsSync(candidate)) return candidate;
    }
    throw new DiffInputError(`${input.file} is pinned to catalog version ${version}, but no catalogs/${version} exists: pass --catalog <snapshot dir>`);
  }
  throw new DiffInputError('no --catalog given and no file has a `catalog <id> <version>` line');
}

function listFiles(path: string, extension: string): string[] {
  if (statSync(path).isFile()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path).sort()) {
    if (entry.startsWith('.') || entry === 'node_modules') continue;
    const child = join(path, entry);
    if (statSync(child).isDirectory()) out.push(...listFiles(child, extension));
    else if (entry.endsWith(extension)) out.push(child);
  }
  return out;
}

function readCompiledPlans(files: readonly string[], label: string): DiffSide {
  const plans: CompiledPlan[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new DiffInputError(`${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const parsed = compiledPlanSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DiffInputError(`${file} is not a compiled plan: ${issue?.path.join('.') || '/'}: ${issue?.message ?? 'invalid'}`);
    }
    plans.push(parsed.data);
  }
  return { label, plans, failures: new Map(), sources: new Map() };
}

/** A path given on the command line: compiled plan JSON, or .o2a sources compiled on the fly. */
export function readSide(path: string, catalog: CatalogChoice): DiffSide {
  if (!existsSync(path)) throw new DiffInputError(`no such file or directory: ${path}`);
  const isFile = statSync(path).isFile();
  const root = isFile ? dirname(path) : path;
  if (isFile && !path.endsWith('.json')) {
    // A file alone is compiled in its workspace, the files of its folder (cli/workspace.ts).
    const { files } = planWorkspace([path]);
    const name = toPosix(relative(root, path));
    return compileSide(files.map((p) => ({ path: p, name: toPosix(relative(root, p)) })), catalog, toPosix(path), new Set([name]));
  }
  const planFiles = isFile ? [] : collectPlanFiles([path]);
  if (planFiles.length > 0) {
    return compileSide(planFiles.map((p) => ({ path: p, name: toPosix(relative(root, p)) })), catalog, toPosix(path));
  }
  const jsonFiles = listFiles(path, '.json');
  if (jsonFiles.length === 0) throw new DiffInputError(`no .o2a sources or compiled plan .json files in ${path}`);
  return readCompiledPlans(jsonFiles, toPosix(path));
}

function git(args: readonly string[], cwd?: string): string {
  return execFileSync('git', [...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** Writes the files under `path` (relative to the working directory) at `rev` into `dir`, keeping their relative paths. */
function extractAtRevision(rev: string, path: string, dir: string): string[] {
  const prefix = git(['rev-parse', '--show-prefix']).trim();
  const names = git(['ls-tree', '-r', '--name-only', '--full-name', rev, '--', path]).split('\n').filter((n) => n !== '');
  const written: string[] = [];
  for (const fullName of names) {
    const local = prefix !== '' && fullName.startsWith(prefix) ? fullName.slice(prefix.length) : fullName;
    const target = join(dir, local);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, execFileSync('git', ['show', `${rev}:${fullName}`], { maxBuffer: 64 * 1024 * 1024 }));
    written.push(local);
  }
  return written;
}

/** The plans folder at a git revision vs the working tree; the catalogs folder of that revision too. */
export function readGitSides(rev: string, paths: readonly string[], catalogOption: string | undefined): [DiffSide, DiffSide] {
  try {
    git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    throw new DiffInputError(`'${rev}' is not a git revision here (fetch it first, e.g. git fetch origin main)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'o2a-diff-'));
  try {
    const previousFiles: SourceFile[] = [];
    for (const path of paths) {
      for (const local of extractAtRevision(rev, path, dir)) {
        if (local.endsWith('.o2a')) previousFiles.push({ path: join(dir, local), name: toPosix(local) });
      }
    }
    if (catalogOption === undefined) extractAtRevision(rev, 'catalogs', dir);
    const catalogRoots = [join(dir, 'catalogs'), 'catalogs'];
    const previous = compileSide(previousFiles, { snapshot: catalogOption, roots: catalogRoots }, `${paths.join(' ')} at ${rev}`);
    const currentFiles = collectPlanFiles(paths).map((p) => ({ path: p, name: toPosix(p) }));
    const current = compileSide(currentFiles, { snapshot: catalogOption, roots: ['catalogs'] }, `${paths.join(' ')} (working tree)`);
    return [previous, current];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function snapshotPath(value: string): string {
  if (existsSync(value)) return value;
  const underCatalogs = join('catalogs', value);
  if (existsSync(underCatalogs)) return underCatalogs;
  throw new DiffInputError(`no catalog snapshot '${value}' (neither a directory nor catalogs/${value})`);
}

/** The same sources against two catalog snapshots, each file re-pinned to the snapshot it is compiled against. */
export function readCatalogSides(paths: readonly string[], from: string, to: string): [DiffSide, DiffSide] {
  const files = collectPlanFiles(paths).map((p) => ({ path: p, name: toPosix(p) }));
  if (files.length === 0) throw new DiffInputError(`no .o2a files in ${paths.join(', ')}`);
  const label = (v: string) => `${paths.join(' ')} with catalog ${v}`;
  return [
    compileSide(files, { snapshot: snapshotPath(from), repin: true, roots: [] }, label(from)),
    compileSide(files, { snapshot: snapshotPath(to), repin: true, roots: [] }, label(to)),
  ];
}

function readApprovals(path: string | undefined): Map<string, string> {
  const file = path ?? (existsSync(DEFAULT_APPROVALS_FILE) ? DEFAULT_APPROVALS_FILE : undefined);
  if (file === undefined) return new Map();
  if (!existsSync(file)) throw new DiffInputError(`no approvals file ${file}`);
  const result = parseApprovals(readFileSync(file, 'utf8'));
  if (!result.ok) throw new DiffInputError(`${file}: ${result.error}`);
  return result.approvals;
}

export interface DiffCommandOptions {
  from?: string;
  catalog?: string;
  catalogFrom?: string;
  catalogTo?: string;
  format: DiffFormat;
  failOn: DiffLevel;
  approved?: string;
  color: boolean;
}

export function runDiff(paths: readonly string[], opts: DiffCommandOptions): { report: DiffReport; previous: DiffSide; current: DiffSide } {
  let sides: [DiffSide, DiffSide];
  if (opts.catalogFrom !== undefined || opts.catalogTo !== undefined) {
    if (opts.catalogFrom === undefined || opts.catalogTo === undefined) throw new DiffInputError('--catalog-from and --catalog-to go together');
    if (opts.from !== undefined) throw new DiffInputError('--from and --catalog-from/--catalog-to compare different things: use one');
    sides = readCatalogSides(paths.length > 0 ? paths : ['plans'], opts.catalogFrom, opts.catalogTo);
  } else if (opts.from !== undefined) {
    sides = readGitSides(opts.from, paths.length > 0 ? paths : ['plans'], opts.catalog);
  } else {
    if (paths.length !== 2) throw new DiffInputError('give a previous and a current path (plan sources or compiled plans), or --from <git-rev>, or --catalog-from/--catalog-to');
    const catalog: CatalogChoice = { snapshot: opts.catalog, roots: ['catalogs'] };
    sides = [readSide(paths[0]!, catalog), readSide(paths[1]!, catalog)];
  }
  const [previous, current] = sides;
  const report = diffPlanSets(previous, current, {
    failOn: opts.failOn,
    approvals: readApprovals(opts.approved),
    previousLabel: previous.label,
    currentLabel: current.label,
  });
  return { report, previous, current };
}

export function registerDiffCommands(program: Command, ctx: CommandContext): void {
  program
    .command('diff')
    .description('what changes between two versions of plans, for sagas in flight and for customers: exit 0 no changes, 1 error, 2 changes below --fail-on, 3 changes at or above it')
    .argument('[paths...]', 'previous and current (.o2a sources or compiled plan .json, files or directories); with --from or --catalog-from: the plan paths (default: plans)', [])
    .option('--from <git-rev>', 'compare the plan paths at this git revision with the working tree')
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory for compiling sources (default: catalogs/<version> from the files)')
    .option('--catalog-from <snapshot>', 'compile the same sources against this snapshot (a directory or a version under catalogs/)...')
    .option('--catalog-to <snapshot>', '...and against this one')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown', 'sarif', 'github']).default('text'))
    .addOption(new Option('--fail-on <level>', 'exit 3 when an unapproved change is at or above this level').choices([...diffLevels]).default('breaking'))
    .option('--approved <file>', `approved change fingerprints (default: ${DEFAULT_APPROVALS_FILE} if present)`)
    .option('--no-color', 'plain text output')
    // A usage error must not exit 2, which means "changes below --fail-on" here: cli/main.ts
    // returns ctx.exitCode for a failed parse when a command has set one.
    .exitOverride((error) => {
      if (error.exitCode !== 0) ctx.exitCode = 1;
      throw error;
    })
    .action((paths: string[], opts: DiffCommandOptions) => {
      try {
        const { report, previous, current } = runDiff(paths, opts);
        // A side that compiled nothing: the errors that stopped it, as `o2a check` prints them.
        for (const side of [previous, current]) {
          const errors = (side.diagnostics ?? []).filter((d) => d.severity === 'error');
          if (side.plans.length === 0 && errors.length > 0) {
            ctx.stderr.write(`o2a diff: ${side.label} compiles no plan:\n${renderText(errors, side.sources, { color: false })}`);
          }
        }
        const locate = locatorFromSources(current.sources, previous.sources);
        const useColor = opts.color && opts.format === 'text' && 'isTTY' in ctx.stdout && Boolean(ctx.stdout.isTTY);
        ctx.stdout.write(renderDiff(report, opts.format, { color: useColor, locate }));
        ctx.exitCode = report.exitCode;
      } catch (error) {
        ctx.stderr.write(`o2a diff: ${describeDiffError(error)}\n`);
        ctx.exitCode = 1;
      }
    });
}

export function renderDiff(report: DiffReport, format: DiffFormat, options: { color?: boolean; locate?: ReturnType<typeof locatorFromSources> } = {}): string {
  switch (format) {
    case 'json':
      return renderDiffJson(report);
    case 'markdown':
      return renderDiffMarkdown(report);
    case 'sarif':
      return renderDiffSarif(report, toolVersion, options.locate);
    case 'github':
      return renderDiffGithub(report, options.locate);
    case 'text':
      return renderDiffText(report, { color: options.color ?? false });
  }
}

function describeDiffError(error: unknown): string {
  return error instanceof DiffInputError ? error.message : describeError(error);
}
