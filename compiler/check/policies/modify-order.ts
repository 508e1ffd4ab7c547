// O2A4025: an offering that modifies an active service (orderType modify) should not need field
// work; an appointment or work order there usually means the wrong plan was copied.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

const fieldWork = new Set(['appointment', 'work_order']);

export const modifyOrderWithoutFieldWork: PlanCheck = ({ plan }) => {
  if (plan.offering?.orderType !== 'modify') return [];
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    if (step.kind === undefined || !fieldWork.has(step.kind.id)) continue;
    out.push(diagnostic('O2A4025', plan.file, step.decl.name.range,
      `step '${step.name}' (${step.kind.id}) sends field work for ${plan.offering.id}, a modify order`, {
        help: 'a modify order changes an active service remotely: remove the field work, or plan it under a new-order offering',
      }));
  }
  return out;
};
