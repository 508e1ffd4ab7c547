// `o2a fmt`: the canonical layout of a .o2a file. A file whose structure did not parse (lexer and
// parser errors) is returned unchanged; one whose only errors are in values (a duration without a
// unit, a malformed version or number, no catalog line) is laid out with those values as written.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { SyntaxCode } from '../diagnostics/codes/syntax.js';
import { parse } from '../syntax/index.js';
import { LineMap } from '../syntax/positions.js';
import { Layout } from './layout.js';
import { ElementPrinter } from './print.js';

export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
  /** Whether the layout was applied: false when the structure did not parse (`text` is the source). */
  laidOut: boolean;
  changed: boolean;
}

/** Errors in a value the printer copies as written: the syntax tree around them is whole. */
const valueCodes: ReadonlySet<string> = new Set([
  SyntaxCode.invalidDuration,
  SyntaxCode.retryCountNotInteger,
  SyntaxCode.missingCatalogBinding,
  SyntaxCode.malformedVersion,
  SyntaxCode.planVersionNotInteger,
  SyntaxCode.malformedNumber,
]);

export function format(source: string, file: string): FormatResult {
  const { document, diagnostics, tokens } = parse(source, file);
  if (diagnostics.some((d) => d.severity === 'error' && !valueCodes.has(d.code))) return { text: source, diagnostics, laidOut: false, changed: false };
  const elements = new ElementPrinter(source, tokens).document(document);
  const text = new Layout(source, new LineMap(source), document.comments).render(elements);
  return { text, diagnostics, laidOut: true, changed: text !== source };
}

export { printExpr, quoteString } from './print.js';
