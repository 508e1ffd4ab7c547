// O2A3008: a plan without steps fulfils nothing.
import { diagnostic } from '../../diagnostics/index.js';
import type { PlanCheck } from '../context.js';

export const planHasSteps: PlanCheck = ({ plan }) =>
  plan.decl.members.some((m) => m.kind === 'Step')
    ? []
    : [diagnostic('O2A3008', plan.file, plan.decl.name.range, `plan ${plan.name} has no steps`, {
        help: 'declare the steps that fulfil the offering, e.g. `step internet: service_order_item { service ... }`',
      })];
