// §12.1: every step has its completion evidence. O2A4023: a work order that does not ask for the
// evidence its work type requires. O2A4024: evidence the work type does not define.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { addStepPropertyFix, insertAt, replaceFix } from '../../resolve/fixes.js';
import type { PlanCheck } from '../context.js';

export const workEvidenceDeclared: PlanCheck = ({ plan, catalog, sourceText }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    if (step.kind?.id !== 'work_order' || step.catalogRef?.value.key !== 'work' || !step.catalogRefResolved) continue;
    const work = catalog.workTypes.get(step.catalogRef.value.ref.name);
    if (work === undefined) continue;
    const declared = step.evidence?.value ?? [];
    const names = declared.map((i) => i.name);
    const missing = work.evidence.filter((e) => !names.includes(e));
    if (missing.length > 0) {
      const ev = step.evidence;
      const last = declared[declared.length - 1];
      const fix = ev !== undefined && ev.source === 'step' && last !== undefined
        ? insertAt(`Add ${missing.join(', ')}`, plan.file, last.range.end, `, ${missing.join(', ')}`)
        : ev === undefined ? addStepPropertyFix(`Add 'evidence ${work.evidence.join(', ')}'`, plan.file, step.decl, sourceText(plan.file), `evidence ${work.evidence.join(', ')}`)
        : undefined;
      out.push(diagnostic('O2A4023', plan.file, ev?.source === 'step' && ev.range !== undefined ? ev.range : step.decl.name.range,
        `work order '${step.name}' does not ask for evidence ${missing.map((m) => `'${m}'`).join(', ')} required by work type ${work.id}`, {
          help: `work type ${work.id} requires: ${work.evidence.join(', ')}`,
          ...(fix !== undefined ? { fixes: [fix] } : {}),
        }));
    }
    for (const item of declared) {
      if (work.evidence.includes(item.name)) continue;
      const suggestion = closestMatch(item.name, work.evidence);
      out.push(diagnostic('O2A4024', step.evidence?.file ?? plan.file, item.range,
        `work type ${work.id} defines no evidence '${item.name}'`, {
          help: suggestion !== undefined ? `did you mean '${suggestion}'?` : `it defines: ${work.evidence.join(', ') || 'none'}`,
          ...(suggestion !== undefined ? { fixes: [replaceFix(`Replace with '${suggestion}'`, step.evidence?.file ?? plan.file, item.range, suggestion)] } : {}),
        }));
    }
  }
  return out;
};
