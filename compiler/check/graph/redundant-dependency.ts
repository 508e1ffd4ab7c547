// O2A3002: an `after` entry already implied by another entry of the same list.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { Range } from '../../diagnostics/diagnostic.js';
import { replaceFix } from '../../resolve/fixes.js';
import type { PlanCheck } from '../context.js';

export const redundantDependencies: PlanCheck = ({ plan, graph }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const direct = step.dependsOn;
    for (const dep of direct) {
      const via = direct.find((other) => other.name !== dep.name && graph.ancestors(other.name).has(dep.name)
        && !graph.ancestors(dep.name).has(other.name));
      if (via === undefined) continue;
      const idents = step.decl.after;
      const pos = idents.indexOf(dep.ident);
      const removal: Range = pos > 0
        ? { start: idents[pos - 1]!.range.end, end: dep.ident.range.end }
        : idents[pos + 1] !== undefined ? { start: dep.ident.range.start, end: idents[pos + 1]!.range.start } : dep.ident.range;
      out.push(diagnostic('O2A3002', plan.file, dep.ident.range,
        `'${step.name}' already runs after '${dep.name}' through '${via.name}'`, {
          help: `remove '${dep.name}' from the 'after' list`,
          fixes: idents.length > 1 ? [replaceFix(`Remove '${dep.name}'`, plan.file, removal, '')] : [],
        }));
    }
  }
  return out;
};
