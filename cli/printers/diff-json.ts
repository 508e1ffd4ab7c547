// `o2a diff --format json`: the report as data, valid against schemas/diff.schema.json.
import type { DiffReport } from '../../compiler/diff/index.js';

export function renderDiffJson(report: DiffReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
