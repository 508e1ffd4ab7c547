// The compiler's top-level API: parse, resolve, check, lower and emit a workspace of .o2a sources
// against one catalog snapshot. Pure over data: no I/O, never throws on user input.
//
// Incremental use (the language server): `compileWorkspace` accepts earlier parse results through
// `options.parses` (reused when the text is unchanged), and returns the bound model with its
// reference index (`model.references`, `model.definitions`) and each step's resolved policies
// (`BoundStep.policies`, each value with the place it came from).
import { compareDiagnostics, type Diagnostic, type Fix, type Range } from './diagnostics/diagnostic.js';
import { diagnostic } from './diagnostics/index.js';
import { applyEdits, isSyntaxError, offeredFixes } from './diagnostics/offered-fixes.js';
import type { CatalogSnapshot } from './catalog/schema.js';
import type { Document } from './syntax/ast.js';
import { parse } from './syntax/index.js';
import { resolveWorkspace } from './resolve/index.js';
import type { BoundModel, BoundPlan } from './resolve/model.js';
import { checkModel } from './check/index.js';
import { lowerBundle, lowerPlan } from './lower/index.js';
import { emitPlan } from './emit/index.js';
import type { CompiledPlan } from './emit/schema.js';

export type {
  BoundModel, BoundPlan, BoundBundle, BoundBundleItem, BoundStep, BoundTemplate, SymbolReference, SymbolDefinition,
  SymbolTarget, ReferenceRole, CatalogSection, ResolvedPolicies, PolicySource, Sourced,
} from './resolve/model.js';
export { resolveWorkspace } from './resolve/index.js';
export { checkModel, planChecks, bundleChecks, PlanGraph } from './check/index.js';
export { serializeCompiledPlan, compiledPlanFileName, planHash } from './emit/index.js';

export interface SourceInput {
  file: string;
  text: string;
}

export interface ParsedSource {
  text: string;
  document: Document;
  diagnostics: Diagnostic[];
}

export interface CompileOptions {
  /** Diagnostics of loading the catalog snapshot: merged into the result. */
  catalogDiagnostics?: Diagnostic[];
  /** Earlier parse results by file, reused when their text equals the source's. */
  parses?: ReadonlyMap<string, ParsedSource>;
  /**
   * Lower and emit the plans without errors (default true). The language server, which never
   * reads compiled plans, passes false: `plans` is then empty; the diagnostics are the same
   * (a bundle blocked by a plan with errors, O2A5004, is still reported).
   */
  emit?: boolean;
  /**
   * Reuse what binding and checking gave last time for the AST nodes an incremental re-parse
   * kept (`reparse`): the language server, compiling the same documents edit after edit. The
   * result is the same; only the work is less.
   */
  reuse?: boolean;
  /**
   * Parse the file again with the fix of its first syntax error applied, and offer the fix only
   * when it parses better (default true). The language server passes false and checks a fix when
   * it is asked for one (code actions), not on every keystroke.
   */
  verifySyntaxFixes?: boolean;
}

export interface CompileResult {
  /** Every diagnostic of every stage and file, deduplicated, sorted with compareDiagnostics. */
  diagnostics: Diagnostic[];
  documents: Map<string, Document>;
  model: BoundModel;
  /** Plans and bundles without errors, sorted by plan id; empty with `emit: false`. */
  plans: CompiledPlan[];
}

function within(inner: Range, outer: Range): boolean {
  return inner.start.offset >= outer.start.offset && inner.end.offset <= outer.end.offset;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}\0${d.range.start.offset}\0${d.range.end.offset}\0${d.code}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Whether the fix of a syntax error of `file` makes the file parse better: with it applied, fewer
 * syntax errors and none new before the place it edits (`diagnostics`: those of the file now).
 */
export function syntaxFixHolds(text: string, file: string, diagnostics: readonly Diagnostic[], fix: Fix): boolean {
  if (fix.edits.length === 0 || fix.edits.some((e) => e.file !== file)) return false;
  const errorsOf = (list: readonly Diagnostic[]) => list.filter((d) => d.file === file && isSyntaxError(d));
  const before = errorsOf(diagnostics);
  const after = errorsOf(parse(applyEdits(text, fix.edits), file).diagnostics);
  const at = Math.min(...fix.edits.map((e) => e.range.start.offset));
  return after.length < before.length && !after.some((d) => d.range.start.offset < at);
}

