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
import * as T from './tokens.js';

export type * from './ast.js';
export { expectedAt, type ContentAssist, type NameSlot } from './content-assist.js';
export { readDuration } from './durations.js';

export type SyntaxTokenType = 'keyword' | 'identifier' | 'string' | 'number' | 'duration' | 'version' | 'operator' | 'punctuation' | 'comment';

export interface SyntaxToken {
  type: SyntaxTokenType;
  range: Range;
  text: string;
}

export interface ParseResult {
  document: A.Document;
  diagnostics: Diagnostic[];
  /** Every token, comments included, in source order. Keywords used as names are `identifier`. */
  tokens: SyntaxToken[];
}

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

function parserDiagnostic(error: IRecognitionException, file: string, lines: LineMap, lastEnd: number): Diagnostic {
  const token = error.token;
  const atEnd = token.tokenType.name === 'EOF' || Number.isNaN(token.startOffset);
  const range = atEnd ? lines.range(lastEnd, lastEnd) : lines.range(token.startOffset, token.endOffset! + 1);
  const rule = error.context.ruleStack[error.context.ruleStack.length - 1] ?? '';
  const suggestion = !atEnd && tokenMatcher(token, T.Name) ? closestMatch(token.image, expectedKeywords(error.message)) : undefined;
  if (suggestion) {
    return diagnostic(SyntaxCode.unexpectedToken, file, range, error.message, {
      help: `did you mean '${suggestion}'?`,
      fixes: [{ title: `Replace with '${suggestion}'`, edits: [{ file, range, newText: suggestion }] }],
    });
  }
  const help = ruleHelp[rule];
  return diagnostic(SyntaxCode.unexpectedToken, file, range, error.message, help ? { help } : {});
}

function isOwnLine(source: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = source[i];
    if (c === '\n' || c === '\r') return true;
    if (c !== ' ' && c !== '\t') return false;
  }
  return true;
}

/** Doc comments directly above a declaration, step or item, each on its own line. */
function attachDocs(document: A.Document, comments: readonly IToken[], source: string): void {
  const docFor = (start: number): string | undefined => {
    let cursor = start;
    const lines: string[] = [];
    let i = comments.length - 1;
    while (i >= 0 && comments[i]!.startOffset >= start) i--;
    for (; i >= 0; i--) {
      const c = comments[i]!;
      if (!tokenMatcher(c, T.DocComment) || !/^\s*$/.test(source.slice(c.endOffset! + 1, cursor)) || !isOwnLine(source, c.startOffset)) break;
      lines.unshift(c.image.slice(3).replace(/^ /, '').trimEnd());
      cursor = c.startOffset;
    }
    return lines.length > 0 ? lines.join('\n') : undefined;
  };
  const attach = (node: { doc?: string; range: Range }): void => {
    const doc = docFor(node.range.start.offset);
    if (doc !== undefined) node.doc = doc;
  };
  for (const decl of document.declarations) {
    attach(decl);
    if (decl.kind === 'Plan') for (const m of decl.members) if (m.kind === 'Step') attach(m);
    if (decl.kind === 'Bundle') for (const m of decl.members) if (m.kind === 'Item') attach(m);
  }
}

