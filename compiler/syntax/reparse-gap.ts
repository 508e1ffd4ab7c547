// Incremental re-parsing of the members around an edit, errors allowed: what typing a new step
// needs (most of its keystrokes leave the text not parsing, which the one-step path of
// reparse.ts refuses). Exactly what `parse` gives for the new text, or undefined.
//
// The edit (and the text the previous parse found errors in) is widened to whole members of one
// plan: from the end of the member before the last one before it (A, which what is typed after it
// may continue) to the end of the first member after it (B). That span is parsed by the whole-file
// parser in a text of its own: the plan's header, a line break, the span on the column it starts
// at, and a `}` after B; what that parse gives is then moved to the span's real place.
// Why that is the whole-file parse of the span: the parser enters a plan member's loop the same
// way after a header as after a member that parsed clean, and looks at one token ahead (the
// stray and block gates at a few): what it does up to B's end depends on the span's tokens
// alone, as long as it leaves B as it was. B must come out the same node, with nothing reported
// in or after it, and the span must not start or end a comment or string; otherwise undefined.
import type * as A from './ast.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { LineMap } from './positions.js';
import * as T from './tokens.js';
import {
  docAbove, editBetween, finishParse, forgetParseState, lineEndAt, lowerBound, parseStateOf, shifter,
  syntaxTokens, type ParseResult, type ParseState,
} from './reparse.js';
import { firstIndex } from '../sorted.js';

/** A plan member's range without its doc (docs are attached from the comments above). */
function sameMember(a: A.PlanMember, b: A.PlanMember): boolean {
  const strip = (m: A.PlanMember) => JSON.stringify(m, (k, v) => (k === 'doc' ? undefined : v));
  return strip(a) === strip(b);
}

/** Why the last call gave up (a number per check, for tests and debugging); 0 when it did not. */
export let gapRefusal = 0;
function refuse(reason: number): undefined {
  gapRefusal = reason;
  return undefined;
}

