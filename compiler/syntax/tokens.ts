// Token types and the lexer of the o2a language.
// Keywords are soft: each keyword also belongs to the `Name` category, so the parser accepts it
// wherever a name is expected (`step billing: billing_trigger`). In expressions, references start
// with `ReferenceStart`, which excludes the expression keywords (`not`, `and`, `or`, `in`, `true`,
// `false`) so that `not x` stays unambiguous.
import { createToken, Lexer, type ILexingResult, type TokenType } from 'chevrotain';

/** Matched by every real token: lets the parser skip a run of stray tokens as one unit. */
export const AnyToken = createToken({ name: 'AnyToken', pattern: Lexer.NA });
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, categories: [AnyToken] });
export const ReferenceStart = createToken({ name: 'ReferenceStart', pattern: Lexer.NA });
/** Every numeric-looking word; the CST-to-AST stage checks it is the right kind for its place. */
export const Numeric = createToken({ name: 'Numeric', pattern: Lexer.NA, categories: [AnyToken] });
export const StringLiteral = createToken({ name: 'StringLiteral', pattern: Lexer.NA, categories: [AnyToken] });

export const Identifier = createToken({
  name: 'Identifier',
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/,
  categories: [Name, ReferenceStart],
});

const expressionKeywords = new Set(['not', 'and', 'or', 'in', 'true', 'false']);

// Keywords have no pattern of their own: the lexer matches a word once, as an Identifier, and
// `o2aLexer.tokenize` then turns the words that are keywords into their keyword type (one map
// lookup instead of trying some seventy keyword patterns at every word).
function keyword(word: string): TokenType {
  return createToken({
    name: `Kw_${word}`,
    pattern: Lexer.NA,
    categories: expressionKeywords.has(word) ? [Name] : [Name, ReferenceStart],
  });
}

const keywordWords = [
  'catalog', 'plan', 'version', 'for', 'offering', 'bundle', 'template', 'step', 'from', 'after',
  'defaults', 'owner', 'service', 'resource', 'work', 'target', 'timeout', 'on', 'retry', 'none',
  'every', 'exponential', 'max', 'jitter', 'same', 'key', 'compensate', 'requires', 'approval',
  'irreversible', 'evidence', 'skip', 'only', 'when', 'fail', 'hold', 'customer', 'provider',
  'fallout', 'unknown', 'then', 'reconcile', 'not', 'and', 'or', 'in', 'true', 'false', 'billing',
  'starts', 'acceptance', 'activation', 'first', 'usage', 'scheduled', 'date', 'blocks',
  'completion', 'revenue', 'assurance', 'cancel', 'before', 'stop', 'reject', 'amend', 'replan',
  'until', 'status', 'all', 'partial', 'allowed', 'item', 'optional', 'action',
] as const;
export type KeywordWord = (typeof keywordWords)[number];

/** Keyword token types by their word. */
export const Kw = Object.fromEntries(keywordWords.map((w) => [w, keyword(w)])) as Record<KeywordWord, TokenType>;
export const keywordTokenTypes: ReadonlySet<TokenType> = new Set(Object.values(Kw));

/**
 * A word that may be a misspelt keyword, for "did you mean": lower-case letters only (keywords are
 * so; `SERVICE_ACTIVE` is a catalog name) and not a keyword itself (`step` among step properties
 * is a member in the wrong place, not a misspelt `skip`).
 */
export function couldBeMisspeltKeyword(word: string): boolean {
  return /^[a-z]+$/.test(word) && !Object.hasOwn(Kw, word);
}

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\f\r\n\v\u00a0\ufeff]+/, group: Lexer.SKIPPED, line_breaks: true });
export const DocComment = createToken({ name: 'DocComment', pattern: /\/\/\/[^\r\n]*/, group: 'comments' });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\r\n]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
export const UnterminatedBlockComment = createToken({ name: 'UnterminatedBlockComment', pattern: /\/\*[\s\S]*/, group: 'comments', line_breaks: true });

