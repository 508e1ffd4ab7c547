// O2A3007: an activation whose result no verification step checks: the plan would take the
// activation API's success as proof that the service works (§16, anti-pattern 4 of §29).
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

export const activationVerified: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    if (step.kind?.id !== 'activation') continue;
    const after = graph.descendants(step.name);
    const verified = [...after].some((n) => plan.stepByName.get(n)?.kind?.id === 'verification');
    // A step after it whose kind is unknown may be the verification (misspelt): one error, there.
    if (verified || graph.anyUnknownKind(after)) continue;
    out.push(diagnostic('O2A3007', plan.file, step.decl.name.range,
      `no verification step runs after activation '${step.name}'`, {
        help: `add \`step verify_${step.name}: verification after ${step.name}\`: completion is proven, not assumed from the last API success`,
      }));
  }
  return out;
};
