// The syntax stage: source text to AST, with diagnostics, comments and classified tokens.
import { tokenMatcher, type CstNode, type IRecognitionException, type IToken } from 'chevrotain';
import type * as A from './ast.js';
import type { Diagnostic, Range } from '../diagnostics/diagnostic.js';
import { diagnostic } from '../diagnostics/index.js';
import { SyntaxCode } from '../diagnostics/codes/syntax.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { AstBuilder } from './build.js';
import { setMessageTokens } from './messages.js';
import { o2aParser } from './parser.js';
import { LineMap } from './positions.js';
import { docAbove, finishParse, isMissingBrace, reparseCounts, reparseStep, sortedOffsets, syntaxTokens, type ParseResult, type ParseState } from './reparse.js';
import { reparseGap } from './reparse-gap.js';
import * as T from './tokens.js';

export type * from './ast.js';
export { expectedAt, type ContentAssist, type NameSlot } from './content-assist.js';
export { readDuration } from './durations.js';

export type { SyntaxTokenType, SyntaxToken, ParseResult } from './reparse.js';
export { reparseCounts } from './reparse.js';

const ruleHelp: Readonly<Record<string, string>> = {
  catalogBinding: 'the first line reads: catalog <id> <version>, e.g. catalog telco-core 2026.11',
  plan: 'a plan reads: plan <Name> [version <n>] for offering <OFFERING> { <members> }',
  bundle: 'a bundle reads: bundle <Name> [version <n>] for offering <OFFERING> { item <name>: <Plan> ... }',
  template: 'a template reads: template <Name>: <step kind> { <properties> }',
  step: 'a step reads: step <name>: <kind> [after <step>, ...] [{ <properties> }], or step <name> from <Template> ...',
  propertyBlock: 'step properties go between { and }, one after the other',
  defaults: 'defaults reads: defaults { <properties> }',
  stepProperty: 'see the step properties in docs/language.md: owner, service, resource, work, target, template, timeout, on, retry, compensate, irreversible, evidence, skip when, only when',
  retry: 'retry reads: retry <count> [every <duration> | exponential <duration> [max <duration>]] [jitter] [same key], or retry none',
  action: 'an action is: fail | hold customer ["<message>"] | hold provider ["<message>"] | fallout [<group>] | unknown then reconcile',
  expression: 'a rule reads like: skip when item.installation == "self" and not item.routerIncluded',
  andExpression: 'a rule reads like: skip when item.installation == "self" and not item.routerIncluded',
  notExpression: 'a rule reads like: skip when item.installation == "self" and not item.routerIncluded',
  comparison: 'a comparison reads: <characteristic> <op> <value> with ==, !=, <, <=, >, >=, or <characteristic> [not] in [<value>, ...]',
  operand: 'a rule reads like: skip when item.installation == "self" and not item.routerIncluded',
  reference: 'a characteristic reads: item.<name>',
  literal: 'a value is a string, a number, a duration, true or false',
  billing: 'billing reads: billing starts on <trigger> [, blocks completion | , revenue assurance]',
  trigger: 'a billing trigger is: acceptance | activation | customer acceptance | first usage | scheduled date <characteristic>',
  cancel: 'a cancel rule reads: before <step>: stop | after <step>: compensate [requires approval] | after <step>: reject ["<message>"]',
  cancelRule: 'a cancel rule reads: before <step>: stop | after <step>: compensate [requires approval] | after <step>: reject ["<message>"]',
  amend: 'amend reads: amend <name> { replan <step>, ... | until <step> | after <step>: reject ["<message>"] }',
  amendEntry: 'amend reads: amend <name> { replan <step>, ... | until <step> | after <step>: reject ["<message>"] }',
  status: 'a status entry reads: [<step>] <state>: "<text>"',
  statusEntry: 'a status entry reads: [<step>] <state>: "<text>"',
  completion: 'completion reads: completion all | completion partial allowed',
  item: 'an item reads: item <name>: <Plan> [optional]',
};

function lexerDiagnostic(file: string, lines: LineMap, source: string, offset: number, length: number): Diagnostic {
  const text = source.slice(offset, offset + length);
  const range = lines.range(offset, offset + length);
  const fix = (title: string, newText: string) => ({ fixes: [{ title, edits: [{ file, range, newText }] }] });
  const message = length === 1 ? `unexpected character '${text}'` : `unexpected characters '${text}'`;
  if (text === ';') return diagnostic(SyntaxCode.unexpectedCharacter, file, range, message, { help: 'properties and members need no separator', ...fix("Remove ';'", '') });
  if (text === '=') return diagnostic(SyntaxCode.unexpectedCharacter, file, range, message, { help: "did you mean '=='?", ...fix("Write '=='", '==') });
  if (text === '!') return diagnostic(SyntaxCode.unexpectedCharacter, file, range, message, { help: "did you mean 'not' or '!='?" });
  if (text.startsWith("'")) return diagnostic(SyntaxCode.unexpectedCharacter, file, range, message, { help: 'strings are written between double quotes' });
  return diagnostic(SyntaxCode.unexpectedCharacter, file, range, message);
}

