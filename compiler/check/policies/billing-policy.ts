// §17, §28: billing is a declared policy, never hidden code. O2A4009: a billing step without a
// policy. O2A4010: a policy with no billing step. O2A4011: no gating declared. O2A4012: a
// scheduled date that is not a date characteristic.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { insertAt } from '../../resolve/fixes.js';
import type { BillingPolicy } from '../../syntax/ast.js';
import type { ProductOffering } from '../../catalog/schema.js';
import type { BundleCheck, PlanCheck } from '../context.js';

export const billingPolicyDeclared: PlanCheck = ({ plan, sourceText }) => {
  const billingSteps = plan.steps.filter((s) => s.kind?.id === 'billing_trigger');
  if (plan.billing === undefined && billingSteps.length > 0) {
    const text = sourceText(plan.file);
    const brace = text?.indexOf('{', plan.decl.offering.range.end.offset) ?? -1;
    const fixes = [];
    if (text !== undefined && brace >= 0) {
      const before = text.slice(0, brace + 1);
      const line = before.split('\n').length - 1;
      const at = { line, character: brace + 1 - (before.lastIndexOf('\n') + 1), offset: brace + 1 };
      fixes.push(insertAt("Add 'billing starts on activation, blocks completion'", plan.file, at, '\n  billing starts on activation, blocks completion\n'));
    }
    return [diagnostic('O2A4009', plan.file, plan.decl.name.range,
      `plan ${plan.name} has a billing step ('${billingSteps[0]!.name}') but no billing policy`, {
        help: 'declare when billing starts and whether it blocks completion, e.g. `billing starts on activation, blocks completion`',
        fixes,
      })];
  }
  // A step of unknown kind (an unknown template or kind, reported already) may be the billing
  // step: no second error for the same typo.
  if (plan.billing !== undefined && billingSteps.length === 0 && plan.steps.every((s) => s.kind !== undefined)) {
    return [diagnostic('O2A4010', plan.file, plan.billing.range,
      `plan ${plan.name} declares a billing policy but has no billing_trigger step`, {
        help: 'add a billing_trigger step, or remove the policy if the offering is not billed through this plan',
      })];
  }
  return [];
};

function gatingAndDate(file: string, owner: string, billing: BillingPolicy, offering: ProductOffering | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (billing.gating === undefined) {
    out.push(diagnostic('O2A4011', file, billing.range,
      `the billing policy of ${owner} does not say whether billing readiness blocks completion`, {
        help: 'add `, blocks completion` (billing readiness is required) or `, revenue assurance` (a billing gap goes to revenue assurance)',
        fixes: [
          insertAt("Add ', blocks completion'", file, billing.range.end, ', blocks completion'),
          insertAt("Add ', revenue assurance'", file, billing.range.end, ', revenue assurance'),
        ],
      }));
  }
  const ref = billing.scheduledFrom;
  if (billing.trigger === 'scheduled_date' && ref !== undefined && offering !== undefined && ref.path.length === 2) {
    const name = ref.path[1]!.name;
    const c = offering.productSpecification.characteristics.find((x) => x.name === name);
    if (c !== undefined && !(c.valueType === 'string' && c.format === 'date')) {
      const dates = offering.productSpecification.characteristics.filter((x) => x.valueType === 'string' && x.format === 'date').map((x) => x.name);
      out.push(diagnostic('O2A4012', file, ref.range,
        `billing of ${owner} starts on a scheduled date, but characteristic '${name}' is not a date`, {
          help: dates.length > 0 ? `date characteristics of ${offering.id}: ${dates.join(', ')}` : `${offering.id} defines no date characteristic: use another trigger`,
        }));
    }
  }
  return out;
}

export const billingPolicyComplete: PlanCheck = ({ plan }) =>
  plan.billing === undefined ? [] : gatingAndDate(plan.file, `plan ${plan.name}`, plan.billing, plan.offering);

export const bundleBillingPolicyComplete: BundleCheck = ({ bundle }) =>
  bundle.billing === undefined ? [] : gatingAndDate(bundle.file, `bundle ${bundle.name}`, bundle.billing, bundle.offering);
