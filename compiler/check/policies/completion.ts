// O2A4013: partial completion is a bundle's (§20): a single plan completes or it does not.
import { diagnostic } from '../../diagnostics/index.js';
import { replaceFix } from '../../resolve/fixes.js';
import type { PlanCheck } from '../context.js';

export const partialCompletionOnlyInBundles: PlanCheck = ({ plan }) => {
  const c = plan.completion;
  if (c?.mode !== 'partial_allowed') return [];
  return [diagnostic('O2A4013', plan.file, c.range, `plan ${plan.name} allows partial completion, which only a bundle can`, {
    help: 'a single order item is complete or not: use `completion all`, and allow partial completion on the bundle',
    fixes: [replaceFix("Replace with 'completion all'", plan.file, c.range, 'completion all')],
  })];
};
