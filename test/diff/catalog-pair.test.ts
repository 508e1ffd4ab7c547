// The sample plans against the two sample snapshots: 2026.11 renamed ONT_GPON_V1 to ONT_GPON and
// added STATIC_IP_ADDON, so under 2026.10 the plans using them do not compile.
import { describe, it, expect } from 'vitest';
import { runDiff } from '../../cli/commands/diff.js';

const options = { format: 'json', failOn: 'breaking', color: false } as const;

describe('o2a diff --catalog-from 2026.10 --catalog-to 2026.11 plans', () => {
  it('reports the plans that compile only under 2026.11, and why they did not under 2026.10', () => {
    const { report } = runDiff(['plans'], { ...options, catalogFrom: '2026.10', catalogTo: '2026.11' });
    const now = report.changes.filter((c) => c.rule === 'plan-compiles-now');
    const byPlan = new Map(now.map((c) => [c.planId, (c.old as string[]).join('\n')]));
    expect(byPlan.get('StaticIpAddon')).toMatch(/STATIC_IP_ADDON/);
    expect(byPlan.get('HomeFiber1G')).toMatch(/ONT_GPON/);
    expect(report.exitCode).toBe(2);
  });

  it('reports the same plans as no longer compiling when moving back to 2026.10', () => {
    const { report } = runDiff(['plans'], { ...options, catalogFrom: '2026.11', catalogTo: '2026.10' });
    const broken = report.changes.filter((c) => c.rule === 'plan-no-longer-compiles');
    expect(broken.map((c) => c.planId)).toEqual(expect.arrayContaining(['HomeFiber1G', 'StaticIpAddon']));
    for (const c of broken) expect(c.level).toBe('breaking');
    expect(report.exitCode).toBe(3);
  });
});
