// O2A3005: every mandatory service of the offering is produced by some step (§16: all mandatory
// service order items completed).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

export const mandatoryServicesProduced: PlanCheck = ({ plan }) => {
  const offering = plan.offering;
  if (offering === undefined) return [];
  // A misspelt service is reported where it is written; do not report the service as missing too.
  if (plan.steps.some((s) => s.catalogRef?.value.key === 'service' && !s.catalogRefResolved)) return [];
  const produced = new Set(plan.steps.filter((s) => s.catalogRef?.value.key === 'service').map((s) => s.catalogRef!.value.ref.name));
  const out: Diagnostic[] = [];
  for (const service of offering.mandatoryServices) {
    if (produced.has(service)) continue;
    out.push(diagnostic('O2A3005', plan.file, plan.decl.name.range,
      `plan ${plan.name} produces no '${service}', a mandatory service of ${offering.id}`, {
        help: `add a step with \`service ${service}\` (a service_order_item, or an inventory_commit of it)`,
      }));
  }
  return out;
};
