// Parser error messages in words: `expected 'for' after the plan name 'HomeFiber1G', found '{'`.
import { tokenMatcher, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { firstIndex } from '../sorted.js';

let currentTokens: readonly IToken[] = [];

/** The parser reads the token before `previous` to say "after the step name 'x'". */
export function setMessageTokens(tokens: readonly IToken[]): void {
  currentTokens = tokens;
}

const declaringKeywords: ReadonlyMap<TokenType, string> = new Map([
  [T.Kw.plan, 'the plan name'],
  [T.Kw.bundle, 'the bundle name'],
  [T.Kw.template, 'the template name'],
  [T.Kw.step, 'the step name'],
  [T.Kw.item, 'the item name'],
  [T.Kw.amend, 'the amendment name'],
  [T.Kw.catalog, 'the catalog id'],
]);

/** Longer lists of alternatives are summed up in words. */
const ruleSummaries: Readonly<Record<string, string>> = {
  operand: 'an expression (a characteristic such as item.speed, a string, a number, a duration, true, false or a parenthesised expression)',
  notExpression: 'an expression (a characteristic such as item.speed, a string, a number, true, false, not or a parenthesised expression)',
  literal: 'a literal (a string, a number, a duration, true or false)',
  action: "an action ('fail', 'hold customer', 'hold provider', 'fallout' or 'unknown then reconcile')",
  trigger: "a billing trigger ('acceptance', 'activation', 'customer acceptance', 'first usage' or 'scheduled date <characteristic>')",
  stepProperty: 'a step property (owner, service, resource, work, target, template, timeout, on, retry, compensate, irreversible, evidence, skip when, only when)',
  cancelRule: "'before' or 'after'",
  amendEntry: "'replan', 'until' or 'after'",
};

function firstIndexAtOrAfter(offset: number): number {
  return firstIndex(currentTokens, (t) => t.startOffset >= offset);
}

export function quoteToken(token: IToken): string {
  if (tokenMatcher(token, T.StringLiteral)) return 'a string';
  if (token.tokenType.name === 'EOF') return 'the end of the file';
  const text = token.image.length > 30 ? `${token.image.slice(0, 27)}...` : token.image;
  return `'${text}'`;
}

/** ` after the plan name 'X'`, ` after 'retry'`, or '' at the start of the file. */
function afterPrevious(previous: IToken | undefined): string {
  if (!previous || previous.tokenType.name === 'EOF' || Number.isNaN(previous.startOffset) || previous.image === '') return '';
  const index = firstIndexAtOrAfter(previous.startOffset);
  const before = index > 0 ? currentTokens[index - 1] : undefined;
  if (before && tokenMatcher(previous, T.Name)) {
    const role = declaringKeywords.get(before.tokenType);
    if (role) return ` after ${role} '${previous.image}'`;
  }
  return ` after ${quoteToken(previous)}`;
}

function orList(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

function expectedFromPaths(paths: readonly (readonly TokenType[])[], ruleName: string): string {
  const options = [...new Set(paths.filter((p) => p.length > 0).map((p) => T.describeTokenType(p[0]!)))];
  const summary = ruleSummaries[ruleName];
  if (summary && options.length > 3) return summary;
  return orList(options);
}

export const syntaxErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    return `expected ${T.describeTokenType(expected)}${afterPrevious(previous)}, found ${quoteToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${quoteToken(firstRedundant)}: expected a plan, bundle or template`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, previous, ruleName }) {
    const found = actual[0];
    return `expected ${expectedFromPaths(expectedPathsPerAlt.flat(), ruleName)}${afterPrevious(previous)}, found ${found ? quoteToken(found) : 'the end of the file'}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, previous, ruleName }) {
    const found = actual[0];
    return `expected ${expectedFromPaths(expectedIterationPaths, ruleName)}${afterPrevious(previous)}, found ${found ? quoteToken(found) : 'the end of the file'}`;
  },
};
