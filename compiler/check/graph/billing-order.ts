// O2A3003: with billing on activation, the billing trigger must wait for proof that the service
// works (verification) and for the inventory commit (§16, §17).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { addDependencyFix } from '../../resolve/fixes.js';
import type { PlanCheck } from '../context.js';
import { aKind } from '../../resolve/index.js';

const required = ['verification', 'inventory_commit'] as const;

export const billingAfterVerification: PlanCheck = ({ plan, graph }) => {
  if (plan.billing?.trigger !== 'activation') return [];
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    if (step.kind?.id !== 'billing_trigger') continue;
    const missing = required.filter((kind) => graph.ancestorsOfKind(step.name, kind).length === 0);
    // A step before it whose kind is unknown may be the missing one (misspelt): one error, there.
    if (missing.length === 0 || graph.anyUnknownKind(graph.ancestors(step.name))) continue;
    const candidates = missing
      .map((kind) => plan.steps.filter((s) => s.kind?.id === kind && s.name !== step.name && !graph.runsAfter(s.name, step.name)).pop())
      .filter((s) => s !== undefined);
    const names = [...new Set(candidates.map((s) => s.name))];
    out.push(diagnostic('O2A3003', plan.file, step.decl.name.range,
      `billing step '${step.name}' does not run after ${missing.map((k) => `${aKind(k)} step`).join(' and ')}`, {
        help: names.length > 0
          ? `billing starts on activation: add ${names.map((n) => `'${n}'`).join(', ')} to its 'after' list`
          : `billing starts on activation: add ${missing.map((k) => `${aKind(k)} step`).join(' and ')} before it`,
        fixes: names.length > 0 ? [addDependencyFix(`Run after ${names.join(', ')}`, plan.file, step.decl, names)] : [],
      }));
  }
  return out;
};