function commentKind(token: IToken): A.Comment['kind'] {
  if (tokenMatcher(token, T.DocComment)) return 'doc';
  if (tokenMatcher(token, T.LineComment)) return 'line';
  return 'block';
}

/** The words of the keywords a parser error expected, for "did you mean". */
function expectedKeywords(message: string): string[] {
  const head = message.split(' after ')[0]!.split(', found')[0]!;
  return [...head.matchAll(/'([a-z]+)'/g)].map((m) => m[1]!).filter((w) => w in T.Kw);
}

/**
 * The keyword, among those expected, that `word` stands for: the same word in other case (`STOP`),
 * or, for a word that could be a misspelt keyword (lower-case, not a keyword itself, so not a
 * catalog name either), the closest one.
 */
function keywordFor(word: string, expected: readonly string[]): string | undefined {
  const sameWord = /^[A-Za-z]+$/.test(word) ? expected.find((k) => k === word.toLowerCase()) : undefined;
  if (sameWord !== undefined) return sameWord;
  return T.couldBeMisspeltKeyword(word) ? closestMatch(word, expected) : undefined;
}

function parserDiagnostic(error: IRecognitionException, file: string, lines: LineMap, lastEnd: number): Diagnostic {
  const token = error.token;
  const atEnd = token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset);
  const range = atEnd ? lines.range(lastEnd, lastEnd) : lines.range(token.startOffset, token.endOffset! + 1);
  const rule = error.context.ruleStack[error.context.ruleStack.length - 1] ?? '';
  const suggestion = !atEnd && tokenMatcher(token, T.Name) ? keywordFor(token.image, expectedKeywords(error.message)) : undefined;
  if (suggestion) {
    return diagnostic(SyntaxCode.unexpectedToken, file, range, error.message, {
      help: `did you mean '${suggestion}'?`,
      fixes: [{ title: `Replace with '${suggestion}'`, edits: [{ file, range, newText: suggestion }] }],
    });
  }
  const help = ruleHelp[rule];
  return diagnostic(SyntaxCode.unexpectedToken, file, range, error.message, help ? { help } : {});
}

/** Doc comments directly above a declaration, step or item, each on its own line. */
function attachDocs(document: A.Document, comments: readonly A.Comment[], source: string): void {
  const attach = (node: { doc?: string; range: Range }): void => {
    const doc = docAbove(comments, source, node.range.start.offset);
    if (doc !== undefined) node.doc = doc;
  };
  for (const decl of document.declarations) {
    attach(decl);
    if (decl.kind === 'Plan') for (const m of decl.members) if (m.kind === 'Step') attach(m);
    if (decl.kind === 'Bundle') for (const m of decl.members) if (m.kind === 'Item') attach(m);
  }
}

export function parse(source: string, file: string): ParseResult {
  const lines = new LineMap(source);
  try {
    return parseUnsafe(source, file, lines);
  } catch (e) {
    // A bug in the parser must not take down the CLI or the language server.
    const range = lines.range(0, 0);
    return {
      document: { kind: 'Document', file, declarations: [], comments: [], range: lines.range(0, source.length) },
      diagnostics: [diagnostic(SyntaxCode.unexpectedToken, file, range, `internal parser error: ${e instanceof Error ? e.message : String(e)}`)],
      tokens: [],
    };
  }
}

