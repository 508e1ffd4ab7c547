// O2A3006: every resource that a produced service (or a service supporting it) requires is reserved.
// A modify order (or a cease) acts on a service that is already active: its resources are already assigned.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';
import { fulfilledActions } from '../../resolve/actions.js';

export const requiredResourcesReserved: PlanCheck = ({ plan, catalog }) => {
  // Only a plan that provides the service (`add`) reserves for it: a modify or cease plan acts on
  // resources already assigned.
  if (plan.offering?.orderType === 'modify' || !fulfilledActions(plan.decl, plan.offering).includes('add')) return [];
  const produced = plan.steps.filter((s) => s.catalogRef?.value.key === 'service' && s.catalogRefResolved)
    .map((s) => s.catalogRef!.value.ref.name);
  const reserved = new Set(plan.steps.filter((s) => s.catalogRef?.value.key === 'resource').map((s) => s.catalogRef!.value.ref.name));
  // resource -> the service chain that needs it, first found (breadth first from produced services)
  const needs = new Map<string, string[]>();
  const queue: string[][] = [...new Set(produced)].map((s) => [s]);
  const visited = new Set<string>();
  while (queue.length > 0) {
    const chain = queue.shift()!;
    const id = chain[chain.length - 1]!;
    if (visited.has(id)) continue;
    visited.add(id);
    const spec = catalog.services.get(id);
    if (spec === undefined) continue;
    for (const r of spec.requiredResources) if (!needs.has(r)) needs.set(r, chain);
    for (const s of spec.supportingServices) queue.push([...chain, s]);
  }
  const out: Diagnostic[] = [];
  // A misspelt resource is reported where it is written; do not report the resource as missing too.
  if (plan.steps.some((s) => s.catalogRef?.value.key === 'resource' && !s.catalogRefResolved)) return [];
  for (const [resource, chain] of needs) {
    if (reserved.has(resource)) continue;
    const replacement = catalog.resources.get(resource)?.replacedBy;
    if (replacement !== undefined && reserved.has(replacement)) continue;
    out.push(diagnostic('O2A3006', plan.file, plan.decl.name.range,
      `plan ${plan.name} reserves no '${resource}', required by ${chain.join(' -> ')}`, {
        help: `add a resource_reservation step with \`resource ${resource}\``,
      }));
  }
  return out;
};
