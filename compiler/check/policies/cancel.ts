// Cancellation (§18) is phase-aware. O2A4017: `compensate` where nothing before the phase can be
// compensated. O2A4018: two rules for the same phase of the same step. O2A4019: a rule that can
// never apply because an earlier phase already rejects cancellation.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { replaceFix } from '../../resolve/fixes.js';
import type { CancelRule } from '../../syntax/ast.js';
import type { PlanCheck } from '../context.js';

export const cancelCompensatesSomething: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  for (const rule of plan.cancel) {
    if (rule.action !== 'compensate') continue;
    const step = plan.stepByName.get(rule.step.name);
    if (step === undefined) continue;
    // `after x`: x and what precedes it have run; `before x`: only what precedes x.
    const done = [...graph.ancestors(step.name), ...(rule.phase === 'after' ? [step.name] : [])]
      .map((n) => plan.stepByName.get(n)!);
    if (done.some((s) => s.policies.compensation?.value.kind === 'compensate' || s.kind === undefined)) continue;
    out.push(diagnostic('O2A4017', plan.file, rule.range,
      `cancel rule '${rule.phase} ${rule.step.name}: compensate' has nothing to compensate: no step that has run by then declares a compensation`, {
        help: rule.phase === 'after' && step.policies.compensation?.value.kind === 'irreversible'
          ? `'${step.name}' is irreversible: use \`reject "..."\` or \`stop\``
          : 'use `stop`, or `reject "..."` if the order can no longer be cancelled',
        fixes: [replaceFix("Replace with 'stop'", plan.file, rule.range, `${rule.phase} ${rule.step.name}: stop`)],
      }));
  }
  return out;
};

export const cancelRulesConsistent: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  const first = new Map<string, CancelRule>();
  for (const rule of plan.cancel) {
    if (rule.step.missing) continue;
    const key = `${rule.phase} ${rule.step.name}`;
    const earlier = first.get(key);
    if (earlier !== undefined) {
      out.push(diagnostic('O2A4018', plan.file, rule.range,
        `cancel rule '${key}' is declared twice${earlier.action !== rule.action ? ` with different actions (${earlier.action}, ${rule.action})` : ''}`, {
          help: 'keep one rule per phase of a step',
          related: [{ file: plan.file, range: earlier.range, message: 'first declared here' }],
        }));
      continue;
    }
    first.set(key, rule);
  }
  // Which rule comes first is a question of step order, which a plan with a cycle has not.
  if (graph.hasCycle()) return out;
  for (const reject of plan.cancel) {
    if (reject.action !== 'reject' || reject.phase !== 'after' || !plan.stepByName.has(reject.step.name)) continue;
    for (const rule of plan.cancel) {
      if (rule === reject || rule.action === 'reject' || !plan.stepByName.has(rule.step.name)) continue;
      const later = rule.phase === 'after'
        ? graph.runsAfter(rule.step.name, reject.step.name)
        : graph.runsAfter(rule.step.name, reject.step.name) && rule.step.name !== reject.step.name;
      if (!later) continue;
      out.push(diagnostic('O2A4019', plan.file, rule.range,
        `cancel rule '${rule.phase} ${rule.step.name}: ${rule.action}' never applies: cancellation is rejected once '${reject.step.name}' has run`, {
          help: `'${rule.step.name}' runs after '${reject.step.name}': remove this rule, or move the rejection later`,
          related: [{ file: plan.file, range: reject.range, message: 'cancellation rejected here' }],
        }));
    }
  }
  return out;
};