export function reparseGap(previous: ParseResult, source: string, file: string, parse: (source: string, file: string) => ParseResult): ParseResult | undefined {
  gapRefusal = 0;
  const state = parseStateOf(previous);
  if (state === undefined || state.file !== file) return refuse(1);
  // Errors anywhere but in one known span: only the whole-file parse knows what they do.
  if (!state.clean && state.dirty === undefined) return refuse(2);
  const old = state.source;
  if (old === source) return previous;

  const { head, oldEnd, newEnd, delta } = editBetween(old, source);
  const from = Math.min(head, state.dirty?.start ?? head);
  const to = Math.max(oldEnd, state.dirty?.end ?? oldEnd);

  // The plan whose body holds [from, to).
  const document = previous.document;
  const declIndex = firstIndex(document.declarations, (d) => d.range.start.offset >= from) - 1;
  const plan = document.declarations[declIndex];
  if (plan?.kind !== 'Plan' || !(to < plan.range.end.offset)) return refuse(3);
  const members = plan.members;
  // A: the last member ending before the span; B: the first member starting at or after its end.
  const aIndex = firstIndex(members, (m) => m.range.end.offset >= from) - 1;
  const firstB = firstIndex(members, (m) => m.range.start.offset >= to);
  if (members[firstB] === undefined) return refuse(4);
  // A itself is parsed again: what follows it can continue it (`after ...` after a step's kind).
  const keep = Math.max(0, aIndex);
  const bodyStart = keep > 0 ? members[keep - 1]!.range.end.offset : undefined;
  // The header ends at the plan's `{`: no comment in it, so the first `{` is that one.
  const headerEnd = old.indexOf('{', plan.name.range.end.offset);
  if (headerEnd < 0 || headerEnd >= (members[0]?.range.start.offset ?? plan.range.end.offset)) return refuse(5);
  const header = old.slice(plan.range.start.offset, headerEnd + 1);
  if (/\/[/*]|"/.test(header)) return refuse(6);
  const spanStart = bodyStart ?? headerEnd + 1;
  if (!(spanStart <= from)) return refuse(7);
  const lines = LineMap.afterEdit(state.lines, source, head, oldEnd, newEnd);
  // The span is parsed after the plan's header alone, on the column it starts at: the synthetic
  // text's positions are the real ones moved by `syn` (offsets and lines; columns are the same).
  const spanAt = lines.position(spanStart);
  const lead = `${header}\n${' '.repeat(spanAt.character)}`;
  const leadLines = new LineMap(lead).position(lead.length).line;
  const toReal = shifter(0, spanStart - lead.length, spanAt.line - leadLines, -1, 0);
  const synSpanStart = lead.length;

  /** The span up to member `bIndex` (B) parsed; a refusal when B does not come out as it was. */
  const attempt = (bIndex: number) => {
    const b = members[bIndex];
    if (b === undefined) return 4;
    // B's old offsets (B itself moves in place later).
    const bStart = b.range.start.offset;
    const bEnd = b.range.end.offset;
    // Nothing after B on its line but blanks: no token of what follows can join B's last one.
    if (lineEndAt(old, bEnd) < 0) return 8;
    const bStart1 = bStart + delta;
    const bEnd1 = bEnd + delta;
    if (source.slice(bStart1, bEnd1) !== old.slice(bStart, bEnd)) return 9;
    const syn = parse(`${lead}${source.slice(spanStart, bEnd1)}\n}\n`, file);
    const synState = parseStateOf(syn);
    if (synState === undefined) return 10;
    const synPlan = syn.document.declarations[0];
    if (synPlan?.kind !== 'Plan' || syn.document.declarations.length !== 1) return 11;
    const synB = synPlan.members[synPlan.members.length - 1];
    const synBStart = synSpanStart + (bStart1 - spanStart);
    if (synB === undefined || synB.range.start.offset !== synBStart || synB.range.end.offset !== synSpanStart + (bEnd1 - spanStart)) return 12;
    // Everything the synthetic parse says about the span, and nothing about B or after it.
    const inSpan = (d: Diagnostic) => d.range.start.offset >= synSpanStart && d.range.start.offset < synBStart;
    const early = synState.early ?? synState.lexical;
    for (const list of [early, synState.built, synState.strays, syn.diagnostics]) {
      for (const d of list) if (!inSpan(d) && d.range.start.offset >= synSpanStart) return 13;
    }
    // A comment running out of the span (`/*` never closed) would take the rest of the file.
    const synComments = syn.document.comments.filter((c) => c.range.start.offset >= synSpanStart && c.range.start.offset < synBStart);
    if (synComments.some((c) => c.range.end.offset > synBStart)) return 14;
    // B moves in place (keeping its identity for the checker's reuse); it must be the node it was.
    const shift = shifter(bStart, delta, lines.position(bStart1).line - state.lines.position(bStart).line,
      state.lines.position(bStart).line, lines.position(bStart1).character - state.lines.position(bStart).character);
    if (!sameMember(shift.value(b), toReal.value(synB))) return 15;
    return { b, bIndex, bStart, bStart1, synState, synPlan, synB, synBStart, inSpan, early, synComments, shift };
  };
  // What is typed may take B in (a step's name, an open block): then the span takes in the next member too.
  let found: Exclude<ReturnType<typeof attempt>, number> | undefined;
  for (let bIndex = firstB; bIndex < firstB + 4; bIndex++) {
    const tried = attempt(bIndex);
    if (typeof tried !== 'number') {
      found = tried;
      break;
    }
    if (tried === 4 || tried === 9) return refuse(tried);
    gapRefusal = tried;
  }
  if (found === undefined) return refuse(gapRefusal);
  const { b, bIndex, bStart, bStart1, synState, synPlan, synB, synBStart, inSpan, early, synComments, shift } = found;

  // Diagnostics: before the span as they were, the span's from the synthetic parse (moved to
  // their real places), after it moved.
  const spliced = (oldList: readonly Diagnostic[], newList: readonly Diagnostic[]): Diagnostic[] => [
    ...oldList.filter((d) => d.range.start.offset < spanStart),
    ...newList.filter(inSpan).map((d) => toReal.value(d)),
    ...oldList.filter((d) => d.range.start.offset >= bStart).map((d) => shift.value(d)),
  ];
  const oldEarly = state.early ?? state.lexical;
  // Diagnostics of the old span that were neither before it nor at B or after: the span's, replaced.
  const newEarly = spliced(oldEarly, early);
  const lexical = spliced(state.lexical, synState.lexical);
  const built = spliced(state.built, synState.built);
  const strays = spliced(state.strays, synState.strays);

  forgetParseState(previous);
  const firstFrom = (offset: number): number => firstIndex(document.comments, (c) => c.range.start.offset >= offset);
  const comments: A.Comment[] = document.comments.slice(0, firstFrom(spanStart));
  for (const c of synComments) comments.push(toReal.value(c));
  for (let i = firstFrom(bStart); i < document.comments.length; i++) {
    const c = document.comments[i]!;
    shift.move(c);
    comments.push(c);
  }
  // The span's new members, moved in place to their real positions (the diagnostics above are copies).
  const fresh = synPlan.members.slice(0, -1).filter((m) => m.range.start.offset >= synSpanStart);
  for (const m of fresh) toReal.move(m);
  for (let j = bIndex; j < members.length; j++) shift.move(members[j]);
  // Docs from the real text: in the synthetic one, code before a comment on its line was blank.
  for (const m of fresh) {
    if (m.kind !== 'Step') continue;
    const doc = docAbove(comments, source, m.range.start.offset);
    if (doc !== undefined) m.doc = doc;
    else delete m.doc;
  }
  // B keeps its identity (what the checker reuses is keyed by it) unless its doc changed: then the
  // synthetic parse's node stands for it, with the doc of the real text.
  const bDoc = b.kind === 'Step' ? docAbove(comments, source, bStart1) : undefined;
  let bNode: A.PlanMember = b;
  if (b.kind === 'Step' && bDoc !== b.doc) {
    toReal.move(synB);
    const replacement = { ...(synB as A.StepDecl) };
    if (bDoc !== undefined) replacement.doc = bDoc;
    else delete replacement.doc;
    bNode = replacement;
  }
  const newMembers = [...members.slice(0, keep), ...fresh, bNode, ...members.slice(bIndex + 1)];
  const newPlan: A.PlanDecl = { ...plan, members: newMembers, range: { start: plan.range.start, end: shift.position(plan.range.end) } };
  const declarations = document.declarations.slice();
  declarations[declIndex] = newPlan;
  for (let i = declIndex + 1; i < declarations.length; i++) shift.move(declarations[i]);
  const newDocument: A.Document = { ...document, declarations, comments, range: lines.range(0, source.length) };

  // Name and version offsets: before the span kept, the span's new ones, from B on moved.
  const offsets = (sorted: Int32Array, synSorted: Int32Array): Int32Array => {
    const lo = lowerBound(sorted, spanStart);
    const hi = lowerBound(sorted, bStart);
    const add = synSorted.subarray(lowerBound(synSorted, synSpanStart), lowerBound(synSorted, synBStart));
    const out = new Int32Array(lo + add.length + sorted.length - hi);
    out.set(sorted.subarray(0, lo), 0);
    for (let i = 0; i < add.length; i++) out[lo + i] = add[i]! + (spanStart - synSpanStart);
    for (let i = hi, j = lo + add.length; i < sorted.length; i++, j++) out[j] = sorted[i]! + delta;
    return out;
  };
  // The synthetic parse is clean but for the span (checked above): so is the new one.
  const spanErrors = !synState.clean;
  const next: ParseState = {
    source,
    file,
    lines,
    clean: !spanErrors,
    lexical,
    built,
    strays,
    stepSegments: [],
    stepStarts: Int32Array.from(declarations.flatMap((d) => (d.kind === 'Plan' ? d.members.filter((m) => m.kind === 'Step').map((m) => m.range.start.offset) : []))),
    nameOffsets: offsets(state.nameOffsets, synState.nameOffsets),
    versionOffsets: offsets(state.versionOffsets, synState.versionOffsets),
    early: newEarly,
    gapOnly: true,
  };
  // Where the errors are, as a whole-file parse says (not the whole span: the next keystroke's
  // span is widened to the members around them, and would grow by a member a keystroke).
  if (!next.clean) {
    const at = synState.dirty;
    next.dirty = at !== undefined && at.start >= synSpanStart
      ? { start: at.start + (spanStart - synSpanStart), end: Math.min(at.end, synBStart) + (spanStart - synSpanStart) }
      : { start: spanStart, end: bStart1 };
  }
  if (state.firstToken !== undefined) next.firstToken = state.firstToken;
  return finishParse(next, newDocument, newEarly, () => syntaxTokens(T.o2aLexer.tokenizeOffsets(source).tokens, comments, next));
}
