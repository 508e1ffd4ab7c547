// One fixture pair per diff rule: test/fixtures/diff/<rule>/{previous,current}/ (.o2a sources, or
// compiled plan .json where sources cannot express the change) and expected.json with every
// change the pair must produce. O2A_UPDATE_FIXTURES=1 rewrites expected.json after a deliberate change.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffPlanSets, diffRules } from '../../compiler/diff/index.js';
import { readSide } from '../../cli/commands/diff.js';

const root = 'test/fixtures/diff';
const update = process.env.O2A_UPDATE_FIXTURES === '1';

interface Expected {
  /** Catalog snapshot per side, when not the one each file is pinned to. */
  catalogs?: { previous?: string; current?: string };
  exitCode: number;
  changes: { rule: string; level: string; planId: string; stepId: string | null; field: string | null; old: unknown; new: unknown }[];
}

const fixtures = readdirSync(root).filter((d) => existsSync(join(root, d, 'previous'))).sort();

describe('diff rule fixtures', () => {
  it('has a fixture for every rule id, and no fixture without a rule', () => {
    expect(fixtures).toEqual(diffRules.map((r) => r.id).sort());
  });

  for (const rule of fixtures) {
    it(rule, () => {
      const dir = join(root, rule);
      const expectedFile = join(dir, 'expected.json');
      const expected: Expected | undefined = existsSync(expectedFile) ? (JSON.parse(readFileSync(expectedFile, 'utf8')) as Expected) : undefined;
      const previous = readSide(join(dir, 'previous'), { snapshot: expected?.catalogs?.previous, roots: ['catalogs'] });
      const current = readSide(join(dir, 'current'), { snapshot: expected?.catalogs?.current, roots: ['catalogs'] });
      // A fixture that fails to compile by accident would pass for the wrong reason.
      if (rule !== 'plan-compiles-now') expect([...(previous.failures ?? new Map()).entries()]).toEqual([]);
      if (rule !== 'plan-no-longer-compiles') expect([...(current.failures ?? new Map()).entries()]).toEqual([]);
      const report = diffPlanSets(previous, current);
      const actual = {
        ...(expected?.catalogs ? { catalogs: expected.catalogs } : {}),
        exitCode: report.exitCode,
        changes: report.changes.map(({ rule: r, level, planId, stepId, field, old, new: now }) => ({ rule: r, level, planId, stepId, field, old, new: now })),
      };
      if (update) writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
      expect(actual.changes.map((c) => c.rule)).toContain(rule);
      expect(expected, `no ${expectedFile}: run with O2A_UPDATE_FIXTURES=1 and review it`).toBeDefined();
      if (!update) expect(actual).toEqual(expected);
    });
  }
});