export const TerminatedString = createToken({ name: 'TerminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*"/, categories: [StringLiteral] });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\r\n]|\\.)*\\?/, categories: [StringLiteral] });

const numericEnd = '(?![A-Za-z0-9_.])';
export const DurationToken = createToken({ name: 'Duration', pattern: new RegExp(`(?:\\d+(?:ms|[smhd]))+${numericEnd}`), categories: [Numeric] });
export const DottedNumber = createToken({ name: 'DottedNumber', pattern: new RegExp(`\\d+(?:\\.\\d+){2,}${numericEnd}`), categories: [Numeric] });
export const Decimal = createToken({ name: 'Decimal', pattern: new RegExp(`\\d+\\.\\d+${numericEnd}`), categories: [Numeric] });
export const Integer = createToken({ name: 'Integer', pattern: new RegExp(`\\d+${numericEnd}`), categories: [Numeric] });
/** `10x`, `2026.11.`, `10M`: kept as one token so that one typo gives one diagnostic. */
export const MalformedNumeric = createToken({ name: 'MalformedNumeric', pattern: /\d[A-Za-z0-9_.]*/, categories: [Numeric] });

export const Equals = createToken({ name: 'Equals', pattern: /==/, categories: [AnyToken] });
export const NotEquals = createToken({ name: 'NotEquals', pattern: /!=/, categories: [AnyToken] });
export const LessEquals = createToken({ name: 'LessEquals', pattern: /<=/, categories: [AnyToken] });
export const GreaterEquals = createToken({ name: 'GreaterEquals', pattern: /(?:>=)/, categories: [AnyToken] });
export const Less = createToken({ name: 'Less', pattern: /</, categories: [AnyToken] });
export const Greater = createToken({ name: 'Greater', pattern: />/, categories: [AnyToken] });
export const LCurly = createToken({ name: 'LCurly', pattern: /\{/, categories: [AnyToken] });
export const RCurly = createToken({ name: 'RCurly', pattern: /\}/, categories: [AnyToken] });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, categories: [AnyToken] });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, categories: [AnyToken] });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, categories: [AnyToken] });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, categories: [AnyToken] });
export const Colon = createToken({ name: 'Colon', pattern: /:/, categories: [AnyToken] });
export const Comma = createToken({ name: 'Comma', pattern: /,/, categories: [AnyToken] });
export const Dot = createToken({ name: 'Dot', pattern: /\./, categories: [AnyToken] });

export const comparisonTokenTypes: readonly TokenType[] = [Equals, NotEquals, LessEquals, GreaterEquals, Less, Greater];
export const punctuationTokenTypes: readonly TokenType[] = [LCurly, RCurly, LParen, RParen, LBracket, RBracket, Colon, Comma, Dot];

export const allTokenTypes: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedBlockComment,
  TerminatedString,
  UnterminatedString,
  DurationToken,
  DottedNumber,
  Decimal,
  Integer,
  MalformedNumeric,
  ...comparisonTokenTypes,
  ...punctuationTokenTypes,
  ...Object.values(Kw),
  Identifier,
  Name,
  ReferenceStart,
  Numeric,
  StringLiteral,
  AnyToken,
];

// Chevrotain's validation of the token definitions takes ~50 ms a lexer, at every start of every
// command: it is skipped here and run by the syntax tests instead (test/syntax/lexer.test.ts).
export const lexerConfig = { ensureOptimizations: true, skipValidations: true } as const;
// With lines and columns: for the language server's re-lexing only, so built on first use.
let wordLexer: Lexer | undefined;
// The parser needs offsets only (ranges come from a line map): a third faster. Chevrotain's
// 'onlyOffset' tracks start offsets; end offsets are filled in from the images.
const offsetWordLexer = new Lexer(allTokenTypes, { ...lexerConfig, positionTracking: 'onlyOffset' });

const keywordByWord: ReadonlyMap<string, TokenType> = new Map(Object.entries(Kw));

function markKeywords(result: ILexingResult, withEnds = false): ILexingResult {
  const identifierIdx = Identifier.tokenTypeIdx;
  if (withEnds) for (const group of Object.values(result.groups)) for (const token of group) token.endOffset = token.startOffset + token.image.length - 1;
  for (const token of result.tokens) {
    if (withEnds) token.endOffset = token.startOffset + token.image.length - 1;
    if (token.tokenTypeIdx !== identifierIdx) continue;
    const kw = keywordByWord.get(token.image);
    if (kw !== undefined) {
      token.tokenType = kw;
      token.tokenTypeIdx = kw.tokenTypeIdx!;
    }
  }
  return result;
}

/** The lexer of the language: words, then keywords among them. */
export const o2aLexer = {
  /** Tokens with offsets, lines and columns. */
  tokenize: (text: string): ILexingResult => markKeywords((wordLexer ??= new Lexer(allTokenTypes, { ...lexerConfig, positionTracking: 'full' })).tokenize(text)),
  /** Tokens with start and end offsets only (no line or column). */
  tokenizeOffsets: (text: string): ILexingResult => markKeywords(offsetWordLexer.tokenize(text), true),
};

/** How a token type is described in messages: `'for'`, `a name`, `a number`. */
export function describeTokenType(type: TokenType): string {
  if (keywordTokenTypes.has(type)) return `'${type.name.slice(3)}'`;
  switch (type) {
    case Name:
    case Identifier:
      return 'a name';
    case ReferenceStart:
      return 'a characteristic reference';
    case Numeric:
    case Integer:
      return 'a number';
    case DurationToken:
      return 'a duration';
    case StringLiteral:
    case TerminatedString:
      return 'a string';
    case Equals: return "'=='";
    case NotEquals: return "'!='";
    case LessEquals: return "'<='";
    case GreaterEquals: return "'>='";
    case Less: return "'<'";
    case Greater: return "'>'";
    case LCurly: return "'{'";
    case RCurly: return "'}'";
    case LParen: return "'('";
    case RParen: return "')'";
    case LBracket: return "'['";
    case RBracket: return "']'";
    case Colon: return "':'";
    case Comma: return "','";
    case Dot: return "'.'";
    default:
      return type.name === 'EOF' ? 'the end of the file' : type.name;
  }
}
