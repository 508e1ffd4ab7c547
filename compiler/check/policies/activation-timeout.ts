// §6.4, §26: an activation timeout is not a failure. O2A4003: an activation that fails (or falls
// out) on timeout. O2A4004: reconcile on a target that cannot be read back. O2A4005: reconcile
// where there is nothing to read back (other step kinds, reported outcomes).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { addStepPropertyFix, replaceFix } from '../../resolve/fixes.js';
import { inheritedNote, locatePolicy, type PlanCheck } from '../context.js';
import type { BoundStep } from '../../resolve/model.js';
import type { CatalogSnapshot } from '../../catalog/schema.js';

const reconcileText = 'on timeout unknown then reconcile';

function readBack(step: BoundStep, catalog: CatalogSnapshot): boolean | undefined {
  const ref = step.catalogRef?.value;
  if (ref?.key !== 'target' || !step.catalogRefResolved) return undefined;
  return catalog.activationTargets.get(ref.ref.name)?.supportsReadBack;
}

export const activationTimeoutReconciles: PlanCheck = ({ plan, catalog, sourceText }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    if (step.kind?.id !== 'activation') continue;
    // A misspelt target is reported where it is written; whether it can be read back is unknown.
    if (step.catalogRef?.value.key === 'target' && !step.catalogRefResolved) continue;
    const on = step.policies.onTimeout;
    const canReadBack = readBack(step, catalog);
    if (on.value.action === 'reconcile') {
      if (canReadBack === false) {
        const at = locatePolicy(step, on);
        const target = step.catalogRef!.value.ref.name;
        out.push(diagnostic('O2A4004', at.file, at.range,
          `activation '${step.name}' reconciles on timeout, but target ${target} cannot be read back${inheritedNote(on, step)}`, {
            help: 'use `on timeout hold provider "..."` so an engineer checks the target',
            ...(at.related !== undefined ? { related: at.related } : {}),
          }));
      }
      continue;
    }
    if (canReadBack === false && on.value.action === 'hold') continue;
    const at = locatePolicy(step, on);
    const prop = step.onTimeoutProperty;
    const replacement = canReadBack === false ? 'on timeout hold provider "Activation outcome unknown"' : reconcileText;
    const fix = prop !== undefined && prop.source === 'step'
      ? replaceFix(`Replace with '${replacement}'`, plan.file, prop.value.range, replacement)
      : addStepPropertyFix(`Add '${replacement}'`, plan.file, step.decl, sourceText(plan.file), replacement);
    const meaning = on.value.action === 'hold' ? 'holds on timeout without reading the target back' : 'treats a timeout as a failure';
    out.push(diagnostic('O2A4003', at.file, at.range,
      `activation '${step.name}' ${meaning}${on.source === 'catalog' ? '' : inheritedNote(on, step)}`, {
        help: canReadBack === false
          ? 'the target cannot be read back: hold for the provider to check it'
          : `a timed-out activation may have been applied: add \`${reconcileText}\``,
        fixes: [fix],
        ...(at.related !== undefined ? { related: at.related } : {}),
      }));
  }
  return out;
};

export const reconcileOnlyOnActivation: PlanCheck = ({ plan }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const kind = step.kind;
    if (kind === undefined) continue;
    const on = step.policies.onTimeout;
    if (kind.id !== 'activation' && on.value.action === 'reconcile') {
      const at = locatePolicy(step, on);
      out.push(diagnostic('O2A4005', at.file, at.range,
        `step '${step.name}' (${kind.id}) cannot reconcile on timeout: only an activation's target is read back${inheritedNote(on, step)}`, {
          help: 'use `on timeout fail`, `hold customer|provider` or `fallout` for this step',
          ...(at.related !== undefined ? { related: at.related } : {}),
        }));
    }
    for (const [name, outcome] of step.outcomes) {
      if (outcome.value.action.kind !== 'reconcile') continue;
      const at = locatePolicy(step, outcome);
      out.push(diagnostic('O2A4005', at.file, at.range,
        `outcome '${name}' of step '${step.name}' cannot be reconciled: only a timeout leaves the outcome unknown`, {
          help: 'use `fail`, `hold customer|provider` or `fallout` for a reported outcome',
          ...(at.related !== undefined ? { related: at.related } : {}),
        }));
    }
  }
  return out;
};
