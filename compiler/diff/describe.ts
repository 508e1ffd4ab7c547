// Compiled-plan values written back in the language's words, so a change reads as
// `compensate release -> irreversible` rather than as two JSON objects, and so fingerprints
// stay stable across formatting changes of the compiled plan.
import type { CompiledExpr, CompiledStep, OutcomeAction, CancellationRule, AmendmentRule, BillingPolicy } from '../emit/schema.js';

export function describeAction(action: OutcomeAction): string {
  switch (action.action) {
    case 'fail':
      return 'fail';
    case 'hold':
      return action.message === undefined ? `hold ${action.party}` : `hold ${action.party} ${JSON.stringify(action.message)}`;
    case 'fallout':
      return action.ownerGroup === undefined ? 'fallout' : `fallout ${action.ownerGroup}`;
    case 'reconcile':
      return 'unknown then reconcile';
  }
}

export function describeCompensation(compensation: CompiledStep['compensation']): string {
  switch (compensation.kind) {
    case 'compensate':
      return `compensate ${compensation.action}${compensation.requiresApproval ? ' requires approval' : ''}`;
    case 'irreversible':
      return 'irreversible';
    case 'none':
      return 'none';
  }
}

export function describeRef(ref: CompiledStep['ref']): string | null {
  return ref === null ? null : `${ref.type} ${ref.id}`;
}

export function describeCondition(condition: CompiledStep['condition']): string | null {
  return condition === null ? null : `${condition.mode} when ${describeExpr(condition.expr)}`;
}

const comparisonSymbols = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;

export function describeExpr(expr: CompiledExpr, parentIsLogical = false): string {
  switch (expr.op) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'le':
    case 'gt':
    case 'ge':
      return `${describeExpr(expr.left, true)} ${comparisonSymbols[expr.op]} ${describeExpr(expr.right, true)}`;
    case 'in':
    case 'notIn':
      return `${describeExpr(expr.value, true)} ${expr.op === 'in' ? 'in' : 'not in'} [${expr.list.map((v) => JSON.stringify(v)).join(', ')}]`;
    case 'and':
    case 'or': {
      const text = expr.args.map((a) => describeExpr(a, true)).join(` ${expr.op} `);
      return parentIsLogical ? `(${text})` : text;
    }
    case 'not':
      return `not ${describeExpr(expr.arg, true)}`;
    case 'characteristic':
      return `item.${expr.name}`;
    case 'literal':
      return JSON.stringify(expr.value);
  }
}

export function describeBillingTrigger(billing: BillingPolicy | null): string | null {
  if (billing === null) return null;
  return billing.trigger === 'scheduled_date' && billing.scheduledFrom !== null
    ? `scheduled_date item.${billing.scheduledFrom}`
    : billing.trigger;
}

export function describeBillingGating(billing: BillingPolicy | null): string | null {
  if (billing === null) return null;
  return billing.blocksCompletion ? 'blocks completion' : 'revenue assurance';
}

export function describeCancelAction(rule: CancellationRule): string {
  switch (rule.action) {
    case 'stop':
      return 'stop';
    case 'compensate':
      return rule.requiresApproval ? 'compensate requires approval' : 'compensate';
    case 'reject':
      return rule.message === null ? 'reject' : `reject ${JSON.stringify(rule.message)}`;
  }
}

export function describeAmendment(rule: AmendmentRule): string {
  const parts: string[] = [];
  if (rule.replan.length > 0) parts.push(`replan ${rule.replan.join(', ')}`);
  if (rule.until !== null) parts.push(`until ${rule.until}`);
  if (rule.rejectAfter !== null) {
    parts.push(`after ${rule.rejectAfter.step}: reject${rule.rejectAfter.message === null ? '' : ` ${JSON.stringify(rule.rejectAfter.message)}`}`);
  }
  return parts.join('  ');
}

const units: [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

/** `259200000` -> `3d`, `5400000` -> `1h30m`: durations as the language writes them. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0ms';
  let rest = ms;
  let text = '';
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