export function compileWorkspace(sources: SourceInput[], catalog: CatalogSnapshot | undefined, options: CompileOptions = {}): CompileResult {
  const ordered = [...sources].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const texts = new Map(ordered.map((s) => [s.file, s.text]));
  const documents = new Map<string, Document>();
  const diagnostics: Diagnostic[] = [...(options.catalogDiagnostics ?? [])];

  for (const source of ordered) {
    const earlier = options.parses?.get(source.file);
    const parsed = earlier !== undefined && earlier.text === source.text ? earlier : parse(source.text, source.file);
    documents.set(source.file, parsed.document);
    diagnostics.push(...parsed.diagnostics);
  }

  const catalogProblemReported = (options.catalogDiagnostics ?? []).some((d) => d.severity === 'error');
  const reuse = options.reuse === true;
  const resolved = resolveWorkspace([...documents.values()], catalog, { catalogProblemReported, reuse });
  diagnostics.push(...resolved.diagnostics);
  const model = resolved.model;
  const checked = checkModel(model, (file) => texts.get(file), { reuse });
  diagnostics.push(...checked.diagnostics);

  const plans: CompiledPlan[] = [];
  if (catalog !== undefined && !catalogProblemReported) {
    const emit = options.emit !== false;
    const errorsByFile = new Map<string, Diagnostic[]>();
    for (const d of diagnostics) {
      if (d.severity !== 'error') continue;
      const list = errorsByFile.get(d.file);
      if (list === undefined) errorsByFile.set(d.file, [d]);
      else list.push(d);
    }
    const hasErrors = (file: string, range: Range): boolean => errorsByFile.get(file)?.some((d) => within(d.range, range)) ?? false;
    const fileLevelErrors = (file: string): boolean => {
      const decls = documents.get(file)?.declarations ?? [];
      return errorsByFile.get(file)?.some((d) => !decls.some((decl) => within(d.range, decl.range))) ?? false;
    };
    const planOk = (plan: BoundPlan): boolean =>
      !hasErrors(plan.file, plan.decl.range) && !fileLevelErrors(plan.file)
      && plan.steps.every((s) => s.template === undefined || !hasErrors(s.template.file, s.template.decl.range));

    // By plan name; without emitting, a plan without errors stands as compiled (hash '').
    const hashes = new Map<string, string>();
    for (const plan of [...model.plans.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!planOk(plan)) continue;
      if (!emit) {
        hashes.set(plan.name, '');
        continue;
      }
      const lowered = lowerPlan(plan, checked.graphs.get(plan.name)!, catalog, texts.get(plan.file) ?? '');
      if (lowered === undefined) continue;
      const emitted = emitPlan(lowered);
      hashes.set(plan.name, emitted.hash);
      plans.push(emitted);
    }
    for (const bundle of [...model.bundles.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      let blocked = hasErrors(bundle.file, bundle.decl.range) || fileLevelErrors(bundle.file);
      for (const item of bundle.items) {
        if (item.plan === undefined || hashes.has(item.plan.name)) continue;
        blocked = true;
        diagnostics.push(diagnostic('O2A5004', bundle.file, item.planIdent.range,
          `bundle ${bundle.name} is not compiled: its item '${item.name}' names plan ${item.plan.name}, which has errors`, {
            help: `fix the errors of plan ${item.plan.name} first`,
            related: [{ file: item.plan.file, range: item.plan.decl.name.range, message: `plan ${item.plan.name}` }],
          }));
      }
      if (blocked || !emit) continue;
      const lowered = lowerBundle(bundle, hashes, catalog, texts.get(bundle.file) ?? '');
      if (lowered !== undefined) plans.push(emitPlan(lowered));
    }
    plans.sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0));
  }

  // Fixes only where the file parsed and the finding is not a consequence of another error.
  const declarations = [...documents.values()].flatMap((d) => d.declarations.map((decl) => ({ file: d.file, range: decl.range })));
  const verify = options.verifySyntaxFixes === false ? undefined : (d: Diagnostic, fix: Fix): boolean => {
    const text = texts.get(d.file);
    return text !== undefined && syntaxFixHolds(text, d.file, diagnostics, fix);
  };
  return { diagnostics: offeredFixes(dedupe(diagnostics), declarations, verify).sort(compareDiagnostics), documents, model, plans };
}
