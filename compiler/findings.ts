// The findings of some files of a workspace: what `o2a check <file>` (and compile, graph, diff,
// run --plan <file>) reports when a file is given alone and compiled with the files beside it.
import type { Diagnostic, Range } from './diagnostics/diagnostic.js';
import type { CompileResult } from './index.js';

function within(inner: Range, outer: Range): boolean {
  return inner.start.offset >= outer.start.offset && inner.end.offset <= outer.end.offset;
}

/**
 * The diagnostics of `files`, plus what stops their plans elsewhere: the errors inside a template
 * one of their steps uses or a plan one of their bundles names, declared in another file of the
 * workspace, and the catalog snapshot's own diagnostics (they are no file's, and every file
 * depends on them). Everything else of the other files is theirs to report.
 */
export function findingsOf(result: Pick<CompileResult, 'diagnostics' | 'model' | 'documents'>, files: ReadonlySet<string>): Diagnostic[] {
  const blockers: { file: string; range: Range }[] = [];
  /** Files whose errors outside every declaration stop a plan of theirs (compileWorkspace's planOk). */
  const blockingFiles = new Set<string>();
  const { model } = result;
  for (const plan of model.plans.values()) {
    if (!files.has(plan.file)) continue;
    for (const step of plan.steps) {
      if (step.template !== undefined && !files.has(step.template.file)) blockers.push({ file: step.template.file, range: step.template.decl.range });
    }
  }
  for (const bundle of model.bundles.values()) {
    if (!files.has(bundle.file)) continue;
    for (const item of bundle.items) {
      const plan = item.plan;
      if (plan === undefined || files.has(plan.file)) continue;
      blockers.push({ file: plan.file, range: plan.decl.range });
      blockingFiles.add(plan.file);
      for (const step of plan.steps) {
        if (step.template !== undefined && !files.has(step.template.file)) blockers.push({ file: step.template.file, range: step.template.decl.range });
      }
    }
  }
  return result.diagnostics.filter((d) => {
    if (files.has(d.file)) return true;
    // Not a source of the workspace: the catalog snapshot (catalog.json or its folder).
    if (!result.documents.has(d.file)) return true;
    if (d.severity !== 'error') return false;
    if (blockers.some((b) => b.file === d.file && within(d.range, b.range))) return true;
    const declarations = result.documents.get(d.file)?.declarations ?? [];
    return blockingFiles.has(d.file) && !declarations.some((decl) => within(d.range, decl.range));
  });
}
