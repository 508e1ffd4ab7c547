// O2A4006: an outcome handler for an outcome the step's owner never reports is dead code, and
// usually a typo of one it does report.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { replaceFix } from '../../resolve/fixes.js';
import { aKind } from '../../resolve/index.js';
import { locatePolicy, type PlanCheck } from '../context.js';

export const outcomesReported: PlanCheck = ({ plan }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const kind = step.kind;
    if (kind === undefined) continue;
    for (const [name, outcome] of step.outcomes) {
      if (kind.outcomes.includes(name)) continue;
      const suggestion = closestMatch(name, kind.outcomes);
      const at = outcome.source === 'step' ? { file: plan.file, range: outcome.value.outcome.range } : locatePolicy(step, outcome);
      out.push(diagnostic('O2A4006', at.file, at.range,
        `${aKind(kind.id)} step never reports outcome '${name}' (step '${step.name}')`, {
          help: suggestion !== undefined ? `did you mean '${suggestion}'?`
            : kind.outcomes.length > 0 ? `it reports: ${kind.outcomes.join(', ')}` : 'it reports only success, failure and timeout',
          ...(suggestion !== undefined && outcome.file !== undefined
            ? { fixes: [replaceFix(`Replace with '${suggestion}'`, outcome.file, outcome.value.outcome.range, suggestion)] } : {}),
          ...('related' in at && at.related !== undefined ? { related: at.related } : {}),
        }));
    }
  }
  return out;
};
