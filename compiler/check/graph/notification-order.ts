// O2A3004: a notification that tells the customer the service is active must come after
// technical verification (§16: completion is proven, not assumed).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { addDependencyFix } from '../../resolve/fixes.js';
import type { PlanCheck } from '../context.js';

export const notificationAfterVerification: PlanCheck = ({ plan, graph, catalog }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const ref = step.catalogRef?.value;
    if (step.kind?.id !== 'notification' || ref?.key !== 'template' || !step.catalogRefResolved) continue;
    const template = catalog.notificationTemplates.get(ref.ref.name);
    if (template?.announcesActiveService !== true) continue;
    if (graph.ancestorsOfKind(step.name, 'verification').length > 0) continue;
    // A step before it whose kind is unknown may be the verification (misspelt): one error, there.
    if (graph.anyUnknownKind(graph.ancestors(step.name))) continue;
    const verify = plan.steps.filter((s) => s.kind?.id === 'verification' && !graph.runsAfter(s.name, step.name)).pop();
    out.push(diagnostic('O2A3004', plan.file, step.decl.name.range,
      `notification '${step.name}' announces an active service (${template.id}) but does not run after a verification step`, {
        help: verify !== undefined ? `add '${verify.name}' to its 'after' list` : 'add a verification step and run the notification after it',
        fixes: verify !== undefined ? [addDependencyFix(`Run after ${verify.name}`, plan.file, step.decl, [verify.name])] : [],
      }));
  }
  return out;
};
