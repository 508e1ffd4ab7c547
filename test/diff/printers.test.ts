import { describe, it, expect } from 'vitest';
import { diffPlanSets } from '../../compiler/diff/index.js';
import { renderDiffText } from '../../cli/printers/diff-text.js';
import { renderDiffMarkdown } from '../../cli/printers/diff-markdown.js';
import { renderDiffGithub } from '../../cli/printers/diff-github.js';
import { renderDiffSarif } from '../../cli/printers/diff-sarif.js';
import { locatorFromSources } from '../../cli/printers/diff-location.js';
import { fiberSteps, plan, step } from './plans.js';

function sampleReport() {
  const previous = plan('Fiber', fiberSteps(), { statusMapping: [{ step: 'install', state: 'running', text: 'Installing' }] });
  const steps = fiberSteps();
  steps[1] = { ...steps[1]!, timeout: { ms: 60_000, on: { action: 'fail' } } };
  steps.splice(3, 1);
  steps.push(step('notify', { kind: 'notification', dependsOn: ['install'], compensation: { kind: 'none' }, ref: null }));
  const current = plan('Fiber', steps, { statusMapping: [{ step: 'install', state: 'running', text: 'Technician | on the way' }] });
  return diffPlanSets({ plans: [previous] }, { plans: [current] }, { previousLabel: 'plans at main', currentLabel: 'plans (working tree)' });
}

describe('diff printers', () => {
  it('prints Terraform-like text with a level, rule and reason per change and a summary line', () => {
    const text = renderDiffText(sampleReport());
    expect(text).toBe(
      [
        'Comparing plans at main -> plans (working tree)',
        '',
        '~ plan Fiber',
        '  ~ step ont',
        '      ~ timeout.ms: 10m -> 1m  [dangerous timeout-shortened]',
        '          work that took up to 10m now times out after 1m',
        '  + step notify: notification after install  [safe step-added]',
        '      no saga has reached it; nothing depends on it',
        '  - step network: activation after install  [breaking step-removed]',
        '      a saga in flight may be running network or need to compensate it',
        '  ~ status install running: "Installing" -> "Technician | on the way"  [dangerous status-text-changed]',
        '      customers, agents and self-care see other words for the same progress',
        '',
        'Plan diff: 1 breaking, 2 dangerous, 1 safe.',
        '',
      ].join('\n'),
    );
  });

  it('prints "no changes" when there are none', () => {
    const p = plan('Fiber', fiberSteps());
    expect(renderDiffText(diffPlanSets({ plans: [p] }, { plans: [p] }))).toContain('Plan diff: no changes.');
  });

  it('prints a markdown table for a pull request, escaping pipes and folding safe changes', () => {
    const md = renderDiffMarkdown(sampleReport());
    expect(md).toContain('| Level | Rule | Plan | Step | Change | Why |');
    expect(md).toContain('| 🛑 breaking | `step-removed` | Fiber | `network` |');
    expect(md).toContain('Technician \\| on the way');
    expect(md).toMatch(/<details><summary>1 safe change<\/summary>[\s\S]*step-added/);
  });

  it('prints GitHub annotations on the step line, with the level as error/warning/notice', () => {
    const source = 'catalog telco-core 2026.11\nplan Fiber for offering FIBER {\n  step internet: service_order_item\n  step ont: resource_reservation after internet\n}\n';
    const out = renderDiffGithub(sampleReport(), locatorFromSources(new Map([['plans/fiber.o2a', source]])));
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^::warning file=plans\/fiber\.o2a,line=4,title=o2a diff%3A dangerous timeout-shortened::Fiber step ont: ~ timeout\.ms: 10m -> 1m%0A/);
    expect(lines.find((l) => l.includes('step-removed'))).toMatch(/^::error file=plans\/fiber\.o2a,line=2,/);
    expect(lines.find((l) => l.includes('step-added'))).toMatch(/^::notice /);
    expect(lines.at(-1)).toBe('Plan diff: 1 breaking, 2 dangerous, 1 safe.');
  });

  it('prints SARIF with the rules seen and the fingerprint of each result', () => {
    const report = sampleReport();
    const sarif = JSON.parse(renderDiffSarif(report, '0.1.0')) as { runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; level: string; partialFingerprints: { o2aChange: string } }[] }[] };
    const run = sarif.runs[0]!;
    expect(run.tool.driver.rules.map((r) => r.id)).toEqual(['status-text-changed', 'step-added', 'step-removed', 'timeout-shortened']);
    expect(run.results.map((r) => [r.ruleId, r.level])).toContainEqual(['step-removed', 'error']);
    expect(run.results.map((r) => r.partialFingerprints.o2aChange)).toEqual(report.changes.map((c) => c.fingerprint));
  });
});
