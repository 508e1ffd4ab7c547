// `o2a diff --format sarif`: SARIF 2.1.0 with the diff rules seen as rules (breaking: error,
// dangerous: warning, safe: note) and the fingerprint as the result's partial fingerprint.
import { diffRulesById, type DiffLevel, type DiffReport } from '../../compiler/diff/index.js';
import { changeSubject, describeChange } from './diff-text.js';
import type { ChangeLocator } from './diff-location.js';

const levels: Record<DiffLevel, 'error' | 'warning' | 'note'> = { breaking: 'error', dangerous: 'warning', safe: 'note' };

export function renderDiffSarif(report: DiffReport, toolVersion: string, locate: ChangeLocator = () => undefined): string {
  const ids = [...new Set(report.changes.map((c) => c.rule))].sort();
  const rules = ids.map((id) => {
    const rule = diffRulesById.get(id);
    return {
      id,
      name: id,
      shortDescription: { text: rule?.purpose ?? id },
      defaultConfiguration: { level: levels[rule?.level ?? 'breaking'] },
      properties: { level: rule?.level ?? 'breaking' },
    };
  });
  const results = report.changes.map((c) => {
    const at = locate(c.planId, c.stepId);
    return {
      ruleId: c.rule,
      ruleIndex: ids.indexOf(c.rule),
      level: c.approved ? 'note' : levels[c.level],
      message: { text: `${changeSubject(c)}: ${describeChange(c)}: ${c.reason}` },
      ...(at ? { locations: [{ physicalLocation: { artifactLocation: { uri: at.file }, region: { startLine: at.line } } }] } : {}),
      partialFingerprints: { o2aChange: c.fingerprint },
      ...(c.approved ? { suppressions: [{ kind: 'external', justification: c.approvalNote ?? '' }] } : {}),
    };
  });
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'o2a diff', version: toolVersion, rules } }, results }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
