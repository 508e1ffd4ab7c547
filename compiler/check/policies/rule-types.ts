// O2A4014: a rule compares a characteristic with a value of another type. O2A4015: an enum value
// the characteristic does not allow. O2A4016: a number outside the declared range.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { replaceFix } from '../../resolve/fixes.js';
import type { Characteristic, ProductOffering } from '../../catalog/schema.js';
import type { Expr, LiteralExpr } from '../../syntax/ast.js';
import type { PlanCheck } from '../context.js';

type ValueType = 'string' | 'number' | 'boolean' | 'duration';

function characteristicOf(expr: Expr, offering: ProductOffering): Characteristic | undefined {
  if (expr.kind !== 'CharacteristicRef' || expr.path.length !== 2 || expr.path[0]!.name !== 'item') return undefined;
  return offering.productSpecification.characteristics.find((c) => c.name === expr.path[1]!.name);
}

function typeOf(c: Characteristic): ValueType {
  return c.valueType === 'enum' ? 'string' : c.valueType;
}

function describe(c: Characteristic): string {
  return c.valueType === 'enum' ? `an enum (${c.values.map((v) => `"${v}"`).join(', ')})`
    : c.valueType === 'string' && c.format === 'date' ? 'a date string'
    : `a ${c.valueType}`;
}

export const ruleValueTypes: PlanCheck = ({ plan }) => {
  const offering = plan.offering;
  if (offering === undefined) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<Expr>();

  const literal = (file: string, c: Characteristic, lit: LiteralExpr): void => {
    const name = c.name;
    if (lit.type !== typeOf(c)) {
      out.push(diagnostic('O2A4014', file, lit.range,
        `characteristic '${name}' of ${offering.id} is ${describe(c)}, compared with a ${lit.type} (${lit.text})`, {
          help: c.valueType === 'enum' ? `compare it with one of ${c.values.map((v) => `"${v}"`).join(', ')}`
            : c.valueType === 'boolean' ? `compare it with true or false, or use \`item.${name}\` alone`
            : `compare it with a ${typeOf(c)}`,
        }));
      return;
    }
    if (c.valueType === 'enum' && typeof lit.value === 'string' && !c.values.includes(lit.value)) {
      const suggestion = closestMatch(lit.value, c.values);
      out.push(diagnostic('O2A4015', file, lit.range,
        `"${lit.value}" is not a value of characteristic '${name}' of ${offering.id}`, {
          help: suggestion !== undefined ? `did you mean "${suggestion}"?` : `its values: ${c.values.map((v) => `"${v}"`).join(', ')}`,
          ...(suggestion !== undefined ? { fixes: [replaceFix(`Replace with "${suggestion}"`, file, lit.range, JSON.stringify(suggestion))] } : {}),
        }));
    }
    if (c.valueType === 'number' && typeof lit.value === 'number'
      && ((c.min !== undefined && lit.value < c.min) || (c.max !== undefined && lit.value > c.max))) {
      out.push(diagnostic('O2A4016', file, lit.range,
        `${lit.text} is outside the range of characteristic '${name}' of ${offering.id} (${c.min ?? '-inf'}..${c.max ?? 'inf'}${c.unit !== undefined ? ` ${c.unit}` : ''})`, {
          help: 'the comparison is constant for every valid order item: check the value or the unit',
        }));
    }
  };

  const asCondition = (file: string, expr: Expr): void => {
    if (expr.kind === 'CharacteristicRef') {
      const c = characteristicOf(expr, offering);
      if (c !== undefined && c.valueType !== 'boolean') {
        out.push(diagnostic('O2A4014', file, expr.range,
          `characteristic '${c.name}' of ${offering.id} is ${describe(c)}, used as a condition`, {
            help: `compare it with a value, e.g. \`item.${c.name} == ...\``,
          }));
      }
    } else if (expr.kind === 'Literal' && expr.type !== 'boolean') {
      out.push(diagnostic('O2A4014', file, expr.range, `a ${expr.type} (${expr.text}) is used as a condition`, {
        help: 'a condition is true or false: compare a characteristic with a value',
      }));
    } else visit(file, expr);
  };

  const visit = (file: string, expr: Expr): void => {
    if (seen.has(expr)) return;
    seen.add(expr);
    switch (expr.kind) {
      case 'Logical': for (const operand of expr.operands) asCondition(file, operand); return;
      case 'Not': asCondition(file, expr.operand); return;
      case 'In': {
        const c = characteristicOf(expr.value, offering);
        if (c !== undefined) for (const lit of expr.list) literal(file, c, lit);
        return;
      }
      case 'Comparison': {
        const lc = characteristicOf(expr.left, offering);
        const rc = characteristicOf(expr.right, offering);
        const ordering = expr.op !== '==' && expr.op !== '!=';
        const c = lc ?? rc;
        if (c !== undefined && ordering && c.valueType !== 'number' && !(c.valueType === 'string' && c.format === 'date')) {
          out.push(diagnostic('O2A4014', file, expr.range,
            `characteristic '${c.name}' of ${offering.id} is ${describe(c)}: it cannot be ordered with '${expr.op}'`, {
              help: 'compare it with == or !=, or with `in [...]`',
            }));
          return;
        }
        if (lc !== undefined && expr.right.kind === 'Literal') literal(file, lc, expr.right);
        else if (rc !== undefined && expr.left.kind === 'Literal') literal(file, rc, expr.left);
        else if (lc !== undefined && rc !== undefined && typeOf(lc) !== typeOf(rc)) {
          out.push(diagnostic('O2A4014', file, expr.range,
            `characteristics '${lc.name}' (${describe(lc)}) and '${rc.name}' (${describe(rc)}) have different types`, {
              help: 'compare values of the same type',
            }));
        }
        return;
      }
      default: return;
    }
  };

  for (const step of plan.steps) {
    const rule = step.rule;
    if (rule === undefined) continue;
    asCondition(rule.file ?? plan.file, rule.value.condition);
  }
  return out;
};
