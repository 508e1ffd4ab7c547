// `o2a fmt`: the canonical layout of a .o2a file. A file with syntax errors is returned unchanged.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { parse } from '../syntax/index.js';
import { LineMap } from '../syntax/positions.js';
import { Layout } from './layout.js';
import { ElementPrinter } from './print.js';

export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
  changed: boolean;
}

export function format(source: string, file: string): FormatResult {
  const { document, diagnostics, tokens } = parse(source, file);
  if (diagnostics.some((d) => d.severity === 'error')) return { text: source, diagnostics, changed: false };
  const elements = new ElementPrinter(source, tokens).document(document);
  const text = new Layout(source, new LineMap(source), document.comments).render(elements);
  return { text, diagnostics, changed: text !== source };
}

export { printExpr, quoteString } from './print.js';
