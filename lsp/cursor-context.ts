// Where the cursor stands, read from the token stream before it: which block it is in (plan,
// step, template, defaults, cancel, amend, status, bundle) and what the last tokens ask for next.
// Works on half-typed text: it needs tokens, not a tree.
import type { SyntaxToken } from '../compiler/syntax/index.js';

export type Token = SyntaxToken;

export type BlockKind = 'plan' | 'bundle' | 'template' | 'step' | 'defaults' | 'cancel' | 'amend' | 'status' | 'other';

export interface Block {
  kind: BlockKind;
  /** Index of the `{` token. */
  open: number;
  /** For a plan or bundle: the offering named in its header. */
  offering?: string;
  /** For a step or template: its kind, or the template it is made from. */
  stepKind?: string;
  template?: string;
}

export interface CursorContext {
  /** Significant tokens (no comments) of the whole file. */
  tokens: Token[];
  /** Index in `tokens` of the first token at or after the word being typed. */
  at: number;
  /** The word (or string) being typed: its start offset; equal to the cursor offset when none. */
  prefixStart: number;
  /** Innermost first. */
  blocks: Block[];
}

const constructWords = new Set(['plan', 'bundle', 'template', 'step', 'defaults', 'cancel', 'amend', 'status']);
const nameIntroducers = new Set(['step', 'from', 'after', ',', ':', 'before', 'replan', 'until', 'item', 'plan', 'bundle', 'template', 'amend']);

export function isWord(t: Token | undefined): boolean {
  return t !== undefined && (t.type === 'identifier' || t.type === 'keyword');
}

function text(t: Token | undefined): string | undefined {
  return t?.text;
}

/** The construct a `{` at index `i` opens, and what its header says. */
function blockAt(tokens: Token[], i: number): Block {
  for (let j = i - 1; j >= 0 && j >= i - 40; j--) {
    const t = tokens[j]!;
    if (t.text === '{' || t.text === '}') break;
    if (!isWord(t) || !constructWords.has(t.text)) continue;
    if (j > 0 && nameIntroducers.has(tokens[j - 1]!.text) && tokens[j - 1]!.text !== '}') continue;
    const block: Block = { kind: t.text as BlockKind, open: i };
    const header = tokens.slice(j, i);
    const word = (w: string) => header.findIndex((h) => isWord(h) && h.text === w);
    const offering = word('offering');
    if (offering >= 0 && isWord(header[offering + 1])) block.offering = header[offering + 1]!.text;
    const colon = header.findIndex((h) => h.text === ':');
    if ((block.kind === 'step' || block.kind === 'template') && colon >= 0 && isWord(header[colon + 1])) block.stepKind = header[colon + 1]!.text;
    const from = word('from');
    if (block.kind === 'step' && from >= 0 && isWord(header[from + 1])) block.template = header[from + 1]!.text;
    return block;
  }
  return { kind: 'other', open: i };
}

/** The tokens without comments, once per token list (completion asks again and again on one text). */
const significantTokens = new WeakMap<readonly Token[], Token[]>();

export function cursorContext(allTokens: readonly Token[], offset: number): CursorContext {
  let tokens = significantTokens.get(allTokens);
  if (tokens === undefined) {
    tokens = allTokens.filter((t) => t.type !== 'comment');
    significantTokens.set(allTokens, tokens);
  }
  // The first token that ends at or after the cursor (tokens are in order and do not overlap).
  let at = 0;
  let hi = tokens.length;
  while (at < hi) {
    const mid = (at + hi) >> 1;
    if (tokens[mid]!.range.end.offset < offset) at = mid + 1;
    else hi = mid;
  }
  let prefixStart = offset;
  const current = tokens[at];
  // The cursor touches a word, number or string being typed: it is the prefix, not context.
  if (current !== undefined && current.range.start.offset < offset && offset <= current.range.end.offset && current.type !== 'punctuation' && current.type !== 'operator') {
    prefixStart = current.range.start.offset;
  } else if (current !== undefined && current.range.start.offset < offset) {
    at++;
  }
  // The braces still open at the cursor; only those blocks are described.
  const open: number[] = [];
  for (let i = 0; i < at; i++) {
    const t = tokens[i]!.text;
    if (t === '{') open.push(i);
    else if (t === '}') open.pop();
  }
  return { tokens, at, prefixStart, blocks: open.map((i) => blockAt(tokens, i)).reverse() };
}

/** The n-th significant token before the prefix (1 = the last one). */
export function before(ctx: CursorContext, n: number): Token | undefined {
  return ctx.tokens[ctx.at - n];
}

export function textBefore(ctx: CursorContext, n: number): string | undefined {
  return text(before(ctx, n));
}

/** The nearest enclosing block of one of the kinds. */
export function enclosing(ctx: CursorContext, ...kinds: BlockKind[]): Block | undefined {
  return ctx.blocks.find((b) => kinds.includes(b.kind));
}

/**
 * Walking back over a `name, name, ` list: the word that introduced it (`after`, `replan`,
 * `evidence`...), and its index.
 */
export function listIntroducer(ctx: CursorContext): { word: string; index: number } | undefined {
  let i = ctx.at - 1;
  // Just after the introducer, or after `name ,`.
  while (i >= 0) {
    const t = ctx.tokens[i]!;
    if (t.text === ',' && isWord(ctx.tokens[i - 1])) {
      i -= 2;
      continue;
    }
    if (isWord(t)) return { word: t.text, index: i };
    return undefined;
  }
  return undefined;
}

/** Names declared with `step <name>` inside the block opened at `open` (the whole block, past the cursor). */
export function stepNamesOf(ctx: CursorContext, open: number): string[] {
  const names: string[] = [];
  let depth = 0;
  for (let i = open; i < ctx.tokens.length; i++) {
    const t = ctx.tokens[i]!;
    if (t.text === '{') depth++;
    else if (t.text === '}') {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && t.text === 'step' && isWord(ctx.tokens[i + 1]) && i + 1 !== ctx.at) names.push(ctx.tokens[i + 1]!.text);
  }
  return [...new Set(names)];
}
