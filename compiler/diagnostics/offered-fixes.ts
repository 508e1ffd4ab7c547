// Which diagnostics keep their machine-applicable fixes. A fix is an edit computed from what the
// compiler understood of the file; where that understanding is shaky, applying it (as a fix-all
// does, without a person looking) can damage the file. So a fix is offered only when:
// - the file it edits parsed: no structural syntax error in it, except that the first syntax error
//   of a file keeps its own fix (later ones may be consequences of it), and none at all after an
//   unterminated block comment, which swallows the rest of the file;
// - its diagnostic is not a consequence of another error: a finding of the checks (O2A3xxx,
//   O2A4xxx, O2A5xxx) keeps its fix only when the declaration it is in has no syntax or name error;
// - it was not computed on a graph with a cycle: no check finding of a plan with a dependency
//   cycle (O2A3001) keeps its fix.
// - for a syntax error, the file parses better with it (`verifySyntaxFix`): fewer syntax errors,
//   none new before the place it edits.
// The diagnostic itself is always kept, with its help; only `fixes` goes.
import type { Diagnostic, Fix, Range, TextEdit } from './diagnostic.js';
import { SyntaxCode } from './codes/syntax.js';

/**
 * Syntax codes after which the syntax tree around the place is a guess of the recovery. (A
 * character the lexer skipped, an unclosed string or a rule nested too deep leave the tree whole.)
 */
const structuralSyntaxCodes: ReadonlySet<string> = new Set([SyntaxCode.unterminatedBlockComment, SyntaxCode.unexpectedToken]);

/** Syntax codes whose fixes are checked by parsing the file again with the fix (`verifySyntaxFix`). */
const verifiedSyntaxCodes: ReadonlySet<string> = new Set([SyntaxCode.unexpectedCharacter, SyntaxCode.unterminatedString, SyntaxCode.unexpectedToken]);

const cycleCode = 'O2A3001';

type Stage = 'syntax' | 'catalog' | 'resolve' | 'check';

function stageOf(code: string): Stage {
  if (code.startsWith('O2A0')) return 'syntax';
  if (code.startsWith('O2A1')) return 'catalog';
  if (code.startsWith('O2A2')) return 'resolve';
  return 'check';
}

function within(inner: Range, outer: Range): boolean {
  return inner.start.offset >= outer.start.offset && inner.end.offset <= outer.end.offset;
}

/** A declaration of a file (plan, bundle, template): the unit a check finding belongs to. */
export interface DeclarationSpan {
  file: string;
  range: Range;
}

/**
 * `diagnostics` with the fixes that may not be offered taken away (new objects; the input is not
 * changed). `declarations`: every declaration of every file, to tell which one a finding is in.
 */
export function offeredFixes(
  diagnostics: readonly Diagnostic[],
  declarations: readonly DeclarationSpan[],
  verifySyntaxFix?: (d: Diagnostic, fix: Fix) => boolean,
): Diagnostic[] {
  const firstSyntaxError = new Map<string, Diagnostic>();
  const swallowed = new Set<string>();
  const unsure: Diagnostic[] = [];
  const cycles: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 'error') continue;
    const stage = stageOf(d.code);
    if (stage === 'syntax' && structuralSyntaxCodes.has(d.code)) {
      const first = firstSyntaxError.get(d.file);
      if (first === undefined || d.range.start.offset < first.range.start.offset) firstSyntaxError.set(d.file, d);
      if (d.code === SyntaxCode.unterminatedBlockComment) swallowed.add(d.file);
    }
    if (stage === 'syntax' || stage === 'resolve') unsure.push(d);
    if (d.code === cycleCode) cycles.push(d);
  }
  const declarationOf = (d: { file: string; range: Range }): DeclarationSpan | undefined =>
    declarations.find((decl) => decl.file === d.file && within(d.range, decl.range));
  const unsureDeclarations = new Set<DeclarationSpan>();
  for (const d of unsure) {
    const decl = declarationOf(d);
    if (decl !== undefined) unsureDeclarations.add(decl);
  }
  const cyclic = new Set<DeclarationSpan>();
  for (const d of cycles) {
    const decl = declarationOf(d);
    if (decl !== undefined) cyclic.add(decl);
  }

  const offered = (d: Diagnostic): boolean => {
    const files = new Set([d.file, ...(d.fixes ?? []).flatMap((f) => f.edits.map((e) => e.file))]);
    for (const file of files) {
      if (swallowed.has(file)) return false;
      const first = firstSyntaxError.get(file);
      if (first === undefined || first === d) continue;
      // A lexer error before the first parser error is independent of it.
      if (!(verifiedSyntaxCodes.has(d.code) && d.file === file && d.range.end.offset <= first.range.start.offset)) return false;
    }
    if (stageOf(d.code) === 'check') {
      const decl = declarationOf(d);
      if (decl !== undefined && (unsureDeclarations.has(decl) || cyclic.has(decl))) return false;
      // Fixes that edit another declaration (a template used by the plan) are held to the same rule.
      for (const fix of d.fixes ?? []) {
        for (const edit of fix.edits) {
          const target = declarationOf(edit);
          if (target !== undefined && (unsureDeclarations.has(target) || cyclic.has(target))) return false;
        }
      }
    }
    return true;
  };

  return diagnostics.map((d) => {
    if (d.fixes === undefined || d.fixes.length === 0) return d;
    let fixes = offered(d) ? d.fixes : [];
    // The fix of a syntax error is a guess at what was meant: kept when the file parses better with it.
    if (fixes.length > 0 && verifySyntaxFix !== undefined && verifiedSyntaxCodes.has(d.code)) fixes = fixes.filter((f) => verifySyntaxFix(d, f));
    if (fixes.length === d.fixes.length) return d;
    const { fixes: _dropped, ...rest } = d;
    return fixes.length > 0 ? { ...rest, fixes } : rest;
  });
}

/** A syntax error whose fix is a guess, checked by parsing again (`syntaxFixHolds` in compiler/index.ts). */
export function isVerifiedSyntaxError(d: Diagnostic): boolean {
  return d.severity === 'error' && verifiedSyntaxCodes.has(d.code);
}

/** Every syntax error (what a fix of one must reduce). */
export function isSyntaxError(d: Diagnostic): boolean {
  return d.severity === 'error' && d.code.startsWith('O2A0');
}

/** `text` with `edits` (all of one file, not overlapping) applied. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => b.range.start.offset - a.range.start.offset || b.range.end.offset - a.range.end.offset);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.range.start.offset) + e.newText + out.slice(e.range.end.offset);
  return out;
}

/**
 * The fixes a fix-all applies: one per diagnostic, in order, each dropped when one of its edits
 * overlaps (or inserts at the same place as) an edit already taken.
 */
export function combinedFixEdits(fixes: readonly Fix[]): TextEdit[] {
  const taken: TextEdit[] = [];
  for (const fix of fixes) {
    const clash = fix.edits.some((e) => taken.some((t) => t.file === e.file
      && ((e.range.start.offset < t.range.end.offset && t.range.start.offset < e.range.end.offset) || t.range.start.offset === e.range.start.offset)));
    if (clash) continue;
    taken.push(...fix.edits);
  }
  return taken;
}
