// Incremental re-parsing, for the language server: after an edit inside one step of a plan, only
// that step is lexed and parsed again, and the rest of the previous parse is reused (positions
// after the step shifted). The result is exactly the one `parse` gives for the new text: the same
// AST, the same diagnostics in the same order, the same tokens. Whenever that cannot be ensured
// cheaply (an edit across steps, lexer or parser errors, an unclosed block, a string or comment
// reaching past the step), `reparseStep` returns undefined and the caller parses the whole text.
//
// Why splicing one step is exact: the lexer is context-free at a step's first token (the
// characters before it are unchanged) and, when the edit leaves the step's last character and
// what follows it on its line (whitespace) alone, the tokens after the step are the old ones,
// shifted. The grammar decides where a plan member starts from the member's first three tokens
// and never looks further back; the step rule, run on its own over the step's tokens and the
// next three, makes the decisions the whole-file parse makes there. Error recovery could look
// further, hence no parser errors (old or new); an unclosed block before the step could take the
// step in, hence no "missing '}'".
import { tokenMatcher, type CstNode, type IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Diagnostic, Position } from '../diagnostics/diagnostic.js';
import { diagnostic } from '../diagnostics/index.js';
import { SyntaxCode } from '../diagnostics/codes/syntax.js';
import { AstBuilder } from './build.js';
import { setMessageTokens } from './messages.js';
import { o2aParser } from './parser.js';
import { LineMap } from './positions.js';
import * as T from './tokens.js';
import { firstIndex } from '../sorted.js';

export type SyntaxTokenType = 'keyword' | 'identifier' | 'string' | 'number' | 'duration' | 'version' | 'operator' | 'punctuation' | 'comment';

export interface SyntaxToken {
  type: SyntaxTokenType;
  range: A.Ident['range'];
  text: string;
}

export interface ParseResult {
  document: A.Document;
  diagnostics: Diagnostic[];
  /** Every token, comments included, in source order. Keywords used as names are `identifier`. */
  tokens: SyntaxToken[];
}

/** What a parse keeps for the next incremental one (the parts of its diagnostics, by origin). */
export interface ParseState {
  source: string;
  file: string;
  lines: LineMap;
  /** No lexer error, no parser error and no unclosed block. */
  clean: boolean;
  /** Unterminated block comments, then unterminated strings. */
  lexical: Diagnostic[];
  /** The AST builder's diagnostics, in the order it made them. */
  built: Diagnostic[];
  /** Stray-token diagnostics before the filter that drops the echoes of other errors. */
  strays: Diagnostic[];
  /** Per step in source order: `[d0, d1, s0, s1]`, its slices of `built` and `strays`. */
  stepSegments: readonly number[];
  /** The start offset of every step of every plan, in source order. */
  stepStarts: Int32Array;
  /** Start offsets of the tokens that stand as names, and of version numbers: sorted. */
  nameOffsets: Int32Array;
  versionOffsets: Int32Array;
  /** The first token of the file (for O2A0007). */
  firstToken?: { start: number; end: number };
  /** The diagnostics before the builder's (lexer errors, `lexical`, parser errors); `lexical` when absent. */
  early?: Diagnostic[];
  /** Made by re-parsing the members around an edit (reparse-gap.ts): `stepSegments` are not kept, so no one-step re-parse from it. */
  gapOnly?: boolean;
  /** Where the errors that make the parse not `clean` are, when they are all in one plan's members (reparse-gap.ts). */
  dirty?: { start: number; end: number };
}

const states = new WeakMap<ParseResult, ParseState>();

/** What a parse kept for the next incremental one (reparse-gap.ts). */
export function parseStateOf(result: ParseResult): ParseState | undefined {
  return states.get(result);
}

/** Hands the previous parse's state over: its AST is being moved in place (reparse-gap.ts). */
export function forgetParseState(result: ParseResult): void {
  states.delete(result);
}

/** How many re-parses took the one-step path, the members-around-the-edit path (reparse-gap.ts), and how many parsed the whole text (for `o2a/stats` and tests). */
export const reparseCounts = { step: 0, gap: 0, whole: 0 };

// ---- shared with the whole-file parse

function isOwnLine(source: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = source[i];
    if (c === '\n' || c === '\r') return true;
    if (c !== ' ' && c !== '\t') return false;
  }
  return true;
}

