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
  const d: Diagnostic = { code, severity: def.severity, file, range, message };
  if (details.help !== undefined) d.help = details.help;
  if (details.fixes !== undefined && details.fixes.length > 0) d.fixes = details.fixes;
  if (details.related !== undefined && details.related.length > 0) d.related = details.related;
  return d;
}