function classify(token: IToken, builder: AstBuilder): SyntaxTokenType {
  if (T.keywordTokenTypes.has(token.tokenType)) return builder.nameOffsets.has(token.startOffset) ? 'identifier' : 'keyword';
  if (tokenMatcher(token, T.Name)) return 'identifier';
  if (tokenMatcher(token, T.StringLiteral)) return 'string';
  if (tokenMatcher(token, T.Numeric)) {
    if (builder.versionOffsets.has(token.startOffset)) return 'version';
    return tokenMatcher(token, T.DurationToken) ? 'duration' : 'number';
  }
  if (T.comparisonTokenTypes.includes(token.tokenType)) return 'operator';
  return 'punctuation';
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
  const diagnostics: Diagnostic[] = [];
  for (const e of lexed.errors) diagnostics.push(lexerDiagnostic(file, lines, source, e.offset, e.length));
  const commentTokens = (lexed.groups['comments'] ?? []) as IToken[];
  for (const c of commentTokens) {
    if (tokenMatcher(c, T.UnterminatedBlockComment)) {
      diagnostics.push(
        diagnostic(SyntaxCode.unterminatedBlockComment, file, lines.range(c.startOffset, c.startOffset + 2), "block comment is never closed: add '*/' where it should end", {
          help: 'everything after /* up to the end of the file is a comment',
        }),
      );
    }
  }
  for (const t of lexed.tokens) {
    if (tokenMatcher(t, T.UnterminatedString)) {
      const end = t.endOffset! + 1;
      diagnostics.push(
        diagnostic(SyntaxCode.unterminatedString, file, lines.range(t.startOffset, end), 'string is not closed before the end of the line', {
          help: 'add the closing double quote',
          fixes: [{ title: 'Close the string', edits: [{ file, range: lines.range(end, end), newText: '"' }] }],
        }),
      );
    }
  }

  setMessageTokens(lexed.tokens);
  o2aParser.input = lexed.tokens;
  const cst = o2aParser.document() as CstNode | undefined;
  const lastToken = lexed.tokens[lexed.tokens.length - 1];
  const lastEnd = lastToken ? lastToken.endOffset! + 1 : 0;
  const seen = new Set<number>();
  for (const error of o2aParser.errors) {
    const at = Number.isNaN(error.token.startOffset) ? lastEnd : error.token.startOffset;
    if (seen.has(at)) continue;
    seen.add(at);
    diagnostics.push(parserDiagnostic(error, file, lines, lastEnd));
  }
  setMessageTokens([]);

  const comments: A.Comment[] = commentTokens.map((c) => ({ kind: commentKind(c), text: c.image, range: lines.range(c.startOffset, c.endOffset! + 1) }));
  const builder = new AstBuilder(lines, file);
  const document = builder.document(cst, source.length, comments);
  diagnostics.push(...builder.diagnostics);
  // A stray run right where (or right after) another error was reported only repeats it.
  const echoes = (d: Diagnostic): boolean =>
    diagnostics.some(
      (e) => e.severity === 'error' && (e.range.start.offset === d.range.start.offset || (e.range.end.offset <= d.range.start.offset && /^\s*$/.test(source.slice(e.range.end.offset, d.range.start.offset)))),
    );
  diagnostics.push(...builder.strayDiagnostics.filter((d) => !echoes(d)));
  attachDocs(document, commentTokens, source);

  if (!document.catalog) {
    const firstDecl = document.declarations[0]?.range.start.offset ?? source.length;
    const errorBefore = diagnostics.some((d) => d.severity === 'error' && d.range.start.offset <= firstDecl);
    if (!errorBefore) {
      const first = lexed.tokens[0];
      const range = first ? lines.range(first.startOffset, first.endOffset! + 1) : lines.range(0, 0);
      diagnostics.push(
        diagnostic(SyntaxCode.missingCatalogBinding, file, range, 'this file does not name the catalog snapshot it is written against', {
          help: "start the file with 'catalog <id> <version>', e.g. 'catalog telco-core 2026.11'",
        }),
      );
    }
  }

  diagnostics.sort((a, b) => a.range.start.offset - b.range.start.offset);
  // Only the language server reads the classified tokens: built on first read.
  let tokens: SyntaxToken[] | undefined;
  const lexedTokens = lexed.tokens;
  return {
    document,
    diagnostics,
    get tokens(): SyntaxToken[] {
      tokens ??= syntaxTokens(lexedTokens, comments, builder, lines);
      return tokens;
    },
  };
}

function syntaxTokens(lexed: readonly IToken[], comments: readonly A.Comment[], builder: AstBuilder, lines: LineMap): SyntaxToken[] {
  return [
    ...lexed.map((t) => ({ type: classify(t, builder), range: lines.range(t.startOffset, t.endOffset! + 1), text: t.image })),
    ...comments.map((c) => ({ type: 'comment' as const, range: c.range, text: c.text })),
  ].sort((a, b) => a.range.start.offset - b.range.start.offset);
}
