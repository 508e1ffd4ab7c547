// Tokens of the current text without a full parse, for completion right after an edit: the lines
// an edit touched are lexed again and spliced into the previous tokens, the rest shifted.
// Keywords used as names come out as `keyword` here (the parser alone can tell); completion only
// asks whether a token is a word.
import { tokenMatcher, type IToken } from 'chevrotain';
import * as T from '../compiler/syntax/tokens.js';
import type { SyntaxToken, SyntaxTokenType } from '../compiler/syntax/index.js';
import { commonPrefix, commonSuffix, detached } from '../compiler/syntax/reparse.js';
import { firstIndex } from '../compiler/sorted.js';

function classify(token: IToken): SyntaxTokenType {
  if (T.keywordTokenTypes.has(token.tokenType)) return 'keyword';
  if (tokenMatcher(token, T.Name)) return 'identifier';
  if (tokenMatcher(token, T.StringLiteral)) return 'string';
  if (tokenMatcher(token, T.DurationToken)) return 'duration';
  if (tokenMatcher(token, T.Numeric)) return 'number';
  if (T.comparisonTokenTypes.includes(token.tokenType)) return 'operator';
  return 'punctuation';
}

const commentTypes = new Set([T.DocComment, T.LineComment, T.BlockComment, T.UnterminatedBlockComment]);

/** Lexes `text`, placed at `offset` (line `line`, which starts at `offset`) of the whole source. */
export function lex(text: string, offset = 0, line = 0): SyntaxToken[] {
  const result = T.o2aLexer.tokenize(text);
  const all = [...result.tokens, ...((result.groups.comments as IToken[] | undefined) ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return all.map((t) => {
    const startLine = (t.startLine ?? 1) - 1 + line;
    const endLine = (t.endLine ?? t.startLine ?? 1) - 1 + line;
    return {
      type: commentTypes.has(t.tokenType) ? 'comment' : classify(t),
      text: t.image,
      range: {
        start: { line: startLine, character: (t.startColumn ?? 1) - 1, offset: offset + t.startOffset },
        end: { line: endLine, character: t.endColumn ?? 0, offset: offset + (t.endOffset ?? t.startOffset) + 1 },
      },
    };
  });
}

function lineStart(text: string, offset: number): number {
  if (offset === 0) return 0; // lastIndexOf(_, -1) would look at index 0
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i;
}


function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Tokens of `next`, reusing `previous` (the tokens of `before`) outside the edited lines. */
export function relex(before: string, previous: readonly SyntaxToken[], next: string): SyntaxToken[] {
  if (before === next) return [...previous];
  const head = commonPrefix(before, next);
  const tail = commonSuffix(before, next, head);
  const from = lineStart(next, head);
  const oldTo = lineEnd(before, before.length - tail);
  const newTo = lineEnd(next, next.length - tail);
  const oldRegion = before.slice(from, oldTo);
  // A copy: tokens lexed from a view of `next` would keep every version of the text alive.
  const newRegion = detached(next.slice(from, newTo));
  // A block comment may reach across the edited lines: lex it all again.
  if (/\/\*|\*\//.test(oldRegion) || /\/\*|\*\//.test(newRegion)) return lex(next);
  // Tokens are in source order: the first ending after `from`, the first starting at or after `oldTo`.
  const firstTouched = firstIndex(previous, (t) => t.range.end.offset > from);
  const firstAfter = firstIndex(previous, (t) => t.range.start.offset >= oldTo);
  for (let i = Math.max(0, firstTouched - 1); i < Math.min(previous.length, firstAfter + 1); i++) {
    const t = previous[i]!;
    if (t.range.start.line !== t.range.end.line && t.range.start.offset <= oldTo && t.range.end.offset >= from) return lex(next);
  }
  const last = previous[firstTouched - 1];
  const startLine = last !== undefined ? last.range.end.line + countNewlines(next.slice(last.range.end.offset, from)) : countNewlines(next.slice(0, from));
  const fresh = lex(newRegion, from, startLine);
  const delta = newTo - oldTo;
  const lineDelta = countNewlines(newRegion) - countNewlines(oldRegion);
  // One array (25k tokens in a large file: no intermediate copies). Tokens are never changed once
  // made: when nothing moved, the old ones serve as they are.
  const out = new Array<SyntaxToken>(firstTouched + fresh.length + previous.length - firstAfter);
  let j = 0;
  for (let i = 0; i < firstTouched; i++) out[j++] = previous[i]!;
  for (const t of fresh) out[j++] = t;
  const moved = delta !== 0 || lineDelta !== 0;
  for (let i = firstAfter; i < previous.length; i++) {
    const t = previous[i]!;
    out[j++] = !moved ? t : {
      type: t.type,
      text: t.text,
      range: {
        start: { line: t.range.start.line + lineDelta, character: t.range.start.character, offset: t.range.start.offset + delta },
        end: { line: t.range.end.line + lineDelta, character: t.range.end.character, offset: t.range.end.offset + delta },
      },
    };
  }
  return out;
}
