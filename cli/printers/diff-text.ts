// `o2a diff` as Terraform-like text: one block per plan (`+` added, `-` removed, `~` changed,
// `!` no longer compiles), steps inside it, `field: old -> new` per change with its level, rule
// and reason, and a closing summary line.
import { formatDuration, type DiffLevel, type DiffReport, type PlanChange } from '../../compiler/diff/index.js';

export interface DiffTextOptions {
  color?: boolean;
}

const ansi = { red: '\x1b[31m', yellow: '\x1b[33m', green: '\x1b[32m', dim: '\x1b[2m', bold: '\x1b[1m', reset: '\x1b[0m' };
const levelColor: Record<DiffLevel, keyof typeof ansi> = { breaking: 'red', dangerous: 'yellow', safe: 'green' };

type Json = PlanChange['old'];

/** A value as the text output shows it: durations for millisecond fields, lists joined. */
export function formatValue(field: string | null, value: Json): string {
  if (value === null) return '(none)';
  if (typeof value === 'number' && field !== null && /(^|\.)ms$|Ms$/.test(field)) return formatDuration(value);
  if (Array.isArray(value)) return value.map((v) => formatValue(field, v)).join('; ');
  if (typeof value === 'string') return field !== null && field.startsWith('status ') ? JSON.stringify(value) : value;
  return JSON.stringify(value);
}

/** `timeout.ms: 3d -> 1h`, `+ evidence: photo`, `- dependsOn: ont`: the change in one phrase. */
export function describeChange(change: PlanChange): string {
  const field = change.field ?? (change.stepId !== null ? 'step' : 'plan');
  if (change.old === null && change.new === null) return `~ ${field}`;
  if (change.old === null) return `+ ${field}: ${formatValue(change.field, change.new)}`;
  if (change.new === null) return `- ${field}: ${formatValue(change.field, change.old)}`;
  return `~ ${field}: ${formatValue(change.field, change.old)} -> ${formatValue(change.field, change.new)}`;
}

/** Where a change sits, for one-line outputs: `HomeFiber1G step ont`. */
export function changeSubject(change: PlanChange): string {
  return change.stepId === null ? change.planId : `${change.planId} step ${change.stepId}`;
}

const planSymbols: Record<string, string> = {
  'plan-added': '+',
  'plan-compiles-now': '+',
  'plan-removed': '-',
  'plan-removed-still-referenced': '-',
  'plan-no-longer-compiles': '!',
};

export function diffSummaryLine(report: DiffReport): string {
  const { breaking, dangerous, safe, approved } = report.summary;
  if (report.changes.length === 0) return 'Plan diff: no changes.';
  return `Plan diff: ${breaking} breaking, ${dangerous} dangerous, ${safe} safe${approved > 0 ? ` (${approved} approved)` : ''}.`;
}

export function renderDiffText(report: DiffReport, options: DiffTextOptions = {}): string {
  const paint = (code: keyof typeof ansi, text: string) => (options.color ? `${ansi[code]}${text}${ansi.reset}` : text);
  const out: string[] = [`Comparing ${report.previous} -> ${report.current}`, ''];
  const byPlan = new Map<string, PlanChange[]>();
  for (const c of report.changes) byPlan.set(c.planId, [...(byPlan.get(c.planId) ?? []), c]);

  const changeLines = (c: PlanChange, indent: string, text: string) => {
    const tag = paint(levelColor[c.level], `[${c.level} ${c.rule}]`);
    const approved = c.approved ? paint('dim', ` (approved: ${c.approvalNote ?? ''})`) : '';
    out.push(`${indent}${text}  ${tag}${approved}`);
    out.push(`${indent}    ${paint('dim', c.reason)}`);
  };

  for (const [planId, changes] of byPlan) {
    const planLevel = changes.find((c) => planSymbols[c.rule] !== undefined);
    const symbol = planLevel ? planSymbols[planLevel.rule]! : '~';
    const header = paint('bold', `${symbol} plan ${planId}`);
    if (planLevel) {
      changeLines(planLevel, '', `${header}: ${planLevel.rule === 'plan-no-longer-compiles' ? 'no longer compiles' : planLevel.rule === 'plan-compiles-now' ? 'compiles now' : formatValue(null, planLevel.new ?? planLevel.old)}`);
      const errors = planLevel.rule === 'plan-no-longer-compiles' ? planLevel.new : planLevel.rule === 'plan-compiles-now' ? planLevel.old : null;
      if (Array.isArray(errors)) for (const e of errors) out.push(`      ${formatValue(null, e)}`);
    } else {
      out.push(header);
    }
    const steps = new Map<string, PlanChange[]>();
    for (const c of changes) {
      if (c === planLevel) continue;
      if (c.stepId === null) {
        flushSteps(steps, out, changeLines);
        changeLines(c, '  ', describeChange(c));
      } else {
        steps.set(c.stepId, [...(steps.get(c.stepId) ?? []), c]);
      }
    }
    flushSteps(steps, out, changeLines);
    out.push('');
  }
  out.push(diffSummaryLine(report));
  return `${out.join('\n')}\n`;
}

function flushSteps(steps: Map<string, PlanChange[]>, out: string[], changeLines: (c: PlanChange, indent: string, text: string) => void): void {
  for (const [stepId, changes] of steps) {
    const added = changes.find((c) => c.rule === 'step-added');
    const removed = changes.find((c) => c.rule === 'step-removed');
    const renamed = changes.find((c) => c.rule === 'step-renamed');
    if (added) {
      changeLines(added, '  ', `+ step ${stepId}: ${formatValue(null, added.new)}`);
    } else if (removed) {
      changeLines(removed, '  ', `- step ${stepId}: ${formatValue(null, removed.old)}`);
    } else {
      out.push(`  ~ step ${stepId}${renamed ? ` (was ${formatValue(null, renamed.old)})` : ''}`);
    }
    for (const c of changes) {
      if (c === added || c === removed) continue;
      changeLines(c, '      ', describeChange(c));
    }
  }
  steps.clear();
}
