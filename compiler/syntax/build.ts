// CST to AST. Tolerates every child that error recovery may have left out: a missing name becomes
// an Ident with `missing: true`, a missing expression a MissingExpr, a missing number or duration
// a zero value with an empty range. Checks the shape of numeric words here, where their place is known.
import { tokenMatcher, type CstElement, type CstNode, type IToken, type TokenType } from 'chevrotain';
import * as A from './ast.js';
import type { Diagnostic, Range } from '../diagnostics/diagnostic.js';
import { diagnostic } from '../diagnostics/index.js';
import { SyntaxCode } from '../diagnostics/codes/syntax.js';
import { closestMatch, editDistance } from '../diagnostics/suggest.js';
import { readDuration } from './durations.js';
import type { LineMap } from './positions.js';
import * as T from './tokens.js';

const { Kw } = T;

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function real(token: IToken | undefined): token is IToken {
  return token !== undefined && !token.isInsertedInRecovery && !Number.isNaN(token.startOffset) && token.image !== '';
}

// These run for every node of every file: plain loops, no intermediate arrays.
function tokensOf(node: CstNode | undefined, key: string): IToken[] {
  const result: IToken[] = [];
  const list = node?.children[key];
  if (list !== undefined) for (const e of list) if (isToken(e)) result.push(e);
  return result;
}

function tokenOf(node: CstNode | undefined, key: string): IToken | undefined {
  const list = node?.children[key];
  if (list !== undefined) for (const e of list) if (isToken(e)) return e;
  return undefined;
}

function nodesOf(node: CstNode | undefined, key: string): CstNode[] {
  const result: CstNode[] = [];
  const list = node?.children[key];
  if (list !== undefined) for (const e of list) if (!isToken(e)) result.push(e);
  return result;
}

function nodeOf(node: CstNode | undefined, key: string): CstNode | undefined {
  const list = node?.children[key];
  if (list !== undefined) for (const e of list) if (!isToken(e)) return e;
  return undefined;
}

function has(node: CstNode | undefined, key: string): boolean {
  const list = node?.children[key];
  if (list !== undefined) for (const e of list) if (isToken(e) && real(e)) return true;
  return false;
}

const strayExpectations: Readonly<Record<string, { expected: string; words: readonly string[] }>> = {
  document: { expected: 'a plan, bundle or template', words: ['plan', 'bundle', 'template', 'catalog'] },
  plan: {
    expected: 'a plan member (step, defaults, billing, cancel, amend, status or completion)',
    words: ['step', 'defaults', 'billing', 'cancel', 'amend', 'status', 'completion'],
  },
  bundle: { expected: 'a bundle member (item, billing, completion or status)', words: ['item', 'billing', 'completion', 'status'] },
  properties: {
    expected: 'a step property (owner, service, resource, work, target, template, timeout, on, retry, compensate, irreversible, evidence, skip when or only when)',
    words: ['owner', 'service', 'resource', 'work', 'target', 'template', 'timeout', 'on', 'retry', 'compensate', 'irreversible', 'evidence', 'skip', 'only'],
  },
  cancel: { expected: "a cancel rule ('before <step>: stop' or 'after <step>: compensate | reject')", words: ['before', 'after'] },
  amend: { expected: "an amendment entry ('replan <step>, ...', 'until <step>' or 'after <step>: reject')", words: ['replan', 'until', 'after'] },
  status: { expected: "a status entry ('[<step>] <state>: \"<text>\"')", words: [] },
};

/**
 * The keywords that may still go on a property, for "did you mean" on a stray word right after it:
 * only those valid there (`retry 3 jitter` takes `same` but no more `every`; an outcome's action
 * is whole, so nothing goes on after it).
 */
function continuationWords(p: A.StepProperty, node: CstNode): readonly string[] {
  switch (p.kind) {
    case 'Retry': {
      if (has(nodeOf(node, 'retry'), 'Kw_none') || p.sameKey) return [];
      const words: string[] = [];
      if (p.backoff === undefined && !p.jitter) words.push('every', 'exponential');
      if (p.backoff?.kind === 'exponential' && p.backoff.max === undefined && !p.jitter) words.push('max');
      if (!p.jitter) words.push('jitter');
      words.push('same');
      return words;
    }
    case 'Compensate':
      return p.requiresApproval ? [] : ['requires'];
    case 'Rule': {
      // `and`/`or` after any condition; `in`/`not in` after a bare value written without parentheses.
      let last: A.Expr = p.condition;
      for (;;) {
        if ((last.parens ?? 0) > 0) break;
        if (last.kind === 'Logical') last = last.operands[last.operands.length - 1]!;
        else if (last.kind === 'Not') last = last.operand;
        else break;
      }
      const bare = (last.parens ?? 0) === 0 && (last.kind === 'CharacteristicRef' || last.kind === 'Literal');
      return bare ? ['and', 'or', 'in', 'not'] : ['and', 'or'];
    }
    default:
      return [];
  }
}

