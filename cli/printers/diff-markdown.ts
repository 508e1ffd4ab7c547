// `o2a diff --format markdown`: a pull-request comment. Breaking and dangerous changes in a table
// up front; safe ones folded away.
import type { DiffLevel, DiffReport, PlanChange } from '../../compiler/diff/index.js';
import { describeChange, diffSummaryLine } from './diff-text.js';

const marks: Record<DiffLevel, string> = { breaking: '🛑 breaking', dangerous: '⚠️ dangerous', safe: '✅ safe' };

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function table(changes: readonly PlanChange[]): string[] {
  const rows = ['| Level | Rule | Plan | Step | Change | Why |', '|---|---|---|---|---|---|'];
  for (const c of changes) {
    const level = c.approved ? `${marks[c.level]} (approved: ${c.approvalNote ?? ''})` : marks[c.level];
    rows.push(`| ${cell(level)} | ${code(c.rule)} | ${cell(c.planId)} | ${c.stepId === null ? '' : code(c.stepId)} | ${cell(code(describeChange(c)))} | ${cell(c.reason)} |`);
  }
  return rows;
}

export function renderDiffMarkdown(report: DiffReport): string {
  const out = [`### o2a plan diff`, '', `${cell(report.previous)} → ${cell(report.current)}`, '', `**${diffSummaryLine(report)}** Fails on: ${report.failOn}.`, ''];
  const notable = report.changes.filter((c) => c.level !== 'safe');
  const safe = report.changes.filter((c) => c.level === 'safe');
  if (notable.length > 0) out.push(...table(notable), '');
  if (safe.length > 0) out.push(`<details><summary>${safe.length} safe change${safe.length === 1 ? '' : 's'}</summary>`, '', ...table(safe), '', '</details>', '');
  if (report.changes.some((c) => !c.approved && c.level !== 'safe')) {
    out.push('To accept a known change, add its fingerprint (from `o2a diff --format json`) with a note to `.o2a-approved.json`.', '');
  }
  return `${out.join('\n')}\n`;
}
