// `o2a diff --format github`: GitHub Actions workflow commands, one annotation per change on the
// plan or step line (breaking: error, dangerous: warning, safe or approved: notice).
import type { DiffReport } from '../../compiler/diff/index.js';
import { changeSubject, describeChange, diffSummaryLine } from './diff-text.js';
import type { ChangeLocator } from './diff-location.js';

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderDiffGithub(report: DiffReport, locate: ChangeLocator = () => undefined): string {
  const lines = report.changes.map((c) => {
    const command = c.approved || c.level === 'safe' ? 'notice' : c.level === 'breaking' ? 'error' : 'warning';
    const at = locate(c.planId, c.stepId);
    const props = [
      ...(at ? [`file=${escapeProperty(at.file)}`, `line=${at.line}`] : []),
      `title=${escapeProperty(`o2a diff: ${c.level} ${c.rule}${c.approved ? ' (approved)' : ''}`)}`,
    ].join(',');
    const body = `${changeSubject(c)}: ${describeChange(c)}\n${c.reason}\nfingerprint: ${c.fingerprint}`;
    return `::${command} ${props}::${escapeData(body)}\n`;
  });
  return `${lines.join('')}${diffSummaryLine(report)}\n`;
}
