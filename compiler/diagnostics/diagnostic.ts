// The one diagnostics model shared by the compiler, the CLI printers and the language server.

/** Zero-based line and character (UTF-16 code units, as LSP counts), plus the absolute offset. */
export interface Position {
  line: number;
  character: number;
  offset: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export interface TextEdit {
  file: string;
  range: Range;
  newText: string;
}

/** A machine-applicable fix: the CLI can print it, the language server offers it as a code action. */
export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface RelatedInformation {
  file: string;
  range: Range;
  message: string;
}

export interface Diagnostic {
  /** Stable code from the catalogue, e.g. `O2A2001`. */
  code: string;
  severity: Severity;
  /** File the diagnostic is in (as given to the compiler: a path or a URI). */
  file: string;
  range: Range;
  /** Names the thing at fault, e.g. `unknown resource specification 'ONT_GPOM'`. */
  message: string;
  /** One line of help, e.g. `did you mean 'ONT_GPON'?`. */
  help?: string;
  fixes?: Fix[];
  related?: RelatedInformation[];
}

export const zeroPosition: Position = { line: 0, character: 0, offset: 0 };
export const zeroRange: Range = { start: zeroPosition, end: zeroPosition };

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Stable order for output: by file, then position, then code. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.range.start.offset !== b.range.start.offset) return a.range.start.offset - b.range.start.offset;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  return severityRank[a.severity] - severityRank[b.severity];
}

export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank[severity] <= severityRank[threshold];
}
