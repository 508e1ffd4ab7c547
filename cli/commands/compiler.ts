// compile, check, fmt, explain: the commands a catalog engineer and a catalog repo's CI use.
import { type Command, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { compiledPlanFileName, serializeCompiledPlan } from '../../compiler/emit/index.js';
import { compiledPlanValidator } from '../../compiler/emit/validate.js';
import { format } from '../../compiler/format/index.js';
import { catalogBindingOf } from '../../compiler/syntax/index.js';
import { diagnosticCatalogue, severityAtLeast, type Diagnostic, type Severity } from '../../compiler/diagnostics/index.js';
import { catalogPinOf, chooseSnapshot, snapshotVersionsIn } from '../../compiler/catalog/pins.js';
import { closestMatch } from '../../compiler/diagnostics/suggest.js';
import type { CatalogSnapshot } from '../../compiler/catalog/schema.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { renderText, summaryLine } from '../printers/text.js';
import { renderJson } from '../printers/json.js';
import { renderSarif } from '../printers/sarif.js';
import { renderGithub } from '../printers/github.js';
import { collectPlanFiles, planWorkspace, readSources, UsageError } from '../workspace.js';
import { findingsOf } from '../../compiler/findings.js';
import { toolVersion, type CommandContext } from '../main.js';

type OutputFormat = 'text' | 'json' | 'sarif' | 'github';

export interface CompiledWorkspace {
  sources: Map<string, string>;
  catalog: CatalogSnapshot | undefined;
  diagnostics: Diagnostic[];
  plans: CompiledPlan[];
  fileCount: number;
}

/**
 * Reads the plan files and the catalog snapshot and compiles them. Without `--catalog`, the
 * snapshot is `catalogs/<version>` of the first file's `catalog` binding. With `emit: false`
 * (`o2a check`) it stops after the checks: the findings are the same (every diagnostic comes
 * from parse, resolve and check), no compiled plan is built, so `plans` is empty.
 */
export function compilePaths(paths: readonly string[], catalogPath: string | undefined, options: { emit?: boolean } = {}): CompiledWorkspace {
  const emit = options.emit !== false;
  // A file given alone is compiled with the files of its folder; only its findings are reported.
  const { files, focus } = planWorkspace(paths.length > 0 ? paths : ['plans']);
  if (files.length === 0) throw new UsageError(`no .o2a files in ${paths.join(', ')}`);
  const inputs = readSources(files);
  const pinned = catalogPath === undefined ? pinnedSnapshot(inputs) : { path: catalogPath, diagnostics: [] };
  const loaded = pinned.path !== undefined ? loadCatalog(pinned.path) : { catalog: undefined, diagnostics: pinned.diagnostics };
  const result = compileWorkspace(inputs, loaded.catalog, { catalogDiagnostics: loaded.diagnostics, emit });
  const diagnostics = focus === undefined ? [...result.diagnostics] : findingsOf(result, focus);
  if (focus !== undefined) result.plans = result.plans.filter((p) => focus.has(p.source.file));
  // A guard: a compiled plan that breaks its own schema is a compiler bug, not a finding.
  if (result.plans.length > 0) {
    const validate = compiledPlanValidator();
    for (const plan of result.plans) {
      const verdict = validate(plan);
      if (!verdict.ok) {
        throw new Error(`compiled plan ${plan.planId} does not match the compiled plan schema: ${verdict.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
      }
    }
  }
  const sources = new Map(inputs.map((i) => [i.file, i.text]));
  for (const d of diagnostics) {
    // Catalog diagnostics point into catalog.json: show its lines too.
    if (!sources.has(d.file) && existsSync(d.file)) sources.set(d.file, readFileSync(d.file, 'utf8'));
  }
  return {
    sources,
    catalog: loaded.catalog,
    diagnostics,
    plans: result.plans,
    fileCount: focus?.size ?? files.length,
  };
}

/**
 * The snapshot a check or compile uses without `--catalog`: the rule of compiler/catalog/pins.ts
 * (the language server's too) over the files given and the snapshots of catalogs/. Never a usage
 * error: findings, as always.
 */
export function pinnedSnapshot(inputs: readonly { file: string; text: string }[]): { path: string | undefined; diagnostics: Diagnostic[] } {
  const pins = inputs.flatMap((i) => catalogPinOf(i.file, i.text) ?? []);
  const choice = chooseSnapshot(pins, snapshotVersionsIn('catalogs'));
  return { path: choice.version !== undefined ? join('catalogs', choice.version) : undefined, diagnostics: choice.diagnostics };
}

export function inferCatalogPath(inputs: { file: string; text: string }[]): string {
  for (const input of inputs) {
    const binding = catalogBindingOf(input.text);
    if (binding) {
      const candidate = join('catalogs', binding.version);
      if (existsSync(candidate)) return candidate;
      throw new UsageError(`${input.file} is pinned to catalog version ${binding.version}, but ${candidate} does not exist: pass --catalog <snapshot dir>`);
    }
  }
  throw new UsageError('no --catalog given and no file has a `catalog <id> <version>` line');
}

function render(format: OutputFormat, diagnostics: Diagnostic[], ws: CompiledWorkspace, color: boolean): string {
  switch (format) {
    case 'json':
      return renderJson(diagnostics, ws.fileCount);
    case 'sarif':
      return renderSarif(diagnostics, toolVersion);
    case 'github':
      return renderGithub(diagnostics);
    case 'text':
      return `${renderText(diagnostics, ws.sources, { color })}${summaryLine(diagnostics, ws.fileCount)}\n`;
  }
}

const formatOption = () =>
  new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif', 'github']).default('text');
const failOnOption = () =>
  new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices(['error', 'warning', 'info']).default('error');

export function registerCompilerCommands(program: Command, ctx: CommandContext): void {
  program
    .command('check')
    .description('check plans against a catalog snapshot (for CI): exit 0 clean, 1 findings at or above --fail-on, 2 usage or internal error')
    .argument('[paths...]', '.o2a files or directories', [])
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory (default: catalogs/<version> from the files)')
    .addOption(formatOption())
    .addOption(failOnOption())
    .option('--no-color', 'plain text output')
    .action((paths: string[], opts: { catalog?: string; format: OutputFormat; failOn: Severity; color: boolean }) => {
      const ws = compilePaths(paths, opts.catalog, { emit: false });
      const useColor = opts.color && opts.format === 'text' && 'isTTY' in ctx.stdout && Boolean(ctx.stdout.isTTY);
      ctx.stdout.write(render(opts.format, ws.diagnostics, ws, useColor));
      ctx.exitCode = ws.diagnostics.some((d) => severityAtLeast(d.severity, opts.failOn)) ? 1 : 0;
    });

  program
    .command('compile')
    .description('compile plans into hash-addressed compiled plan JSON files')
    .argument('[paths...]', '.o2a files or directories', [])
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory (default: catalogs/<version> from the files)')
    .requiredOption('-o, --out <dir>', 'output directory')
    .addOption(formatOption())
    .action((paths: string[], opts: { catalog?: string; out: string; format: OutputFormat }) => {
      const ws = compilePaths(paths, opts.catalog);
      const errors = ws.diagnostics.filter((d) => d.severity === 'error');
      if (ws.diagnostics.length > 0) ctx.stderr.write(render(opts.format, ws.diagnostics, ws, false));
      if (errors.length > 0) {
        ctx.exitCode = 1;
        return;
      }
      if (ws.plans.length === 0) {
        ctx.stderr.write(`o2a compile: nothing to compile: no plan or bundle is declared in ${paths.length > 0 ? paths.join(', ') : 'plans'}\n`);
        ctx.exitCode = 1;
        return;
      }
      mkdirSync(opts.out, { recursive: true });
      for (const plan of ws.plans) {
        const file = join(opts.out, compiledPlanFileName(plan));
        writeFileSync(file, serializeCompiledPlan(plan));
        const size = plan.kind === 'plan' ? `${plan.steps.length} steps` : `${plan.items.length} items`;
        ctx.stdout.write(`${file}  ${plan.kind} ${plan.planId} v${plan.planVersion} (${size}) sha256:${plan.hash.slice(0, 12)}\n`);
      }
    });

  program
    .command('fmt')
    .description('format .o2a files in the canonical layout (comments are kept where they are)')
    .argument('[paths...]', '.o2a files or directories', [])
    .option('-w, --write', 'rewrite the files in place')
    .option('--check', 'list files that are not formatted; exit 1 if any')
    .action((paths: string[], opts: { write?: boolean; check?: boolean }) => {
      const files = collectPlanFiles(paths.length > 0 ? paths : ['.']);
      let unformatted = 0;
      let broken = 0;
      for (const { file, text } of readSources(files)) {
        const result = format(text, file);
        // Errors in values alone (a duration without a unit, ...) do not stop the layout: `check` reports them.
        if (!result.laidOut) {
          broken++;
          ctx.stderr.write(renderText(result.diagnostics, new Map([[file, text]])));
          continue;
        }
        if (opts.check) {
          if (result.changed) {
            unformatted++;
            ctx.stdout.write(`${file}\n`);
          }
        } else if (opts.write) {
          if (result.changed) {
            writeFileSync(file, result.text);
            ctx.stdout.write(`formatted ${file}\n`);
          }
        } else {
          ctx.stdout.write(result.text);
        }
      }
      ctx.exitCode = broken > 0 || unformatted > 0 ? 1 : 0;
    });

  program
    .command('explain')
    .description('explain a diagnostic code: what it means, why it matters, a wrong and a right example')
    .argument('[code]', 'diagnostic code or its name, e.g. O2A2004, 2004 or unknown-step-kind')
    .option('--list', 'list every code')
    .option('--markdown', 'with --list: a Markdown table (as in the README)')
    .action((code: string | undefined, opts: { list?: boolean; markdown?: boolean }) => {
      if (opts.list || code === undefined) {
        const defs = [...diagnosticCatalogue.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
        if (opts.markdown) ctx.stdout.write('| code | name | severity | meaning |\n|---|---|---|---|\n');
        for (const def of defs) {
          ctx.stdout.write(
            opts.markdown
              ? `| ${def.code} | ${def.name} | ${def.severity} | ${def.summary.replace(/\|/g, '\\|')} |\n`
              : `${def.code}  ${def.severity.padEnd(7)}  ${def.name.padEnd(36)}  ${def.summary}\n`,
          );
        }
        return;
      }
      // `O2A2012`, `o2a2012`, `2012` or the code's name, `unknown-step-kind`.
      const wanted = /^\d{4}$/.test(code) ? `O2A${code}` : code.toUpperCase();
      const def = diagnosticCatalogue.get(wanted) ?? [...diagnosticCatalogue.values()].find((d) => d.name === code.toLowerCase());
      if (!def) {
        const suggestion = closestMatch(wanted, diagnosticCatalogue.keys()) ?? closestMatch(code.toLowerCase(), [...diagnosticCatalogue.values()].map((d) => d.name));
        throw new UsageError(`unknown diagnostic code '${code}'${suggestion ? `: did you mean '${suggestion}'?` : ''} (o2a explain --list shows them all)`);
      }
      ctx.stdout.write(
        [
          `${def.code} ${def.name} (${def.severity})`,
          '',
          def.summary,
          '',
          def.explanation,
          '',
          'Wrong:',
          indent(def.wrong),
          '',
          'Right:',
          indent(def.right),
          '',
        ].join('\n'),
      );
    });
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
