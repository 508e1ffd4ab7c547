// One rule decides whether a plan changed: its compiled hash. A plan whose hash changed is reported
// (by the rules naming what changed, or as no-behaviour-change when it behaves the same); a plan
// whose hash did not change never is.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { diffPlanSets } from '../../compiler/diff/index.js';
import { catalog, repoRoot } from '../compiler/helpers.js';

const read = (f: string) => readFileSync(join(repoRoot, 'plans', f), 'utf8');
const files = ['home-fiber.o2a', 'templates.o2a', 'mobile-postpaid.o2a', 'static-ip.o2a', 'family-pack.o2a', 'enterprise-fiber.o2a', 'fiber-speed-change.o2a'];

function compiled(edit: (file: string, text: string) => string) {
  const result = compileWorkspace(files.map((f) => ({ file: `plans/${f}`, text: edit(f, read(f)) })), catalog());
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.plans;
}

function diff(edit: (file: string, text: string) => string) {
  const before = compiled((_, t) => t);
  const after = compiled(edit);
  const report = diffPlanSets({ plans: before }, { plans: after });
  const changedHashes = after.filter((p) => before.find((b) => b.planId === p.planId)?.hash !== p.hash).map((p) => p.planId).sort();
  const reported = [...new Set(report.changes.map((c) => c.planId))].sort();
  return { report, changedHashes, reported };
}

describe('o2a diff: a plan is reported exactly when its compiled hash changed', () => {
  it('steps written in another order: no-behaviour-change, as a comment-only change', () => {
    const reordered = diff((f, t) => (f === 'home-fiber.o2a'
      ? t.replace('  step ont from CpeReservation after internet { resource ONT_GPON }\n', '').replace('  step install_slot:', '  step ont from CpeReservation after internet { resource ONT_GPON }\n  step install_slot:')
      : t));
    const commented = diff((f, t) => (f === 'home-fiber.o2a' ? t.replace('  step notify:', '  // a comment\n  step notify:') : t));
    for (const { report, changedHashes, reported } of [reordered, commented]) {
      expect(changedHashes).toContain('HomeFiber1G');
      expect(reported).toEqual(changedHashes);
      expect(report.changes.filter((c) => c.planId === 'HomeFiber1G').map((c) => c.rule)).toEqual(['no-behaviour-change']);
    }
  });

  it('an optional bundle item added: the bundle changes; every other plan whose hash changed is reported, and only those', () => {
    const { report, changedHashes, reported } = diff((f, t) => (f === 'family-pack.o2a' ? t.replace('  item tv: OttStreaming optional\n', '  item tv: OttStreaming optional\n  item tv2: OttStreaming optional\n') : t));
    expect(reported).toEqual(changedHashes);
    expect(report.changes.some((c) => c.planId === 'FamilyPack' && c.rule !== 'no-behaviour-change')).toBe(true);
    for (const c of report.changes.filter((x) => x.planId !== 'FamilyPack')) expect(c.rule).toBe('no-behaviour-change');
  });

  it('nothing changed: nothing reported', () => {
    const { report, changedHashes } = diff((_, t) => t);
    expect(changedHashes).toEqual([]);
    expect(report.changes).toEqual([]);
  });
});
