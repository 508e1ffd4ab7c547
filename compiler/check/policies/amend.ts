// O2A4020: an amendment allowed until a step that runs after one it replans could re-run a step
// that has already finished its side effects downstream (§19: amendment knows the step state).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

export const amendWindowBeforeReplan: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  for (const amend of plan.amendments) {
    const until = amend.until;
    if (until === undefined || !plan.stepByName.has(until.name)) continue;
    for (const r of amend.replan) {
      if (!plan.stepByName.has(r.name) || !graph.runsAfter(until.name, r.name)) continue;
      out.push(diagnostic('O2A4020', plan.file, until.range,
        `amendment '${amend.name.name}' is allowed until '${until.name}', which runs after '${r.name}', a step it replans`, {
          help: `'${r.name}' may have finished (and its dependents started) while the amendment is still allowed: end the window at '${r.name}' or earlier`,
          related: [{ file: plan.file, range: r.range, message: `'${r.name}' is replanned here` }],
        }));
    }
  }
  return out;
};