/** The doc comment directly above `start`: `///` lines, each on its own line, nothing else between. */
export function docAbove(comments: readonly A.Comment[], source: string, start: number): string | undefined {
  // Just after the last comment that starts before `start`.
  const lo = firstIndex(comments, (c) => c.range.start.offset >= start);
  let cursor = start;
  const lines: string[] = [];
  for (let i = lo - 1; i >= 0; i--) {
    const c = comments[i]!;
    if (c.kind !== 'doc' || !/^\s*$/.test(source.slice(c.range.end.offset, cursor)) || !isOwnLine(source, c.range.start.offset)) break;
    lines.unshift(c.text.slice(3).replace(/^ /, '').trimEnd());
    cursor = c.range.start.offset;
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** The first index of a sorted array whose value is at least `value`. */
export function lowerBound(sorted: Int32Array, value: number): number {
  return firstIndex(sorted, (v) => v >= value);
}

function includes(sorted: Int32Array, value: number): boolean {
  const i = lowerBound(sorted, value);
  return i < sorted.length && sorted[i] === value;
}

/** A set of offsets as a sorted array. */
export function sortedOffsets(set: ReadonlySet<number>): Int32Array {
  return Int32Array.from(set).sort();
}

function classify(token: IToken, names: Int32Array, versions: Int32Array): SyntaxTokenType {
  if (T.keywordTokenTypes.has(token.tokenType)) return includes(names, token.startOffset) ? 'identifier' : 'keyword';
  if (tokenMatcher(token, T.Name)) return 'identifier';
  if (tokenMatcher(token, T.StringLiteral)) return 'string';
  if (tokenMatcher(token, T.Numeric)) {
    if (includes(versions, token.startOffset)) return 'version';
    return tokenMatcher(token, T.DurationToken) ? 'duration' : 'number';
  }
  if (T.comparisonTokenTypes.includes(token.tokenType)) return 'operator';
  return 'punctuation';
}

export function syntaxTokens(lexed: readonly IToken[], comments: readonly A.Comment[], state: Pick<ParseState, 'nameOffsets' | 'versionOffsets' | 'lines'>): SyntaxToken[] {
  return [
    ...lexed.map((t) => ({ type: classify(t, state.nameOffsets, state.versionOffsets), range: state.lines.range(t.startOffset, t.endOffset! + 1), text: t.image })),
    ...comments.map((c) => ({ type: 'comment' as const, range: c.range, text: c.text })),
  ].sort((a, b) => a.range.start.offset - b.range.start.offset);
}

/**
 * The last part of every parse: merges the diagnostics of each origin as the whole-file parse
 * always has (stray echoes dropped, O2A0007, stable sort by offset) and records the state.
 * `early`: lexer errors, the lexical diagnostics, then parser errors.
 */
export function finishParse(
  state: ParseState,
  document: A.Document,
  early: Diagnostic[],
  tokens: () => SyntaxToken[],
): ParseResult {
  const { source, file, lines } = state;
  const diagnostics: Diagnostic[] = [...early, ...state.built];
  // A stray run right where (or right after) another error was reported only repeats it.
  const echoes = (d: Diagnostic): boolean =>
    diagnostics.some(
      (e) => e.severity === 'error' && (e.range.start.offset === d.range.start.offset || (e.range.end.offset <= d.range.start.offset && /^\s*$/.test(source.slice(e.range.end.offset, d.range.start.offset)))),
    );
  diagnostics.push(...state.strays.filter((d) => !echoes(d)));
  if (!document.catalog) {
    const firstDecl = document.declarations[0]?.range.start.offset ?? source.length;
    const errorBefore = diagnostics.some((d) => d.severity === 'error' && d.range.start.offset <= firstDecl);
    if (!errorBefore) {
      const first = state.firstToken;
      const range = first ? lines.range(first.start, first.end) : lines.range(0, 0);
      diagnostics.push(
        diagnostic(SyntaxCode.missingCatalogBinding, file, range, 'this file does not name the catalog snapshot it is written against', {
          help: "start the file with 'catalog <id> <version>', e.g. 'catalog telco-core 2026.11'",
        }),
      );
    }
  }
  diagnostics.sort((a, b) => a.range.start.offset - b.range.start.offset);
  let built: SyntaxToken[] | undefined;
  const result: ParseResult = {
    document,
    diagnostics,
    // Only the language server reads the classified tokens: built on first read.
    get tokens(): SyntaxToken[] {
      built ??= tokens();
      return built;
    },
  };
  states.set(result, state);
  return result;
}

/** A builder diagnostic that says a block lacks its `}` (the parse is then not `clean`). */
export function isMissingBrace(d: Diagnostic): boolean {
  return d.code === SyntaxCode.unexpectedToken && d.message.startsWith("missing '}'");
}

// ---- the incremental path

/**
 * The length of the common prefix of two texts. Compared a slice at a time (native comparison):
 * an editor's text is often a concatenation, whose characters cost a hop each from JavaScript.
 */
export function commonPrefix(a: string, b: string): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length);
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(lo, mid) === b.slice(lo, mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The length of the common suffix of two texts, not reaching into the first `skip` characters of either. */
export function commonSuffix(a: string, b: string, skip: number): number {
  let lo = 0;
  let hi = Math.min(a.length, b.length) - skip;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (a.slice(a.length - mid, a.length - lo) === b.slice(b.length - mid, b.length - lo)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** An edit between two texts: `old[head, oldEnd)` became `source[head, newEnd)`; `delta` = newEnd - oldEnd. */
export interface TextChange { head: number; oldEnd: number; newEnd: number; delta: number }

/** The one edit that turns `old` into `source`: their common prefix and suffix kept. */
export function editBetween(old: string, source: string): TextChange {
  const head = commonPrefix(old, source);
  const tail = commonSuffix(old, source, head);
  return { head, oldEnd: old.length - tail, newEnd: source.length - tail, delta: source.length - old.length };
}

/**
 * A copy of a piece of a string that does not keep the whole string alive: V8 makes substrings
 * views of their parent, so the names of a step lexed from a slice of the file's text would each
 * pin that version of the text (one more 150 kB text per edit of a large file).
 */
export function detached(piece: string): string {
  return piece.length < 13 ? piece : Buffer.from(piece, 'utf16le').toString('utf16le');
}

export function lineEndAt(text: string, offset: number): number {
  for (let i = offset; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return i;
    if (c !== 32 && c !== 9 && c !== 13) return -1;
  }
  return text.length;
}

/** Moves positions at or after `from` (old offsets) to where they are in the new text. */
export function shifter(from: number, delta: number, lineDelta: number, fromLine: number, charDelta: number) {
  const identity = delta === 0 && lineDelta === 0 && charDelta === 0;
  const position = (p: Position): Position =>
    p.offset < from ? p : { line: p.line + lineDelta, character: p.line === fromLine ? p.character + charDelta : p.character, offset: p.offset + delta };
  // A deep copy of plain AST or diagnostic data with its positions moved: ranges (the bulk of
  // it) copied directly, other objects key by key. Positions are the only objects with `offset`.
  const value = <V>(v: V): V => {
    if (identity) return v;
    return copy(v) as V;
  };
  const copy = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length);
      for (let i = 0; i < v.length; i++) out[i] = copy(v[i]);
      return out;
    }
    const o = v as Record<string, unknown>;
    // Ranges are the only objects with `start`, positions the only ones with `offset`.
    const start = o.start as Position | undefined;
    if (start !== undefined) return { start: position(start), end: position(o.end as Position) };
    if (typeof o.offset === 'number') return position(o as unknown as Position);
    const out: Record<string, unknown> = {};
    for (const k in o) {
      const x = o[k];
      out[k] = typeof x === 'object' && x !== null ? copy(x) : x;
    }
    return out;
  };
  // The same, in place: for the AST after the step, which nothing else holds once the previous
  // parse is replaced (AST positions are never shared between nodes).
  const move = (v: unknown): void => {
    if (identity || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) move(v[i]);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.offset === 'number') {
      const p = o as unknown as Position;
      if (p.offset < from) return;
      if (p.line === fromLine) p.character += charDelta;
      p.line += lineDelta;
      p.offset += delta;
      return;
    }
    for (const k in o) {
      const x = o[k];
      if (typeof x === 'object' && x !== null) move(x);
    }
  };
  return { identity, position, value, move };
}

