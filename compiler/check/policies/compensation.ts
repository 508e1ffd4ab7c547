// O2A4001: a side-effecting step declares how it is undone, or that it cannot be (§18.5: rollback
// is not a generic operation). O2A4002: the compensating action is one its owner offers.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { addStepPropertyFix, replaceFix } from '../../resolve/fixes.js';
import { locatePolicy, type PlanCheck } from '../context.js';

export const compensationDeclared: PlanCheck = ({ plan, sourceText }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const kind = step.kind;
    if (kind === undefined || !kind.sideEffecting || step.policies.compensation !== undefined) continue;
    const text = sourceText(plan.file);
    const first = kind.compensations[0];
    const fixes = [
      ...(first !== undefined ? [addStepPropertyFix(`Add 'compensate ${first}'`, plan.file, step.decl, text, `compensate ${first}`)] : []),
      addStepPropertyFix("Declare it 'irreversible'", plan.file, step.decl, text, 'irreversible'),
    ];
    out.push(diagnostic('O2A4001', plan.file, step.decl.name.range,
      `step '${step.name}' (${kind.id}) has side effects but no compensation and is not declared irreversible`, {
        help: first !== undefined
          ? `add \`compensate ${first}\`${kind.compensations.length > 1 ? ` (or ${kind.compensations.slice(1).join(', ')})` : ''}, or \`irreversible\` if it cannot be undone`
          : 'its owner offers no compensation: declare it `irreversible`',
        fixes,
      }));
  }
  return out;
};

export const compensationOffered: PlanCheck = ({ plan }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const kind = step.kind;
    const comp = step.policies.compensation;
    if (kind === undefined || comp === undefined || comp.value.kind !== 'compensate') continue;
    const action = comp.value.action;
    if (action === '' || kind.compensations.includes(action)) continue;
    // Written in a template: reported once, there, not at every step that uses it.
    const inTemplate = comp.source === 'template' && step.template !== undefined && comp.file !== undefined && comp.range !== undefined;
    const at = inTemplate ? { file: comp.file!, range: comp.range! } : locatePolicy(step, comp);
    const suggestion = closestMatch(action, kind.compensations);
    out.push(diagnostic('O2A4002', at.file, at.range,
      `the owner of ${kind.id} steps offers no compensation '${action}' (${inTemplate ? `template ${step.template!.name}` : `step '${step.name}'`})`, {
        help: suggestion !== undefined ? `did you mean '${suggestion}'?`
          : kind.compensations.length > 0 ? `it offers: ${kind.compensations.join(', ')}` : 'it offers none: declare the step `irreversible`',
        ...(suggestion !== undefined && comp.file !== undefined && comp.range !== undefined
          ? { fixes: [replaceFix(`Replace with 'compensate ${suggestion}'`, comp.file, comp.range, `compensate ${suggestion}${comp.value.requiresApproval ? ' requires approval' : ''}`)] }
          : {}),
        ...(at.related !== undefined ? { related: at.related } : {}),
      }));
  }
  return out;
};
