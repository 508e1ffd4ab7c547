// Machine-readable diagnostics: one JSON document with every diagnostic (1-based line and
// column next to the zero-based range, for humans reading it) and the counts.
import type { Diagnostic } from '../../compiler/diagnostics/index.js';

export function renderJson(diagnostics: readonly Diagnostic[], fileCount: number): string {
  const count = (s: Diagnostic['severity']) => diagnostics.filter((d) => d.severity === s).length;
  return `${JSON.stringify(
    {
      files: fileCount,
      errors: count('error'),
      warnings: count('warning'),
      notes: count('info'),
      diagnostics: diagnostics.map((d) => ({ ...d, line: d.range.start.line + 1, column: d.range.start.character + 1 })),
    },
    null,
    2,
  )}\n`;
}
