import type { DiagnosticDefinition } from './catalogue.js';
import type { Diagnostic, Fix, Range, RelatedInformation } from './diagnostic.js';
import { syntaxCodes } from './codes/syntax.js';
import { catalogCodes } from './codes/catalog.js';
import { resolveCodes } from './codes/resolve.js';
import { checkCodes } from './codes/check.js';

export * from './diagnostic.js';
export type { DiagnosticDefinition } from './catalogue.js';

export const diagnosticCatalogue: ReadonlyMap<string, DiagnosticDefinition> = new Map(
  [...syntaxCodes, ...catalogCodes, ...resolveCodes, ...checkCodes].map((d) => [d.code, d]),
);

export function definitionOf(code: string): DiagnosticDefinition | undefined {
  return diagnosticCatalogue.get(code);
}

export interface DiagnosticDetails {
  help?: string;
  fixes?: Fix[];
  related?: RelatedInformation[];
}

/** Builds a diagnostic whose severity comes from the catalogue; an unknown code is a programming error. */
export function diagnostic(code: string, file: string, range: Range, message: string, details: DiagnosticDetails = {}): Diagnostic {
  const def = diagnosticCatalogue.get(code);
  if (!def) throw new Error(`diagnostic code ${code} is not in the catalogue`);
  const d: Diagnostic = { code, severity: def.severity, file, range, message: shownText(message) };
  if (details.help !== undefined) d.help = shownText(details.help);
  if (details.fixes !== undefined && details.fixes.length > 0) d.fixes = details.fixes;
  if (details.related !== undefined && details.related.length > 0) d.related = details.related;
  return d;
}

/** The longest name or word a message quotes in full; a longer one is cut in the middle of nowhere with `...`. */
export const maxQuotedLength = 120;

/**
 * Text for a person: control characters escaped (`\u0007`), so that a binary file cannot drive
 * the terminal, and every run of more than `maxQuotedLength` characters without a space (a name
 * pasted a megabyte long) cut to its start and `...` with its length. Ranges still point at the
 * whole thing; fixes keep their exact text.
 */
export function shownText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = /[\u0000-\u001f\u007f-\u009f]/.test(text)
    // eslint-disable-next-line no-control-regex
    ? text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
    : text;
  if (escaped.length <= maxQuotedLength) return escaped;
  return escaped.replace(new RegExp(`[^\\s'"]{${maxQuotedLength + 1},}`, 'g'), (run) => `${run.slice(0, maxQuotedLength - 20)}... (${run.length} characters)`);
}
