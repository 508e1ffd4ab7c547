// What every check receives: the bound plan or bundle, the catalog, the plan's dependency graph,
// and the source texts (for fixes that must look at the text).
import type { Diagnostic, Range, RelatedInformation } from '../diagnostics/diagnostic.js';
import type { CatalogSnapshot } from '../catalog/schema.js';
import type { BoundBundle, BoundModel, BoundPlan, BoundStep, Sourced } from '../resolve/model.js';
import type { PlanGraph } from './graph.js';

export interface PlanCheckContext {
  plan: BoundPlan;
  catalog: CatalogSnapshot;
  model: BoundModel;
  graph: PlanGraph;
  sourceText(file: string): string | undefined;
}

export interface BundleCheckContext {
  bundle: BoundBundle;
  catalog: CatalogSnapshot;
  model: BoundModel;
  sourceText(file: string): string | undefined;
}

export type PlanCheck = (ctx: PlanCheckContext) => Diagnostic[];
export type BundleCheck = (ctx: BundleCheckContext) => Diagnostic[];

export interface Location {
  file: string;
  range: Range;
  related?: RelatedInformation[];
}

/**
 * Where to report a problem with an inherited policy: at the property when the step wrote it,
 * otherwise at the step's name, pointing at the template or plan default it came from.
 */
export function locatePolicy(step: BoundStep, policy: Sourced<unknown>): Location {
  if (policy.source === 'step' && policy.range !== undefined) return { file: step.file, range: policy.range };
  const at: Location = { file: step.file, range: step.decl.name.range };
  if (policy.range !== undefined && policy.file !== undefined) {
    const from = policy.source === 'template' ? `inherited from template ${step.template?.name ?? ''}` : 'inherited from the plan defaults';
    at.related = [{ file: policy.file, range: policy.range, message: from }];
  }
  return at;
}

export function inheritedNote(policy: Sourced<unknown>, step: BoundStep): string {
  if (policy.source === 'template') return ` (inherited from template ${step.template?.name ?? ''})`;
  if (policy.source === 'defaults') return ' (inherited from the plan defaults)';
  return '';
}
