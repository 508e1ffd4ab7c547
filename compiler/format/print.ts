// The canonical text of each AST node, as a tree of layout elements (see layout.ts).
import type * as A from '../syntax/ast.js';
import type { SyntaxToken } from '../syntax/index.js';

/** One line of output (`head`), or a block: `head {`, its children one per line, `}`. */
export interface LayoutElement {
  /** Source offsets of the node, `end` exclusive: comments inside stay with it. */
  start: number;
  end: number;
  head: string;
  block?: { open: number; close: number; children: LayoutElement[] };
  /**
   * A block of one child that may be printed on one line, `head { child }`, when it fits in
   * `maxLineWidth` and holds no comment: a step with a single property.
   */
  inline?: boolean;
}

/** The widest line the formatter writes on its own accord (longer heads and properties stay as written). */
export const maxLineWidth = 100;

export function quoteString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r')}"`;
}

const precedence: Record<A.Expr['kind'], number> = {
  Logical: 0,
  Not: 3,
  Comparison: 4,
  In: 4,
  CharacteristicRef: 5,
  Literal: 5,
  MissingExpr: 5,
};

function exprPrecedence(e: A.Expr): number {
  return e.kind === 'Logical' ? (e.op === 'or' ? 1 : 2) : precedence[e.kind];
}

/**
 * Parentheses as the author wrote them (`parens`); on a node written without any, those the tree
 * needs: `and` binds tighter than `or`. Chains are printed in a loop, whatever their length.
 */
export function printExpr(e: A.Expr, min = 0): string {
  const text = printExprBare(e);
  const written = e.parens ?? 0;
  if (written > 0) return `${'('.repeat(written)}${text}${')'.repeat(written)}`;
  return exprPrecedence(e) < min ? `(${text})` : text;
}

function printExprBare(e: A.Expr): string {
  switch (e.kind) {
    case 'Logical': {
      const p = e.op === 'or' ? 1 : 2;
      const parts: string[] = [];
      for (let i = 0; i < e.operands.length; i++) parts.push(printExpr(e.operands[i]!, i === 0 ? p : p + 1));
      return parts.join(` ${e.op} `);
    }
    case 'Not':
      return `not ${printExpr(e.operand, 3)}`;
    case 'Comparison':
      return `${printExpr(e.left, 5)} ${e.op} ${printExpr(e.right, 5)}`;
    case 'In':
      return `${printExpr(e.value, 5)} ${e.negated ? 'not in' : 'in'} [${e.list.map(printLiteral).join(', ')}]`;
    case 'CharacteristicRef':
      return e.path.map((p) => p.name).join('.');
    case 'Literal':
      return printLiteral(e);
    case 'MissingExpr':
      return '';
  }
}

function printLiteral(l: A.LiteralExpr): string {
  // Every literal as written: a string keeps its escapes (`"\\q"` stays so), a number its digits.
  return l.text;
}

function printAction(a: A.OutcomeAction, written: (s: A.StringLiteral) => string): string {
  switch (a.kind) {
    case 'fail':
      return 'fail';
    case 'hold':
      return `hold ${a.party}${a.message ? ` ${written(a.message)}` : ''}`;
    case 'fallout':
      return a.group ? `fallout ${a.group.name}` : 'fallout';
    case 'reconcile':
      return 'unknown then reconcile';
  }
}

export class ElementPrinter {
  constructor(
    private readonly source: string,
    private readonly tokens: readonly SyntaxToken[],
  ) {}

  /** A string as the author wrote it, quotes and escapes included. */
  private readonly written = (s: A.StringLiteral): string => this.source.slice(s.range.start.offset, s.range.end.offset);

  private leaf(node: { range: A.Ident['range'] }, head: string): LayoutElement {
    return { start: node.range.start.offset, end: node.range.end.offset, head };
  }

  private block(node: { range: A.Ident['range'] }, head: string, children: LayoutElement[]): LayoutElement {
    const start = node.range.start.offset;
    const end = node.range.end.offset;
    const open = this.tokens.find((t) => t.text === '{' && t.type === 'punctuation' && t.range.start.offset >= start && t.range.start.offset < end);
    return { start, end, head, block: { open: open?.range.start.offset ?? start, close: end - 1, children } };
  }

  /** The offset of the last keyword `word` before `offset` inside `[from, offset)`. */
  private keywordBefore(word: string, offset: number, from: number): number {
    let found = offset;
    for (const t of this.tokens) {
      if (t.range.start.offset >= offset) break;
      if (t.range.start.offset >= from && t.text === word) found = t.range.start.offset;
    }
    return found;
  }

  document(doc: A.Document): LayoutElement[] {
    const elements: LayoutElement[] = [];
    if (doc.catalog) elements.push(this.leaf(doc.catalog, `catalog ${doc.catalog.id.name} ${doc.catalog.version.name}`));
    for (const d of doc.declarations) elements.push(this.declaration(d));
    return elements;
  }

  private declaration(d: A.Declaration): LayoutElement {
    switch (d.kind) {
      case 'Plan':
        return this.block(d, `plan ${d.name.name}${this.version(d.version)} for offering ${d.offering.name}${this.actions(d.actions)}`, d.members.map((m) => this.planMember(m)));
      case 'Bundle':
        return this.block(d, `bundle ${d.name.name}${this.version(d.version)} for offering ${d.offering.name}${this.actions(d.actions)}`, d.members.map((m) => this.bundleMember(m)));
      case 'Template':
        return this.block(d, `template ${d.name.name}: ${d.stepKind.name}`, d.properties.map((p) => this.property(p)));
    }
  }

