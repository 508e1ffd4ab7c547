// Every sample plan renders in every format; the Home Fiber pictures are kept as snapshots, and
// docs/home-fiber.svg (shown in the README) must be the current rendering.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { renderPlanGraph } from '../../compiler/graph/index.js';
import { readSide } from '../../cli/commands/diff.js';

const samples = readSide('plans', { roots: ['catalogs'] });

describe('pictures of the sample plans', () => {
  it('compiles every sample plan', () => {
    expect([...(samples.failures ?? new Map()).keys()]).toEqual([]);
    expect(samples.plans.length).toBeGreaterThanOrEqual(7);
  });

  for (const plan of samples.plans) {
    it(`renders ${plan.planId} as SVG, mermaid and dot`, () => {
      const svg = renderPlanGraph(plan, 'svg');
      expect(XMLValidator.validate(svg)).toBe(true);
      const ids = plan.kind === 'plan' ? plan.steps.map((s) => s.id) : plan.items.map((i) => `item:${i.name}`);
      for (const id of ids) expect(svg).toContain(`data-id="${id}"`);
      const mermaid = renderPlanGraph(plan, 'mermaid');
      expect(mermaid).toMatch(/^---\ntitle: .*\n---\nflowchart LR\n/);
      const dot = renderPlanGraph(plan, 'dot');
      expect(dot).toMatch(/^digraph "[^"]+" \{\n[\s\S]*rankdir=LR;[\s\S]*\}\n$/);
      if (plan.kind === 'plan') {
        for (const s of plan.steps) for (const d of s.dependsOn) expect(dot).toContain(`"${d}" -> "${s.id}";`);
      }
    });
  }

  it('keeps the Home Fiber pictures stable', async () => {
    const fiber = samples.plans.find((p) => p.planId === 'HomeFiber1G')!;
    await expect(renderPlanGraph(fiber, 'mermaid')).toMatchFileSnapshot('./snapshots/home-fiber.mmd');
    await expect(renderPlanGraph(fiber, 'dot')).toMatchFileSnapshot('./snapshots/home-fiber.dot');
  });

  it('commits the current Home Fiber SVG in docs/ (regenerate: o2a graph plans --plan HomeFiber1G --out docs/home-fiber.svg)', () => {
    const fiber = samples.plans.find((p) => p.planId === 'HomeFiber1G')!;
    expect(readFileSync('docs/home-fiber.svg', 'utf8')).toBe(renderPlanGraph(fiber, 'svg'));
  });
});
