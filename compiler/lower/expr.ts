// Lowers a rule condition to the runtime's expression tree (`item.x` becomes characteristic x).
import type { CompiledExpr } from '../emit/schema.js';
import type { Expr } from '../syntax/ast.js';

const comparisonOp = { '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' } as const;

/** Undefined when the expression holds a recovery placeholder (the plan has errors then). */
export function lowerExpr(expr: Expr): CompiledExpr | undefined {
  switch (expr.kind) {
    case 'Literal': return { op: 'literal', value: expr.value };
    case 'CharacteristicRef': {
      const name = expr.path[expr.path.length - 1];
      return name === undefined ? undefined : { op: 'characteristic', name: name.name };
    }
    case 'Not': {
      const arg = lowerExpr(expr.operand);
      return arg === undefined ? undefined : { op: 'not', arg };
    }
    case 'Comparison': {
      const left = lowerExpr(expr.left);
      const right = lowerExpr(expr.right);
      return left === undefined || right === undefined ? undefined : { op: comparisonOp[expr.op], left, right };
    }
    case 'In': {
      const value = lowerExpr(expr.value);
      return value === undefined ? undefined : { op: expr.negated ? 'notIn' : 'in', value, list: expr.list.map((l) => l.value) };
    }
    case 'Logical': {
      // `(a and b) and c` becomes one `and` with three arguments.
      const args: CompiledExpr[] = [];
      for (const operand of expr.operands) {
        const lowered = lowerExpr(operand);
        if (lowered === undefined) return undefined;
        if (lowered.op === expr.op) for (const arg of lowered.args) args.push(arg);
        else args.push(lowered);
      }
      return { op: expr.op, args };
    }
    case 'MissingExpr': return undefined;
  }
}