  /** ` version <n>` as written (a version that is not a whole number, O2A0009, stays as it is). */
  private actions(clause: A.ActionClause | undefined): string {
    return clause && clause.names.length > 0 ? ` action ${clause.names.map((n) => n.name).join(', ')}` : '';
  }

  private version(v: A.NumberLiteral | undefined): string {
    if (!v) return '';
    const written = this.source.slice(v.range.start.offset, v.range.end.offset);
    return ` version ${/^\d+$/.test(written) ? String(v.value) : written}`;
  }

  private planMember(m: A.PlanMember): LayoutElement {
    switch (m.kind) {
      case 'Step': {
        const origin = m.template ? ` from ${m.template.name}` : `: ${m.stepKind?.name ?? ''}`;
        const after = m.after.length > 0 ? ` after ${m.after.map((a) => a.name).join(', ')}` : '';
        const head = `step ${m.name.name}${origin}${after}`;
        if (m.properties.length === 0) return this.leaf(m, head);
        return { ...this.block(m, head, m.properties.map((p) => this.property(p))), inline: m.properties.length === 1 };
      }
      case 'Defaults':
        return this.block(m, 'defaults', m.properties.map((p) => this.property(p)));
      case 'Amend':
        return this.amend(m);
      case 'Cancel':
        return this.block(
          m,
          'cancel',
          m.rules.map((r) =>
            this.leaf(r, `${r.phase} ${r.step.name}: ${r.action}${r.requiresApproval ? ' requires approval' : ''}${r.message ? ` ${this.written(r.message)}` : ''}`),
          ),
        );
      default:
        return this.bundleMember(m);
    }
  }

  private bundleMember(m: A.BundleMember): LayoutElement {
    switch (m.kind) {
      case 'Item':
        return this.leaf(m, `item ${m.name.name}: ${m.plan.name}${m.optional ? ' optional' : ''}`);
      case 'Billing':
        return this.leaf(m, this.billing(m));
      case 'Completion':
        return this.leaf(m, m.mode === 'all' ? 'completion all' : 'completion partial allowed');
      case 'Status':
        return this.block(
          m,
          'status',
          m.entries.map((e) => this.leaf(e, `${e.step ? `${e.step.name} ` : ''}${e.state.name}: ${this.written(e.text)}`)),
        );
    }
  }

  private billing(b: A.BillingPolicy): string {
    const triggers: Record<A.BillingTrigger, string> = {
      acceptance: 'acceptance',
      activation: 'activation',
      customer_acceptance: 'customer acceptance',
      first_usage: 'first usage',
      scheduled_date: `scheduled date ${b.scheduledFrom ? printExpr(b.scheduledFrom) : ''}`,
    };
    const gating = b.gating === 'blocks_completion' ? ', blocks completion' : b.gating === 'revenue_assurance' ? ', revenue assurance' : '';
    return `billing starts on ${triggers[b.trigger]}${gating}`;
  }

  private amend(m: A.AmendRule): LayoutElement {
    const from = m.range.start.offset;
    const entries: LayoutElement[] = [];
    if (m.replan.length > 0) {
      const first = m.replan[0]!.range.start.offset;
      const last = m.replan[m.replan.length - 1]!.range.end.offset;
      entries.push({ start: this.keywordBefore('replan', first, from), end: last, head: `replan ${m.replan.map((s) => s.name).join(', ')}` });
    }
    if (m.until) {
      entries.push({ start: this.keywordBefore('until', m.until.range.start.offset, from), end: m.until.range.end.offset, head: `until ${m.until.name}` });
    }
    if (m.afterReject) {
      const a = m.afterReject;
      entries.push(this.leaf(a, `after ${a.step.name}: reject${a.message ? ` ${this.written(a.message)}` : ''}`));
    }
    entries.sort((a, b) => a.start - b.start);
    return this.block(m, `amend ${m.name.name}`, entries);
  }

  private property(p: A.StepProperty): LayoutElement {
    return this.leaf(p, this.propertyText(p));
  }

  /** One step property as it is printed (the language server's hover shows them so too). */
  propertyText(p: A.StepProperty): string {
    switch (p.kind) {
      case 'Owner':
        return `owner ${p.component.name}`;
      case 'CatalogRef':
        return `${p.key} ${p.ref.name}`;
      case 'Timeout':
        return `timeout ${p.duration.text}`;
      case 'OnTimeout':
        return `on timeout ${printAction(p.action, this.written)}`;
      case 'Outcome':
        return `on ${p.outcome.name} ${printAction(p.action, this.written)}`;
      case 'Retry': {
        const written = this.source.slice(p.count.range.start.offset, p.count.range.end.offset);
        // A count that is not a whole number (O2A0006) stays what the author wrote.
        let text = `retry ${written === 'none' || !/^\d+$/.test(written) ? written : String(p.count.value)}`;
        if (p.backoff?.kind === 'fixed') text += ` every ${p.backoff.every.text}`;
        if (p.backoff?.kind === 'exponential') text += ` exponential ${p.backoff.initial.text}${p.backoff.max ? ` max ${p.backoff.max.text}` : ''}`;
        if (p.jitter) text += ' jitter';
        if (p.sameKey) text += ' same key';
        return text;
      }
      case 'Compensate':
        return `compensate ${p.action.name}${p.requiresApproval ? ' requires approval' : ''}`;
      case 'Irreversible':
        return 'irreversible';
      case 'Evidence':
        return `evidence ${p.items.map((i) => i.name).join(', ')}`;
      case 'Rule':
        return `${p.mode} when ${printExpr(p.condition)}`;
    }
  }
}
