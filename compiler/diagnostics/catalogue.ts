// The catalogue of diagnostic codes: one entry per code, grouped by the stage that reports it.
// Each stage keeps its entries in its own file under codes/; this module merges them.
import type { Severity } from './diagnostic.js';

export interface DiagnosticDefinition {
  code: string;
  /** Short kebab-case name, e.g. `unknown-resource`. */
  name: string;
  severity: Severity;
  /** One-line summary, used as the SARIF rule description. */
  summary: string;
  /** One paragraph: what it means and why it matters (printed by `o2a explain`). */
  explanation: string;
  /** A small source that triggers it, and the same source put right. */
  wrong: string;
  right: string;
}