function parseUnsafe(source: string, file: string, lines: LineMap): ParseResult {
  const lexed = T.o2aLexer.tokenizeOffsets(source);
  const early: Diagnostic[] = [];
  for (const e of lexed.errors) early.push(lexerDiagnostic(file, lines, source, e.offset, e.length));
  const lexical: Diagnostic[] = [];
  const commentTokens = (lexed.groups['comments'] ?? []) as IToken[];
  for (const c of commentTokens) {
    if (tokenMatcher(c, T.UnterminatedBlockComment)) {
      lexical.push(
        diagnostic(SyntaxCode.unterminatedBlockComment, file, lines.range(c.startOffset, c.startOffset + 2), "block comment is never closed: add '*/' where it should end", {
          help: 'everything after /* up to the end of the file is a comment',
        }),
      );
    }
  }
  for (const t of lexed.tokens) {
    if (tokenMatcher(t, T.UnterminatedString)) {
      const end = t.endOffset! + 1;
      lexical.push(
        diagnostic(SyntaxCode.unterminatedString, file, lines.range(t.startOffset, end), 'string is not closed before the end of the line', {
          help: 'add the closing double quote',
          fixes: [{ title: 'Close the string', edits: [{ file, range: lines.range(end, end), newText: '"' }] }],
        }),
      );
    }
  }
  early.push(...lexical);

  setMessageTokens(lexed.tokens);
  o2aParser.input = lexed.tokens;
  const cst = o2aParser.document() as CstNode | undefined;
  const lastToken = lexed.tokens[lexed.tokens.length - 1];
  const lastEnd = lastToken ? lastToken.endOffset! + 1 : 0;
  const seen = new Set<number>();
  const parserErrors = o2aParser.errors.length;
  for (const error of o2aParser.errors) {
    const at = Number.isNaN(error.token.startOffset) ? lastEnd : error.token.startOffset;
    if (seen.has(at)) continue;
    seen.add(at);
    early.push(parserDiagnostic(error, file, lines, lastEnd));
  }
  setMessageTokens([]);

  const comments: A.Comment[] = commentTokens.map((c) => ({ kind: commentKind(c), text: c.image, range: lines.range(c.startOffset, c.endOffset! + 1) }));
  const builder = new AstBuilder(lines, file);
  const document = builder.document(cst, source.length, comments);
  attachDocs(document, comments, source);

  const first = lexed.tokens[0];
  const state: ParseState = {
    source,
    file,
    lines,
    clean: lexed.errors.length === 0 && parserErrors === 0 && !builder.diagnostics.some(isMissingBrace),
    lexical,
    built: builder.diagnostics,
    strays: builder.strayDiagnostics,
    stepSegments: builder.stepSegments,
    stepStarts: Int32Array.from(document.declarations.flatMap((d) => (d.kind === 'Plan' ? d.members.filter((m) => m.kind === 'Step').map((m) => m.range.start.offset) : []))),
    nameOffsets: sortedOffsets(builder.nameOffsets),
    versionOffsets: sortedOffsets(builder.versionOffsets),
  };
  if (first !== undefined) state.firstToken = { start: first.startOffset, end: first.endOffset! + 1 };
  state.early = early;
  // Where the errors are, for re-parsing the members around them (reparse-gap.ts): not for a
  // string or comment left open, which runs to the end of the file.
  if (!state.clean && lexical.length === 0) {
    let start = Infinity;
    let end = -Infinity;
    for (const d of [...early, ...builder.diagnostics.filter(isMissingBrace)]) {
      if (d.range.start.offset < start) start = d.range.start.offset;
      if (d.range.end.offset > end) end = d.range.end.offset;
    }
    if (start <= end) state.dirty = { start, end };
  }
  // Lexed again when asked (the language server only): keeping every file's tokens alive until
  // then would hold most of a workspace check's memory, and lexing one file takes a millisecond.
  return finishParse(state, document, early, () => syntaxTokens(T.o2aLexer.tokenizeOffsets(source).tokens, comments, state));
}

/**
 * The `catalog <id> <version>` line a file opens with, read from its first tokens without parsing
 * the file (the CLI picks the default snapshot from it). What the parser would take as the binding:
 * the keyword, then a name and a number; otherwise undefined.
 */
export function catalogBindingOf(source: string): { id: string; version: string } | undefined {
  const tokens = T.o2aLexer.tokenizeOffsets(source).tokens;
  const [keyword, id, version] = tokens;
  if (keyword === undefined || !tokenMatcher(keyword, T.Kw.catalog)) return undefined;
  if (id === undefined || !tokenMatcher(id, T.Name) || version === undefined || !tokenMatcher(version, T.Numeric)) return undefined;
  return { id: id.image, version: version.image };
}

/**
 * The parse of `source`, a new text of the file that `previous` is a parse of: when the edit lies
 * inside one step of a plan, only that step is parsed again (the language server, on each edit).
 * Always exactly what `parse(source, file)` gives. `previous` is given up: the nodes after the
 * edit move into the new result (their positions updated in place).
 */
export function reparse(previous: ParseResult, source: string, file: string): ParseResult {
  try {
    const result = reparseStep(previous, source, file);
    if (result !== undefined) {
      reparseCounts.step++;
      return result;
    }
    // Typing a new member: the members around the edit, errors allowed (reparse-gap.ts).
    const gap = reparseGap(previous, source, file, parse);
    if (gap !== undefined) {
      reparseCounts.gap++;
      return gap;
    }
  } catch {
    // Whatever went wrong, the whole-file parse is right.
  }
  reparseCounts.whole++;
  return parse(source, file);
}
