import type { DiagnosticDefinition } from '../catalogue.js';
import { homeFiberPlan, pin } from './examples.js';

/** Codes of the syntax stage (lexer, parser, CST to AST). */
export const SyntaxCode = {
  unexpectedCharacter: 'O2A0001',
  unterminatedString: 'O2A0002',
  unterminatedBlockComment: 'O2A0003',
  unexpectedToken: 'O2A0004',
  invalidDuration: 'O2A0005',
  retryCountNotInteger: 'O2A0006',
  missingCatalogBinding: 'O2A0007',
  malformedVersion: 'O2A0008',
  planVersionNotInteger: 'O2A0009',
  malformedNumber: 'O2A0010',
  nestingTooDeep: 'O2A0011',
} as const;

export const syntaxCodes: DiagnosticDefinition[] = [
  {
    code: SyntaxCode.unexpectedCharacter,
    name: 'unexpected-character',
    severity: 'error',
    summary: 'A character that no token of the language starts with.',
    explanation:
      'The lexer met a character that cannot begin any word, number, string, operator or punctuation of the plan language, such as `#`, `;` or `@`. The character is skipped and the rest of the file is still read, but the plan is not compiled until it is removed.',
    wrong: homeFiberPlan('timeout 10m;'),
    right: homeFiberPlan('timeout 10m'),
  },
  {
    code: SyntaxCode.unterminatedString,
    name: 'unterminated-string',
    severity: 'error',
    summary: 'A string has no closing double quote on its line.',
    explanation:
      'Strings are written between double quotes on one line; a quote inside is written `\\"`. A string that reaches the end of the line without its closing quote usually means a forgotten quote, which would otherwise swallow the rest of the line.',
    wrong: homeFiberPlan('', 'status {\n  completed: "Service active\n}'),
    right: homeFiberPlan('', 'status {\n  completed: "Service active"\n}'),
  },
  {
    code: SyntaxCode.unterminatedBlockComment,
    name: 'unterminated-block-comment',
    severity: 'error',
    summary: 'A `/*` comment is never closed with `*/`.',
    explanation:
      'A block comment runs from `/*` to the next `*/`. Without the closing `*/` the comment swallows everything to the end of the file, so every declaration after it silently disappears; this is reported so that it cannot go unnoticed.',
    wrong: homeFiberPlan().replace(pin, `${pin}/* draft\n`),
    right: homeFiberPlan().replace(pin, `${pin}/* draft */\n`),
  },
  {
    code: SyntaxCode.unexpectedToken,
    name: 'unexpected-token',
    severity: 'error',
    summary: 'The parser found a word or symbol where the grammar expects something else.',
    explanation:
      'The plan does not follow the grammar of docs/language.md at this point: a keyword is missing or misspelt, or a member is in the wrong place. The message says what was expected and what was found; the parser skips to the next step, member or declaration and goes on, so later errors in the file are still reported and the language server still knows the rest of the plan.',
    wrong: homeFiberPlan('', '', 'plan HomeFiber1G offering HOME_FIBER_1G'),
    right: homeFiberPlan(),
  },
  {
    code: SyntaxCode.invalidDuration,
    name: 'invalid-duration',
    severity: 'error',
    summary: 'A duration is not a whole number followed by a unit (ms, s, m, h, d).',
    explanation:
      'Durations are whole numbers followed by a unit: `ms` (milliseconds), `s` (seconds), `m` (minutes), `h` (hours) or `d` (days), and parts may be concatenated from the largest unit to the smallest, as in `1h30m`. Units are lower case: `10M` is not ten minutes. A bare number has no unit and is not a duration, because a timeout of `10` could mean anything.',
    wrong: homeFiberPlan('timeout 10x'),
    right: homeFiberPlan('timeout 10m'),
  },
  {
    code: SyntaxCode.retryCountNotInteger,
    name: 'retry-count-not-integer',
    severity: 'error',
    summary: 'A retry count is not a whole number.',
    explanation:
      'The count of `retry` is the number of attempts after the first one, so it must be a whole number such as `3`; write `retry none` for no retries. A decimal or a duration in that place is almost always a missing keyword, as in `retry 30s` for `retry 3 every 30s`.',
    wrong: homeFiberPlan('retry 2.5 every 1m'),
    right: homeFiberPlan('retry 2 every 1m'),
  },
  {
    code: SyntaxCode.missingCatalogBinding,
    name: 'missing-catalog-binding',
    severity: 'warning',
    summary: 'The file does not say which catalog snapshot it is written against.',
    explanation:
      'A plan names catalog specifications (offerings, services, resources, work types) that only mean something in one version of the catalog. The first line `catalog <id> <version>` pins the file to that snapshot, so that a new catalog version cannot change what the plan does without a deliberate edit. Without it the names cannot be checked.',
    wrong: homeFiberPlan().replace(pin, ''),
    right: homeFiberPlan(),
  },
  {
    code: SyntaxCode.malformedVersion,
    name: 'malformed-version',
    severity: 'error',
    summary: 'A catalog version is not numbers separated by dots.',
    explanation:
      'Catalog snapshot versions are whole numbers separated by single dots, such as `2026.11` or `2026.11.2`. A trailing dot, a double dot or letters in the version point at a typo, and the file could never be matched with a snapshot.',
    wrong: 'catalog telco-core 2026.11.\n',
    right: 'catalog telco-core 2026.11\n',
  },
  {
    code: SyntaxCode.planVersionNotInteger,
    name: 'plan-version-not-integer',
    severity: 'error',
    summary: 'A plan or bundle version is not a whole number.',
    explanation:
      'Plan and bundle versions count the published revisions of one plan: `version 3` is followed by `version 4`. They are whole numbers, unlike catalog snapshot versions, which may have dots.',
    wrong: homeFiberPlan('', '', 'plan HomeFiber1G version 2.1 for offering HOME_FIBER_1G'),
    right: homeFiberPlan('', '', 'plan HomeFiber1G version 3 for offering HOME_FIBER_1G'),
  },
  {
    code: SyntaxCode.malformedNumber,
    name: 'malformed-number',
    severity: 'error',
    summary: 'A number in a rule is not a whole or decimal number.',
    explanation:
      'Numbers in `skip when` and `only when` rules are whole numbers (`100`) or decimals with one dot (`2.5`). Something like `1.2.3` or `12ab` is neither, so the rule cannot be compared with a characteristic.',
    wrong: homeFiberPlan('skip when item.downloadSpeed < 1.2.3'),
    right: homeFiberPlan('skip when item.downloadSpeed < 500.5'),
  },
  {
    code: SyntaxCode.nestingTooDeep,
    name: 'nesting-too-deep',
    severity: 'error',
    summary: 'A rule nests parentheses and `not` more than 64 deep.',
    explanation:
      'Parentheses and `not` may nest at most 64 deep in one `skip when` or `only when` rule. No rule a person writes comes near it; a deeper one is almost always generated text gone wrong. It is reported once, where the limit is passed, and the rest of the file is still checked. Chains of `and` and `or` are not nesting: `a and b and c ...` may be as long as needed without any parentheses.',
    wrong: homeFiberPlan(`skip when ${'('.repeat(65)}item.routerIncluded${')'.repeat(65)}`),
    right: homeFiberPlan('skip when item.routerIncluded'),
  },
];