/** Decodes `\"`, `\\`, `\n`, `\t`, `\r`; any other escaped character is kept with its backslash. */
export function unescapeString(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => {
    switch (c) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '"': return '"';
      case '\\': return '\\';
      default: return `\\${c}`;
    }
  });
}

export class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  /** Kept apart: dropped where they only echo a parser or lexer error at the same place. */
  readonly strayDiagnostics: Diagnostic[] = [];
  /** Offsets of tokens that stand as names (keywords used as names included), for semantic tokens. */
  readonly nameOffsets = new Set<number>();
  readonly versionOffsets = new Set<number>();
  /**
   * For every step of every plan, in source order: where its diagnostics sit in `diagnostics` and
   * `strayDiagnostics` (`[d0, d1, s0, s1]` per step), so that an incremental re-parse can replace
   * one step's.
   */
  readonly stepSegments: number[] = [];
  private readonly spans = new Map<CstNode, { start: number; end: number } | null>();

  constructor(
    private readonly lines: LineMap,
    private readonly file: string,
  ) {}

  // ---- ranges

  private tokenRange(token: IToken): Range {
    return this.lines.range(token.startOffset, token.endOffset! + 1);
  }

  private emptyRange(offset: number): Range {
    return this.lines.range(offset, offset);
  }

  /** The offsets of the node's real tokens (those not inserted by error recovery), end exclusive. */
  private span(node: CstNode | undefined): { start: number; end: number } | null {
    if (!node) return null;
    // The parser tracks offsets: inserted tokens have NaN offsets, which the tracking skips.
    const location = node.location;
    if (location !== undefined) return Number.isNaN(location.startOffset) ? null : { start: location.startOffset, end: location.endOffset! + 1 };
    return this.spanOfTokens(node);
  }

  /** The same, by walking the subtree: for a CST built without location tracking. */
  spanOfTokens(node: CstNode): { start: number; end: number } | null {
    const cached = this.spans.get(node);
    if (cached !== undefined) return cached;
    let start = Infinity;
    let end = -Infinity;
    const children = node.children;
    for (const key in children) {
      for (const e of children[key]!) {
        if (isToken(e)) {
          if (!real(e)) continue;
          if (e.startOffset < start) start = e.startOffset;
          if (e.endOffset! + 1 > end) end = e.endOffset! + 1;
        } else {
          const s = this.spanOfTokens(e);
          if (s === null) continue;
          if (s.start < start) start = s.start;
          if (s.end > end) end = s.end;
        }
      }
    }
    const result = start === Infinity ? null : { start, end };
    this.spans.set(node, result);
    return result;
  }

  private nodeRange(node: CstNode | undefined, fallback: number): Range {
    const s = this.span(node);
    return s ? this.lines.range(s.start, s.end) : this.emptyRange(fallback);
  }

  private endOf(node: CstNode | undefined, fallback: number): number {
    return this.span(node)?.end ?? fallback;
  }

  private report(code: string, range: Range, message: string, help?: string, replacement?: { title: string; text: string }, into = this.diagnostics): void {
    const fixes = replacement ? [{ title: replacement.title, edits: [{ file: this.file, range, newText: replacement.text }] }] : undefined;
    into.push(diagnostic(code, this.file, range, message, { help, fixes }));
  }

  /** The parser leaves out a `}` missing before the next member of an enclosing block. */
  private requireClose(node: CstNode | undefined, what: string): void {
    if (!node || node.recoveredNode || node.children['RCurly'] !== undefined) return;
    const end = this.span(node)?.end ?? 0;
    const range = this.emptyRange(end);
    this.report(SyntaxCode.unexpectedToken, range, `missing '}' to close ${what}`, "add '}' where the block ends", { title: "Insert '}'", text: '\n}' });
  }

  // ---- leaves

  /** A name: the token of a name slot (`declName`, `stepRef`, ...; see the parser's `slot`), or missing. */
  private ident(token: IToken | undefined, fallback: number): A.Ident {
    if (!real(token)) return { name: '', range: this.emptyRange(fallback), missing: true };
    this.nameOffsets.add(token.startOffset);
    return { name: token.image, range: this.tokenRange(token) };
  }


  private string(token: IToken | undefined): A.StringLiteral | undefined {
    if (!real(token)) return undefined;
    const terminated = tokenMatcher(token, T.TerminatedString);
    const body = terminated ? token.image.slice(1, -1) : token.image.slice(1);
    return { value: unescapeString(body), range: this.tokenRange(token) };
  }

  private duration(token: IToken | undefined, fallback: number): A.Duration {
    if (!real(token)) return { text: '', ms: 0, range: this.emptyRange(fallback) };
    const range = this.tokenRange(token);
    const text = token.image;
    const reading = readDuration(text);
    if (reading.ok) return { text, ms: reading.ms, range };
    const lower = text.toLowerCase();
    const lowered = lower !== text ? readDuration(lower) : undefined;
    const units = 'a duration is a whole number and a unit (ms, s, m, h or d), largest unit first: 500ms, 30s, 10m, 2h, 1d, 1h30m';
    if (/^\d+$/.test(text)) {
      this.report(SyntaxCode.invalidDuration, range, `duration '${text}' has no unit`, `add a unit: ms, s, m, h or d (for example '${text}m' for minutes)`);
    } else if (lowered?.ok) {
      this.report(SyntaxCode.invalidDuration, range, `invalid duration '${text}': units are lower case`, `did you mean '${lower}'?`, {
        title: `Write '${lower}'`,
        text: lower,
      });
    } else {
      this.report(SyntaxCode.invalidDuration, range, `invalid duration '${text}': ${reading.problem}`, units);
    }
    return { text, ms: 0, range };
  }

  private wholeNumber(token: IToken | undefined, fallback: number, code: string, what: string): A.NumberLiteral {
    if (!real(token)) return { value: 0, range: this.emptyRange(fallback) };
    const range = this.tokenRange(token);
    if (tokenMatcher(token, T.Integer)) return { value: Number(token.image), range };
    const numeric = Number.parseFloat(token.image);
    const suggestion = Number.isFinite(numeric) ? String(Math.trunc(numeric)) : undefined;
    this.report(code, range, `${what} must be a whole number, found '${token.image}'`, suggestion ? `did you mean '${suggestion}'?` : 'write a whole number such as 3');
    return { value: Number.isFinite(numeric) ? Math.trunc(numeric) : 0, range };
  }

  // ---- document

  document(cst: CstNode | undefined, sourceLength: number, comments: A.Comment[]): A.Document {
    const catalogNode = nodeOf(cst, 'catalogBinding');
    const declarations: A.Declaration[] = [];
    for (const child of this.ordered(cst, ['plan', 'bundle', 'template', 'stray'])) {
      if (child.name === 'plan') declarations.push(this.plan(child));
      else if (child.name === 'bundle') declarations.push(this.bundle(child));
      else if (child.name === 'template') declarations.push(this.template(child));
      else this.stray(child, 'document');
    }
    const doc: A.Document = { kind: 'Document', file: this.file, declarations, comments, range: this.lines.range(0, sourceLength) };
    if (catalogNode) doc.catalog = this.catalogBinding(catalogNode);
    return doc;
  }

  /** Children of the given rule names in source order. */
  private ordered(node: CstNode | undefined, keys: readonly string[]): CstNode[] {
    const all: CstNode[] = [];
    for (const k of keys) {
      const list = node?.children[k];
      if (list !== undefined) for (const e of list) if (!isToken(e)) all.push(e);
    }
    if (all.length <= 1) return all;
    return all
      .map((n, i) => ({ n, i, at: this.span(n)?.start ?? Infinity }))
      .sort((a, b) => a.at - b.at || a.i - b.i)
      .map((x) => x.n);
  }

  private stray(node: CstNode, context: string, continuation?: readonly string[]): void {
    const first = tokensOf(node, 'AnyToken').find(real);
    if (!first) return;
    // Already reported by the lexer; a second diagnostic would not help.
    if (tokenMatcher(first, T.UnterminatedString)) return;
    const expectation = strayExpectations[context]!;
    const range = this.tokenRange(first);
    // Only a word that could be a misspelt keyword: not a keyword in the wrong place (`step` is not
    // a misspelt `skip`), nor a catalog name (`SERVICE_ACTIVE` is not `service`).
    // The closer of the two; on a tie the rest of the property before it.
    let suggestion: string | undefined;
    if (tokenMatcher(first, T.Name) && T.couldBeMisspeltKeyword(first.image)) {
      const member = closestMatch(first.image, expectation.words);
      const rest = continuation !== undefined && continuation.length > 0 ? closestMatch(first.image, continuation) : undefined;
      suggestion = member !== undefined && rest !== undefined ? (editDistance(first.image, rest) <= editDistance(first.image, member) ? rest : member) : (rest ?? member);
    }
    const shown = tokenMatcher(first, T.StringLiteral) ? 'string' : `'${first.image}'`;
    this.report(
      SyntaxCode.unexpectedToken,
      range,
      `unexpected ${shown}: expected ${expectation.expected}`,
      suggestion ? `did you mean '${suggestion}'?` : undefined,
      suggestion ? { title: `Replace with '${suggestion}'`, text: suggestion } : undefined,
      this.strayDiagnostics,
    );
  }

  private catalogBinding(node: CstNode): A.CatalogBinding {
    const range = this.nodeRange(node, 0);
    const id = this.ident(tokenOf(node, 'id'), range.end.offset);
    const versionToken = tokenOf(node, 'version');
    let version: A.Ident;
    if (!real(versionToken)) version = { name: '', range: this.emptyRange(range.end.offset), missing: true };
    else {
      version = { name: versionToken.image, range: this.tokenRange(versionToken) };
      this.versionOffsets.add(versionToken.startOffset);
      if (!/^\d+(\.\d+)*$/.test(versionToken.image)) {
        const cleaned = versionToken.image.replace(/[^\d.]/g, '').replace(/\.{2,}/g, '.').replace(/^\.|\.$/g, '');
        this.report(
          SyntaxCode.malformedVersion,
          version.range,
          `malformed catalog version '${versionToken.image}'`,
          cleaned !== '' ? `a catalog version is whole numbers separated by dots: did you mean '${cleaned}'?` : 'a catalog version is whole numbers separated by dots, e.g. 2026.11',
        );
      }
    }
    return { kind: 'CatalogBinding', id, version, range };
  }

  // ---- declarations

  private plan(node: CstNode): A.PlanDecl {
    const range = this.nodeRange(node, 0);
    const end = range.end.offset;
    const plan: A.PlanDecl = {
      kind: 'Plan',
      name: this.ident(tokenOf(node, 'declName'), end),
      offering: this.ident(tokenOf(node, 'offeringRef'), end),
      members: [],
      range,
    };
    if (has(node, 'Kw_version')) plan.version = this.wholeNumber(tokenOf(node, 'version'), end, SyntaxCode.planVersionNotInteger, 'the plan version');
    const planActions = this.actionClause(node);
    if (planActions) plan.actions = planActions;
    for (const child of this.ordered(node, ['step', 'defaults', 'billing', 'cancel', 'amend', 'status', 'completion', 'stray'])) {
      const d0 = this.diagnostics.length;
      const s0 = this.strayDiagnostics.length;
      const member = this.planMember(child);
      if (member?.kind === 'Step') this.stepSegments.push(d0, this.diagnostics.length, s0, this.strayDiagnostics.length);
      if (member) plan.members.push(member);
    }
    this.requireClose(node, `plan '${plan.name.name}'`);
    return plan;
  }

  private planMember(node: CstNode): A.PlanMember | undefined {
    switch (node.name) {
      case 'step': return this.step(node);
      case 'misspeltStep': {
        const word = tokenOf(node, 'misspelt')!;
        const range = this.tokenRange(word);
        this.report(SyntaxCode.unexpectedToken, range, `expected a plan member, found '${word.image}'`, "did you mean 'step'?", { title: "Replace with 'step'", text: 'step' });
        return this.step(node);
      }
      case 'defaults': return { kind: 'Defaults', properties: this.properties(nodeOf(node, 'propertyBlock'), 'the defaults'), range: this.nodeRange(node, 0) };
      case 'billing': return this.billing(node);
      case 'cancel': return this.cancel(node);
      case 'amend': return this.amend(node);
      case 'status': return this.status(node);
      case 'completion': return this.completion(node);
      default:
        this.stray(node, 'plan');
        return undefined;
    }
  }

  private template(node: CstNode): A.TemplateDecl {
    const range = this.nodeRange(node, 0);
    const name = this.ident(tokenOf(node, 'declName'), range.end.offset);
    return {
      kind: 'Template',
      name,
      stepKind: this.ident(tokenOf(node, 'kindRef'), range.end.offset),
      properties: this.properties(nodeOf(node, 'propertyBlock'), `template '${name.name}'`),
      range,
    };
  }

  /** A step parsed on its own (`o2aParser.step()`), for an incremental re-parse. */
  stepMember(node: CstNode): A.StepDecl {
    return this.step(node);
  }

  private step(node: CstNode): A.StepDecl {
    const range = this.nodeRange(node, 0);
    const end = range.end.offset;
    const name = this.ident(tokenOf(node, 'declName'), end);
    const step: A.StepDecl = {
      kind: 'Step',
      name,
      after: tokensOf(node, 'stepRef').map((n) => this.ident(n, end)),
      properties: this.properties(nodeOf(node, 'propertyBlock'), `step '${name.name}'`),
      range,
    };
    this.missingCommas(tokensOf(node, 'stepRef'), tokensOf(node, 'Comma'));
    const templateRef = tokenOf(node, 'templateRef');
    if (templateRef) step.template = this.ident(templateRef, end);
    else step.stepKind = this.ident(tokenOf(node, 'kindRef'), end);
    return step;
  }

  /** `after ont router`: the parser read the list on; the missing comma is one error, with its fix. */
  private missingCommas(refs: readonly IToken[], commas: readonly IToken[]): void {
    for (let i = 1; i < refs.length; i++) {
      const previous = refs[i - 1]!;
      const ref = refs[i]!;
      if (!real(previous) || !real(ref)) continue;
      if (commas.some((c) => real(c) && c.startOffset > previous.startOffset && c.startOffset < ref.startOffset)) continue;
      const at = previous.endOffset! + 1;
      this.report(SyntaxCode.unexpectedToken, this.tokenRange(ref), `expected ',' between the step names '${previous.image}' and '${ref.image}'`, 'the steps of an after list are separated by commas', undefined);
      const last = this.diagnostics[this.diagnostics.length - 1]!;
      last.fixes = [{ title: "Insert ','", edits: [{ file: this.file, range: this.emptyRange(at), newText: ',' }] }];
    }
  }

  private properties(block: CstNode | undefined, owner: string): A.StepProperty[] {
    this.requireClose(block, `the properties of ${owner}`);
    const result: A.StepProperty[] = [];
    let continuation: readonly string[] | undefined;
    for (const child of this.ordered(block, ['stepProperty', 'stray'])) {
      if (child.name === 'stray') {
        // A misspelt word right after a property may be the rest of that property.
        this.stray(child, 'properties', continuation);
        continuation = undefined;
      } else {
        const p = this.property(child);
        if (p) result.push(p);
        continuation = p ? continuationWords(p, child) : undefined;
      }
    }
    return result;
  }

  private property(node: CstNode): A.StepProperty | undefined {
    const range = this.nodeRange(node, 0);
    const end = range.end.offset;
    const retry = nodeOf(node, 'retry');
    if (retry) return this.retry(retry);
    const keyword = tokenOf(node, 'keyword');
    if (!real(keyword)) return undefined;
    const type = keyword.tokenType;
    if (type === Kw.owner) return { kind: 'Owner', component: this.ident(tokenOf(node, 'name'), end), range };
    if (type === Kw.service || type === Kw.resource || type === Kw.work || type === Kw.target || type === Kw.template) {
      return { kind: 'CatalogRef', key: keyword.image as A.CatalogRefKey, ref: this.ident(tokenOf(node, 'catalogEntryRef'), end), range };
    }
    if (type === Kw.timeout) return { kind: 'Timeout', duration: this.duration(tokenOf(node, 'duration'), end), range };
    if (type === Kw.on) {
      const outcome = this.ident(tokenOf(node, 'outcome'), end);
      const action = this.action(nodeOf(node, 'action'), end);
      if (outcome.name === 'timeout') return { kind: 'OnTimeout', action, range };
      return { kind: 'Outcome', outcome, action, range };
    }
    if (type === Kw.compensate) {
      return { kind: 'Compensate', action: this.ident(tokenOf(node, 'compensation'), end), requiresApproval: has(node, 'Kw_approval'), range };
    }
    if (type === Kw.irreversible) return { kind: 'Irreversible', range };
    if (type === Kw.evidence) return { kind: 'Evidence', items: tokensOf(node, 'evidence').map((n) => this.ident(n, end)), range };
    const expression = nodeOf(node, 'expression');
    return {
      kind: 'Rule',
      mode: type === Kw.skip ? 'skip' : 'only',
      condition: expression ? this.expression(expression, end) : { kind: 'MissingExpr', range: this.emptyRange(end) },
      range,
    };
  }

  private retry(node: CstNode): A.RetryProperty {
    const range = this.nodeRange(node, 0);
    const end = range.end.offset;
    const none = tokenOf(node, 'Kw_none');
    const count = real(none)
      ? { value: 0, range: this.tokenRange(none) }
      : this.wholeNumber(tokenOf(node, 'count'), end, SyntaxCode.retryCountNotInteger, 'the retry count');
    const retry: A.RetryProperty = { kind: 'Retry', count, jitter: has(node, 'Kw_jitter'), sameKey: has(node, 'Kw_same'), range };
    if (has(node, 'Kw_every')) retry.backoff = { kind: 'fixed', every: this.duration(tokenOf(node, 'every'), end) };
    else if (has(node, 'Kw_exponential')) {
      const backoff: A.ExponentialBackoff = { kind: 'exponential', initial: this.duration(tokenOf(node, 'initial'), end) };
      if (has(node, 'Kw_max')) backoff.max = this.duration(tokenOf(node, 'max'), end);
      retry.backoff = backoff;
    }
    return retry;
  }

  private action(node: CstNode | undefined, fallback: number): A.OutcomeAction {
    const range = this.nodeRange(node, fallback);
    if (has(node, 'Kw_hold')) {
      const message = this.string(tokenOf(node, 'StringLiteral'));
      const action: A.OutcomeAction = { kind: 'hold', party: has(node, 'Kw_provider') ? 'provider' : 'customer', range };
      if (message) action.message = message;
      return action;
    }
    if (has(node, 'Kw_fallout')) {
      const groupNode = tokenOf(node, 'group');
      const action: A.OutcomeAction = { kind: 'fallout', range };
      if (groupNode) action.group = this.ident(groupNode, range.end.offset);
      return action;
    }
    if (has(node, 'Kw_unknown')) return { kind: 'reconcile', range };
    return { kind: 'fail', range };
  }

  // ---- expressions

  // Each of these takes `depth`, the parentheses and `not`s around the node; past the limit the
  // node is one O2A0011 and a MissingExpr, so that the AST (and every stage after) stays shallow.
  private expression(node: CstNode, fallback: number, depth = 0): A.Expr {
    const operands: A.Expr[] = [];
    for (const n of nodesOf(node, 'operands')) operands.push(this.andExpression(n, fallback, depth));
    return this.chain(operands, 'or', fallback);
  }

  private andExpression(node: CstNode, fallback: number, depth: number): A.Expr {
    const operands: A.Expr[] = [];
    for (const n of nodesOf(node, 'operands')) operands.push(this.notExpression(n, fallback, depth));
    return this.chain(operands, 'and', fallback);
  }

  /** `a and b and c` is one node with three operands, however long the chain. */
  private chain(operands: A.Expr[], op: 'and' | 'or', fallback: number): A.Expr {
    if (operands.length === 0) return { kind: 'MissingExpr', range: this.emptyRange(fallback) };
    if (operands.length === 1) return operands[0]!;
    let end = 0;
    for (const o of operands) end = Math.max(end, o.range.end.offset);
    return { kind: 'Logical', op, operands, range: this.lines.range(operands[0]!.range.start.offset, end) };
  }

  private tooDeep(at: IToken | undefined, fallback: number): A.MissingExpr {
    const range = at && real(at) ? this.tokenRange(at) : this.emptyRange(fallback);
    this.report(
      SyntaxCode.nestingTooDeep,
      range,
      `this rule nests parentheses and 'not' more than ${A.maxExpressionNesting} deep`,
      'split the rule or remove parentheses: a long chain of and/or needs none',
    );
    return { kind: 'MissingExpr', range };
  }

  private notExpression(node: CstNode, fallback: number, depth: number): A.Expr {
    const end = this.endOf(node, fallback);
    const nots = tokensOf(node, 'Kw_not').filter(real);
    if (depth + nots.length > A.maxExpressionNesting) return this.tooDeep(nots[A.maxExpressionNesting - depth], end);
    const comparison = nodeOf(node, 'comparison');
    let expr: A.Expr = comparison ? this.comparison(comparison, end, depth + nots.length) : { kind: 'MissingExpr', range: this.emptyRange(end) };
    for (let i = nots.length - 1; i >= 0; i--) {
      const not = nots[i]!;
      expr = { kind: 'Not', operand: expr, range: this.lines.range(not.startOffset, Math.max(end, expr.range.end.offset)) };
    }
    return expr;
  }

  private comparison(node: CstNode, fallback: number, depth: number): A.Expr {
    const end = this.endOf(node, fallback);
    const range = this.nodeRange(node, end);
    const left = this.operand(nodeOf(node, 'left'), end, depth);
    const operator = tokenOf(node, 'operator');
    if (real(operator)) {
      return { kind: 'Comparison', op: operator.image as A.ComparisonOp, left, right: this.operand(nodeOf(node, 'right'), end, depth), range };
    }
    if (has(node, 'Kw_in')) {
      const list = nodesOf(node, 'literal')
        .map((n) => this.literal(n, end))
        .filter((l): l is A.LiteralExpr => l.kind === 'Literal');
      return { kind: 'In', negated: has(node, 'Kw_not'), value: left, list, range };
    }
    return left;
  }

  private operand(node: CstNode | undefined, fallback: number, depth: number): A.Expr {
    const inner = nodeOf(node, 'expression');
    if (inner) {
      if (depth + 1 > A.maxExpressionNesting) return this.tooDeep(tokenOf(node, 'LParen'), this.endOf(node, fallback));
      const expr = this.expression(inner, this.endOf(node, fallback), depth + 1);
      if (real(tokenOf(node, 'LParen'))) expr.parens = (expr.parens ?? 0) + 1;
      return expr;
    }
    const deep = nodeOf(node, 'deepGroup');
    if (deep) return this.tooDeep(tokenOf(deep, 'LParen'), this.endOf(node, fallback));
    const reference = nodeOf(node, 'reference');
    if (reference) return this.reference(reference, fallback);
    const literal = nodeOf(node, 'literal');
    if (literal) return this.literal(literal, fallback);
    return { kind: 'MissingExpr', range: this.emptyRange(this.endOf(node, fallback)) };
  }

  private reference(node: CstNode, fallback: number): A.CharacteristicRef {
    const range = this.nodeRange(node, fallback);
    const path = tokensOf(node, 'segment').map((t) => this.ident(t, range.end.offset));
    return { kind: 'CharacteristicRef', path, range };
  }

  private literal(node: CstNode, fallback: number): A.LiteralExpr | A.MissingExpr {
    let token: IToken | undefined;
    const children = node.children;
    search: for (const key in children) {
      for (const e of children[key]!) {
        if (isToken(e) && real(e)) {
          token = e;
          break search;
        }
      }
    }
    if (!token) return { kind: 'MissingExpr', range: this.emptyRange(this.endOf(node, fallback)) };
    const range = this.tokenRange(token);
    const text = token.image;
    if (tokenMatcher(token, T.StringLiteral)) return { kind: 'Literal', type: 'string', value: this.string(token)!.value, text, range };
    if (tokenMatcher(token, Kw.true) || tokenMatcher(token, Kw.false)) return { kind: 'Literal', type: 'boolean', value: text === 'true', text, range };
    if (tokenMatcher(token, T.Integer) || tokenMatcher(token, T.Decimal)) return { kind: 'Literal', type: 'number', value: Number(text), text, range };
    if (/[A-Za-z]/.test(text)) {
      const duration = this.duration(token, range.start.offset);
      return { kind: 'Literal', type: 'duration', value: duration.ms, text, range };
    }
    this.report(SyntaxCode.malformedNumber, range, `malformed number '${text}'`, 'write a whole number such as 100 or a decimal such as 2.5');
    return { kind: 'Literal', type: 'number', value: 0, text, range };
  }

  // ---- policies

  private billing(node: CstNode): A.BillingPolicy {
    const range = this.nodeRange(node, 0);
    const trigger = nodeOf(node, 'trigger');
    const triggerRange = this.nodeRange(trigger, range.end.offset);
    let kind: A.BillingTrigger = 'activation';
    let scheduledFrom: A.CharacteristicRef | undefined;
    if (has(trigger, 'Kw_customer')) kind = 'customer_acceptance';
    else if (has(trigger, 'Kw_acceptance')) kind = 'acceptance';
    else if (has(trigger, 'Kw_first')) kind = 'first_usage';
    else if (has(trigger, 'Kw_scheduled')) {
      kind = 'scheduled_date';
      const reference = nodeOf(trigger, 'reference');
      scheduledFrom = reference
        ? this.reference(reference, triggerRange.end.offset)
        : { kind: 'CharacteristicRef', path: [], range: this.emptyRange(triggerRange.end.offset) };
    }
    const billing: A.BillingPolicy = { kind: 'Billing', trigger: kind, triggerRange, range };
    if (scheduledFrom) billing.scheduledFrom = scheduledFrom;
    const gating = tokenOf(node, 'Kw_blocks') ?? tokenOf(node, 'Kw_revenue');
    if (real(gating)) {
      billing.gating = tokenMatcher(gating, Kw.blocks) ? 'blocks_completion' : 'revenue_assurance';
      const second = tokenOf(node, tokenMatcher(gating, Kw.blocks) ? 'Kw_completion' : 'Kw_assurance');
      billing.gatingRange = this.lines.range(gating.startOffset, real(second) ? second.endOffset! + 1 : gating.endOffset! + 1);
    }
    return billing;
  }

  private cancel(node: CstNode): A.CancelPolicy {
    const rules: A.CancelRule[] = [];
    for (const child of this.ordered(node, ['cancelRule', 'stray'])) {
      if (child.name === 'stray') {
        this.stray(child, 'cancel');
        continue;
      }
      const range = this.nodeRange(child, 0);
      const phase = tokenOf(child, 'phase');
      const action = tokenOf(child, 'action');
      const rule: A.CancelRule = {
        phase: real(phase) && tokenMatcher(phase, Kw.before) ? 'before' : 'after',
        step: this.ident(tokenOf(child, 'stepRef'), range.end.offset),
        action: real(action) ? (action.image as A.CancelRule['action']) : 'stop',
        requiresApproval: has(child, 'Kw_approval'),
        range,
      };
      const message = this.string(tokenOf(child, 'StringLiteral'));
      if (message) rule.message = message;
      rules.push(rule);
    }
    this.requireClose(node, 'the cancel block');
    return { kind: 'Cancel', rules, range: this.nodeRange(node, 0) };
  }

  private amend(node: CstNode): A.AmendRule {
    const range = this.nodeRange(node, 0);
    const amend: A.AmendRule = { kind: 'Amend', name: this.ident(tokenOf(node, 'declName'), range.end.offset), replan: [], range };
    for (const child of this.ordered(node, ['amendEntry', 'stray'])) {
      if (child.name === 'stray') {
        this.stray(child, 'amend');
        continue;
      }
      const entryRange = this.nodeRange(child, range.end.offset);
      const steps = tokensOf(child, 'stepRef').map((n) => this.ident(n, entryRange.end.offset));
      if (has(child, 'Kw_replan')) amend.replan.push(...steps);
      else if (has(child, 'Kw_until')) amend.until = steps[0] ?? this.ident(undefined, entryRange.end.offset);
      else {
        const afterReject: NonNullable<A.AmendRule['afterReject']> = { step: steps[0] ?? this.ident(undefined, entryRange.end.offset), range: entryRange };
        const message = this.string(tokenOf(child, 'StringLiteral'));
        if (message) afterReject.message = message;
        amend.afterReject = afterReject;
      }
    }
    this.requireClose(node, `amend '${amend.name.name}'`);
    return amend;
  }

  private status(node: CstNode): A.StatusMapping {
    const entries: A.StatusEntry[] = [];
    for (const child of this.ordered(node, ['statusEntry', 'stray'])) {
      if (child.name === 'stray') {
        this.stray(child, 'status');
        continue;
      }
      const range = this.nodeRange(child, 0);
      const stepNode = tokenOf(child, 'stepRef');
      const entry: A.StatusEntry = {
        state: this.ident(tokenOf(child, 'state'), range.end.offset),
        text: this.string(tokenOf(child, 'StringLiteral')) ?? { value: '', range: this.emptyRange(range.end.offset) },
        range,
      };
      if (stepNode) entry.step = this.ident(stepNode, range.end.offset);
      entries.push(entry);
    }
    this.requireClose(node, 'the status block');
    return { kind: 'Status', entries, range: this.nodeRange(node, 0) };
  }

  private completion(node: CstNode): A.CompletionPolicy {
    return { kind: 'Completion', mode: has(node, 'Kw_partial') ? 'partial_allowed' : 'all', range: this.nodeRange(node, 0) };
  }

  /** `action add, modify` of a plan or bundle header, if written. */
  private actionClause(node: CstNode): A.ActionClause | undefined {
    const keyword = tokenOf(node, 'Kw_action');
    if (!real(keyword)) return undefined;
    const names = tokensOf(node, 'actionName').filter(real).map((t) => this.ident(t, t.startOffset));
    const start = this.tokenRange(keyword);
    const last = names[names.length - 1];
    return { names, range: { start: start.start, end: last?.range.end ?? start.end } };
  }

  private bundle(node: CstNode): A.BundleDecl {
    const range = this.nodeRange(node, 0);
    const end = range.end.offset;
    const bundle: A.BundleDecl = {
      kind: 'Bundle',
      name: this.ident(tokenOf(node, 'declName'), end),
      offering: this.ident(tokenOf(node, 'offeringRef'), end),
      members: [],
      range,
    };
    if (has(node, 'Kw_version')) bundle.version = this.wholeNumber(tokenOf(node, 'version'), end, SyntaxCode.planVersionNotInteger, 'the bundle version');
    const bundleActions = this.actionClause(node);
    if (bundleActions) bundle.actions = bundleActions;
    for (const child of this.ordered(node, ['item', 'billing', 'completion', 'status', 'stray'])) {
      if (child.name === 'item') {
        const itemRange = this.nodeRange(child, end);
        bundle.members.push({
          kind: 'Item',
          name: this.ident(tokenOf(child, 'declName'), itemRange.end.offset),
          plan: this.ident(tokenOf(child, 'planRef'), itemRange.end.offset),
          optional: has(child, 'Kw_optional'),
          range: itemRange,
        });
      } else if (child.name === 'billing') bundle.members.push(this.billing(child));
      else if (child.name === 'completion') bundle.members.push(this.completion(child));
      else if (child.name === 'status') bundle.members.push(this.status(child));
      else this.stray(child, 'bundle');
    }
    this.requireClose(node, `bundle '${bundle.name.name}'`);
    return bundle;
  }
}
