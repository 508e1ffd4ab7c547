// Rule conditions of the compiled plan, evaluated over an order item's characteristics. Never eval'd.
import type { CompiledExpr, CompiledStep } from '../../compiler/emit/schema.js';

export type CharacteristicValue = string | number | boolean;
export type Characteristics = Readonly<Record<string, CharacteristicValue>>;
type Value = CharacteristicValue | undefined;

export function evaluate(expr: CompiledExpr, item: Characteristics): Value {
  switch (expr.op) {
    case 'literal': return expr.value;
    case 'characteristic': return item[expr.name.replace(/^item\./, '')];
    case 'not': return !truthy(evaluate(expr.arg, item));
    case 'and': return expr.args.every((arg) => truthy(evaluate(arg, item)));
    case 'or': return expr.args.some((arg) => truthy(evaluate(arg, item)));
    case 'in': case 'notIn': {
      const value = evaluate(expr.value, item);
      const found = value !== undefined && expr.list.some((entry) => entry === value);
      return expr.op === 'in' ? found : !found;
    }
    default: return compare(expr.op, evaluate(expr.left, item), evaluate(expr.right, item));
  }
}

function truthy(value: Value): boolean {
  return value !== undefined && value !== false && value !== '' && value !== 0;
}

function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', left: Value, right: Value): boolean {
  if (op === 'eq') return left !== undefined && left === right;
  if (op === 'ne') return left !== right;
  if (left === undefined || right === undefined || typeof left !== typeof right) return false;
  switch (op) {
    case 'lt': return left < right;
    case 'le': return left <= right;
    case 'gt': return left > right;
    case 'ge': return left >= right;
  }
}

/** Whether the step runs for this item: `skip when` true skips it, `only when` false skips it. */
export function stepApplies(step: CompiledStep, item: Characteristics): boolean {
  if (!step.condition) return true;
  const holds = truthy(evaluate(step.condition.expr, item));
  return step.condition.mode === 'skip' ? !holds : holds;
}
