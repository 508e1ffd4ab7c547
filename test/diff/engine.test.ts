import { describe, it, expect } from 'vitest';
import { diffPlanSets, diffRules, changeFingerprint, parseApprovals, type PlanChange } from '../../compiler/diff/index.js';
import { bundle, fiberSteps, plan, step } from './plans.js';

const rulesOf = (changes: PlanChange[]) => changes.map((c) => c.rule);

function modify(mutate: (steps: ReturnType<typeof fiberSteps>) => void) {
  const steps = fiberSteps();
  mutate(steps);
  return steps;
}

describe('diffPlanSets', () => {
  it('reports no changes and exit 0 for identical plans', () => {
    const p = plan('Fiber', fiberSteps());
    const report = diffPlanSets({ plans: [p] }, { plans: [p] });
    expect(report.changes).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('declares every rule with a unique id, a level and a purpose', () => {
    const ids = diffRules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of diffRules) {
      expect(r.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(r.purpose.length).toBeGreaterThan(10);
    }
  });

  it('finds a removed step as breaking and exits 3', () => {
    const previous = plan('Fiber', fiberSteps());
    const current = plan('Fiber', modify((s) => {
      s.splice(3, 1);
    }));
    const report = diffPlanSets({ plans: [previous] }, { plans: [current] });
    expect(rulesOf(report.changes)).toEqual(['step-removed']);
    expect(report.changes[0]).toMatchObject({ level: 'breaking', planId: 'Fiber', stepId: 'network', old: 'activation after install', new: null });
    expect(report.exitCode).toBe(3);
  });

  it('matches a renamed step by kind, reference and dependencies, and maps its dependents', () => {
    const current = plan('Fiber', modify((s) => {
      s[1] = { ...s[1]!, id: 'ont_reservation' };
      s[2] = { ...s[2]!, dependsOn: ['ont_reservation'] };
    }), { cancellation: [{ phase: 'after', step: 'ont_reservation', action: 'compensate', requiresApproval: false, message: null }] });
    const prevWithCancel = plan('Fiber', fiberSteps(), { cancellation: [{ phase: 'after', step: 'ont', action: 'compensate', requiresApproval: false, message: null }] });
    const report = diffPlanSets({ plans: [prevWithCancel] }, { plans: [current] });
    expect(report.changes.map((c) => [c.rule, c.stepId, c.old, c.new])).toEqual([['step-renamed', 'ont_reservation', 'ont', 'ont_reservation']]);
  });

  it('does not guess a rename when two steps fit', () => {
    const previous = plan('P', [step('a'), step('b', { ref: { type: 'resource', id: 'X' } })]);
    const current = plan('P', [step('a'), step('c', { ref: { type: 'resource', id: 'X' } }), step('d', { ref: { type: 'resource', id: 'X' } })]);
    const report = diffPlanSets({ plans: [previous] }, { plans: [current] });
    expect(rulesOf(report.changes).sort()).toEqual(['step-added', 'step-added', 'step-removed']);
  });

  it('reports a step added in the middle as safe and the new wait of its dependent as breaking', () => {
    const previous = plan('Fiber', fiberSteps());
    const current = plan('Fiber', modify((s) => {
      s.splice(2, 0, step('router', { dependsOn: ['internet'] }));
      s[3] = { ...s[3]!, dependsOn: ['ont', 'router'] };
    }));
    const report = diffPlanSets({ plans: [previous] }, { plans: [current] });
    expect(report.changes.map((c) => [c.rule, c.level, c.stepId, c.new])).toEqual([
      ['step-added', 'safe', 'router', 'resource_reservation after internet'],
      ['dependency-added', 'breaking', 'install', 'router'],
    ]);
    expect(report.changes[0]!.reason).toContain('install now wait for it');
  });

  it('grades policy changes: shorter timeout dangerous, longer timeout safe, dropped compensation breaking', () => {
    const previous = plan('Fiber', fiberSteps());
    const current = plan('Fiber', modify((s) => {
      s[1] = { ...s[1]!, timeout: { ms: 60_000, on: { action: 'fail' } }, compensation: { kind: 'none' } };
      s[2] = { ...s[2]!, timeout: { ms: 3_600_000, on: { action: 'fail' } }, evidence: ['photo', 'ont_serial'] };
    }));
    const report = diffPlanSets({ plans: [previous] }, { plans: [current] });
    expect(report.changes.map((c) => [c.rule, c.level, c.stepId, c.old, c.new])).toEqual([
      ['timeout-shortened', 'dangerous', 'ont', 600_000, 60_000],
      ['compensation-dropped', 'breaking', 'ont', 'compensate release', 'none'],
      ['timeout-lengthened', 'safe', 'install', 600_000, 3_600_000],
      ['evidence-added', 'safe', 'install', null, 'ont_serial'],
    ]);
    expect(report.summary).toEqual({ breaking: 1, dangerous: 1, safe: 2, approved: 0 });
  });

  it('honours --fail-on: exit 2 when every change is below it', () => {
    const previous = plan('Fiber', fiberSteps());
    const current = plan('Fiber', modify((s) => {
      s[2] = { ...s[2]!, timeout: { ms: 60_000, on: { action: 'fail' } } };
    }));
    expect(diffPlanSets({ plans: [previous] }, { plans: [current] }, { failOn: 'breaking' }).exitCode).toBe(2);
    expect(diffPlanSets({ plans: [previous] }, { plans: [current] }, { failOn: 'dangerous' }).exitCode).toBe(3);
    expect(diffPlanSets({ plans: [previous] }, { plans: [current] }, { failOn: 'safe' }).exitCode).toBe(3);
  });

  it('does not count approved changes towards --fail-on, but still reports them', () => {
    const previous = plan('Fiber', fiberSteps());
    const current = plan('Fiber', fiberSteps().slice(0, 3));
    const first = diffPlanSets({ plans: [previous] }, { plans: [current] });
    const fingerprint = first.changes[0]!.fingerprint;
    const approvals = parseApprovals(JSON.stringify({ approvals: [{ fingerprint, note: 'network moved to its own plan, JIRA-12' }] }));
    expect(approvals.ok).toBe(true);
    const again = diffPlanSets({ plans: [previous] }, { plans: [current] }, { approvals: approvals.ok ? approvals.approvals : new Map() });
    expect(again.changes[0]).toMatchObject({ approved: true, approvalNote: 'network moved to its own plan, JIRA-12' });
    expect(again.exitCode).toBe(2);
    expect(again.summary.approved).toBe(1);
  });

  it('computes the fingerprint from what changed, not from when or where it was found', () => {
    const change = { rule: 'step-removed', planId: 'P', stepId: 's', field: null, old: 'x', new: null };
    expect(changeFingerprint(change)).toBe(changeFingerprint({ ...change }));
    expect(changeFingerprint(change)).not.toBe(changeFingerprint({ ...change, old: 'y' }));
    expect(changeFingerprint(change)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects a malformed approvals file with a message', () => {
    expect(parseApprovals('{')).toMatchObject({ ok: false });
    expect(parseApprovals('{"approvals":[{"fingerprint":"abc","note":"x"}]}')).toMatchObject({ ok: false });
  });

  it('calls a removed plan still named by a bundle breaking, and an unreferenced one dangerous', () => {
    const fiber = plan('Fiber', fiberSteps());
    const mobile = plan('Mobile', [step('sim')]);
    const pack = bundle('Pack', [{ name: 'fiber', planId: 'Fiber', planHash: fiber.hash, optional: false }]);
    const referenced = diffPlanSets({ plans: [fiber, pack] }, { plans: [pack] });
    expect(rulesOf(referenced.changes)).toEqual(['plan-removed-still-referenced']);
    const unreferenced = diffPlanSets({ plans: [fiber, mobile, pack] }, { plans: [fiber, pack] });
    expect(rulesOf(unreferenced.changes)).toEqual(['plan-removed']);
  });

  it('reports a plan that no longer compiles with its errors', () => {
    const fiber = plan('Fiber', fiberSteps());
    const report = diffPlanSets({ plans: [fiber] }, { plans: [], failures: new Map([['Fiber', ['O2A2001 unknown resource ONT_GPON']]]) });
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]).toMatchObject({ rule: 'plan-no-longer-compiles', level: 'breaking', new: ['O2A2001 unknown resource ONT_GPON'] });
    expect(report.changes[0]!.reason).toContain('unknown resource ONT_GPON');
  });
});
