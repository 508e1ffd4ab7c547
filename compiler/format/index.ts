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

/**
 * Line endings and a byte order mark are kept as found: a file whose first line ends with CRLF is
 * written with CRLF throughout, and a BOM stays. Everything else of the text is the layout's.
 */
export function format(source: string, file: string): FormatResult {
  const parsed = parse(source, file);
  const { diagnostics } = parsed;
  if (diagnostics.some((d) => d.severity === 'error' && !valueCodes.has(d.code))) return { text: source, diagnostics, laidOut: false, changed: false };
  const bom = source.startsWith('\ufeff') ? '\ufeff' : '';
  const firstBreak = source.indexOf('\n');
  const crlf = firstBreak > 0 && source[firstBreak - 1] === '\r';
  // The layout works on LF text without a BOM; the diagnostics are those of the source as given.
  const plain = bom === '' && !source.includes('\r') ? source : source.slice(bom.length).replace(/\r\n?/g, '\n');
  const { document, tokens } = plain === source ? parsed : parse(plain, file);
  const elements = new ElementPrinter(plain, tokens).document(document);
  const laid = new Layout(plain, new LineMap(plain), document.comments).render(elements);
  const text = bom + (crlf ? laid.replace(/\n/g, '\r\n') : laid);
  return { text, diagnostics, laidOut: true, changed: text !== source };
}

export { printExpr, quoteString } from './print.js';