/**
 * The parse of `source`, made from `previous` (a parse of the same file) by parsing again only
 * the step that the edit falls in; undefined when that would not be exact. `previous` is given
 * up when this succeeds: the nodes after the step are reused, their positions moved in place.
 */
export function reparseStep(previous: ParseResult, source: string, file: string): ParseResult | undefined {
  const state = states.get(previous);
  if (state === undefined || !state.clean || state.gapOnly === true || state.file !== file) return undefined;
  const old = state.source;
  if (old === source) return previous;

  const { head, oldEnd, newEnd, delta } = editBetween(old, source);

  // The step the edit is strictly inside of: its first and last characters unchanged.
  const document = previous.document;
  // The last declaration, and in it the last member, that starts before the edit.
  const lastBefore = <T extends { range: A.Ident['range'] }>(list: readonly T[]): number =>
    firstIndex(list, (item) => item.range.start.offset >= head) - 1;
  const declIndex = lastBefore(document.declarations);
  const container = document.declarations[declIndex];
  if (container?.kind !== 'Plan') return undefined;
  const memberIndex = lastBefore(container.members);
  const candidate = container.members[memberIndex];
  if (candidate?.kind !== 'Step' || !(oldEnd < candidate.range.end.offset)) return undefined;
  // Which step of the file it is (the steps' start offsets are sorted).
  const ordinal = lowerBound(state.stepStarts, candidate.range.start.offset);
  if (state.stepStarts[ordinal] !== candidate.range.start.offset) return undefined;
  const plan = document.declarations[declIndex] as A.PlanDecl;
  const step = plan.members[memberIndex] as A.StepDecl;
  const ms = step.range.start.offset;
  const me = step.range.end.offset;
  // Only blanks after the step on its line: nothing there can join the step's last token.
  if (lineEndAt(old, me) < 0) return undefined;
  const me1 = me + delta;

  // Lex the step's new text; its tokens must be final (no string or comment running on past it).
  const window = detached(source.slice(ms, me1));
  const lexed = T.o2aLexer.tokenizeOffsets(window);
  if (lexed.errors.length > 0) return undefined;
  const windowComments = (lexed.groups['comments'] ?? []) as IToken[];
  for (const t of lexed.tokens) {
    t.startOffset += ms;
    t.endOffset! += ms;
    if (tokenMatcher(t, T.UnterminatedString)) return undefined;
  }
  for (const c of windowComments) {
    c.startOffset += ms;
    c.endOffset! += ms;
    if (tokenMatcher(c, T.UnterminatedBlockComment)) return undefined;
  }
  const last = lexed.tokens[lexed.tokens.length - 1];
  if (last === undefined || last.endOffset! + 1 !== me1) return undefined;
  if (windowComments.some((c) => c.endOffset! + 1 >= me1)) return undefined;

  // The next three tokens after the step: the parser's lookahead at the step's end.
  const following: IToken[] = [];
  for (let size = 256; ; size *= 4) {
    const chunk = source.slice(me1, me1 + size);
    const atEof = me1 + size >= source.length;
    const next = T.o2aLexer.tokenizeOffsets(chunk).tokens;
    following.length = 0;
    for (const t of next) {
      if (!atEof && t.endOffset! + 1 >= chunk.length) break;
      following.push(t);
      if (following.length === 3) break;
    }
    if (following.length === 3 || atEof) break;
  }

  setMessageTokens(lexed.tokens);
  let cst: CstNode | undefined;
  try {
    o2aParser.input = [...lexed.tokens, ...following];
    cst = o2aParser.step() as CstNode | undefined;
  } finally {
    setMessageTokens([]);
  }
  const errors = o2aParser.errors;
  const readAll = o2aParser.tokenIndex() === lexed.tokens.length - 1;
  const onlyRest = errors.every((e) => e.name === 'NotAllInputParsedException') && errors.length === (following.length > 0 ? 1 : 0);
  if (cst === undefined || !readAll || !onlyRest) return undefined;

  const lines = LineMap.afterEdit(state.lines, source, head, oldEnd, newEnd);
  const builder = new AstBuilder(lines, file);
  const fresh = builder.stepMember(cst);
  if (fresh.range.start.offset !== ms || fresh.range.end.offset !== me1) return undefined;
  if (builder.diagnostics.some(isMissingBrace)) return undefined;

  // Everything after the step moves by `delta` (and by lines added or removed).
  const meAt = state.lines.position(me);
  const me1At = lines.position(me1);
  const shift = shifter(me, delta, me1At.line - meAt.line, meAt.line, me1At.character - meAt.character);

  // This step's diagnostics replace its old ones; the others move with the text (copies: they
  // may share ranges with the AST, which moves in place below).
  const seg = state.stepSegments;
  const [d0, d1, s0, s1] = [seg[4 * ordinal]!, seg[4 * ordinal + 1]!, seg[4 * ordinal + 2]!, seg[4 * ordinal + 3]!];
  const moved = (list: Diagnostic[]) => (shift.identity ? list : list.map((d) => shift.value(d)));
  const built = [...moved(state.built.slice(0, d0)), ...builder.diagnostics, ...moved(state.built.slice(d1))];
  const strays = [...moved(state.strays.slice(0, s0)), ...builder.strayDiagnostics, ...moved(state.strays.slice(s1))];
  const dd = builder.diagnostics.length - (d1 - d0);
  const ds = builder.strayDiagnostics.length - (s1 - s0);
  const stepSegments = seg.slice();
  stepSegments[4 * ordinal + 1] = d0 + builder.diagnostics.length;
  stepSegments[4 * ordinal + 3] = s0 + builder.strayDiagnostics.length;
  if (dd !== 0 || ds !== 0) {
    for (let i = 4 * (ordinal + 1); i < stepSegments.length; i += 4) {
      stepSegments[i] = stepSegments[i]! + dd;
      stepSegments[i + 1] = stepSegments[i + 1]! + dd;
      stepSegments[i + 2] = stepSegments[i + 2]! + ds;
      stepSegments[i + 3] = stepSegments[i + 3]! + ds;
    }
  }
  const lexical = moved(state.lexical.filter((d) => d.range.start.offset < ms || d.range.start.offset >= me));

  // From here on the previous parse is given up: the AST after the step moves in place (a second
  // re-parse from it parses the whole text).
  states.delete(previous);
  // Comments are in source order: those before the step, the step's new ones, those after it.
  const firstFrom = (offset: number): number => firstIndex(document.comments, (c) => c.range.start.offset >= offset);
  const comments: A.Comment[] = document.comments.slice(0, firstFrom(ms));
  for (const c of windowComments) {
    comments.push({ kind: tokenMatcher(c, T.DocComment) ? 'doc' : tokenMatcher(c, T.LineComment) ? 'line' : 'block', text: c.image, range: lines.range(c.startOffset, c.endOffset! + 1) });
  }
  for (let i = firstFrom(me); i < document.comments.length; i++) {
    const c = document.comments[i]!;
    shift.move(c);
    comments.push(c);
  }
  const doc = docAbove(comments, source, ms);
  if (doc !== undefined) fresh.doc = doc;
  const members = plan.members.slice();
  members[memberIndex] = fresh;
  for (let j = memberIndex + 1; j < members.length; j++) shift.move(members[j]);
  const newPlan: A.PlanDecl = { ...plan, members, range: { start: plan.range.start, end: shift.position(plan.range.end) } };
  const declarations = document.declarations.slice();
  declarations[declIndex] = newPlan;
  for (let i = declIndex + 1; i < declarations.length; i++) shift.move(declarations[i]);
  const newDocument: A.Document = { ...document, declarations, comments, range: lines.range(0, source.length) };

  // Offsets before the step stay, the step's are replaced, those after it move.
  const offsets = (sorted: Int32Array, fresh: ReadonlySet<number>): Int32Array => {
    const a = lowerBound(sorted, ms);
    const b = lowerBound(sorted, me);
    const add = sortedOffsets(fresh);
    const out = new Int32Array(a + add.length + sorted.length - b);
    out.set(sorted.subarray(0, a), 0);
    out.set(add, a);
    for (let i = b, j = a + add.length; i < sorted.length; i++, j++) out[j] = sorted[i]! + delta;
    return out;
  };

  const stepStarts = state.stepStarts.slice();
  if (delta !== 0) for (let i = ordinal + 1; i < stepStarts.length; i++) stepStarts[i] = stepStarts[i]! + delta;
  const next: ParseState = {
    source,
    file,
    lines,
    clean: true,
    lexical,
    built,
    strays,
    stepSegments,
    stepStarts,
    nameOffsets: offsets(state.nameOffsets, builder.nameOffsets),
    versionOffsets: offsets(state.versionOffsets, builder.versionOffsets),
  };
  if (state.firstToken !== undefined) next.firstToken = state.firstToken;
  return finishParse(next, newDocument, lexical, () => syntaxTokens(T.o2aLexer.tokenizeOffsets(source).tokens, comments, next));
}
