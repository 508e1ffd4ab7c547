// One mistake, one error (issue #13). A step whose kind or template is unknown feeds no check that
// depends on its kind; checks that need the step order do not run on a plan with a cycle, and
// those that conclude from a missing path not while an `after` names an unknown step.
//
// Fixtures: test/fixtures/cascades/<case>.o2a, each a single mistake, with the rendered
// diagnostics in <case>.expected.txt beside it (UPDATE_BASELINES=1 re-blesses them); each must
// give exactly one error. The property test: a generated valid workspace (sample plans and
// generated ones) and one random realistic mistake (test/compiler/mutations.ts) give exactly one
// error, of the mistake's code, and no new warning.
// (Long names and deep nesting are the compiler-hardening issue's cases, tested there.)
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { renderText } from '../../cli/printers/text.js';
import { generatedPlan, generatedTemplates } from '../../bench/compiler/generate.js';
import { catalog, repoRoot } from './helpers.js';
import { applyMutation, mutations, siteCount, wordsOf, type Source } from './mutations.js';

const dir = join(repoRoot, 'test', 'fixtures', 'cascades');
const update = process.env.UPDATE_BASELINES === '1';

/** The one error each fixture should give. */
const expectedCode: Record<string, string> = {
  'dependency-cycle': 'O2A3001',
  'misspelt-dependency': 'O2A2020',
  'misspelt-step-kind': 'O2A2012',
  'misspelt-target': 'O2A2016',
  'template-compensation': 'O2A4002',
  'unknown-template': 'O2A2021',
};

describe('cascade fixtures: one mistake, one error', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.o2a')).sort();
  it('has the expected code of every fixture', () => {
    expect(cases.map((c) => c.replace(/\.o2a$/, ''))).toEqual(Object.keys(expectedCode).sort());
  });
  for (const file of cases) {
    it(file, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const result = compileWorkspace([{ file, text }], catalog());
      const rendered = renderText(result.diagnostics, new Map([[file, text]]));
      const expectedFile = join(dir, file.replace(/\.o2a$/, '.expected.txt'));
      if (update || !existsSync(expectedFile)) writeFileSync(expectedFile, rendered);
      expect(rendered).toBe(readFileSync(expectedFile, 'utf8'));
      expect(result.diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual([`error ${expectedCode[file.replace(/\.o2a$/, '')]}`]);
    });
  }

  it('the same plan without its mistake is clean', () => {
    const text = readFileSync(join(dir, 'misspelt-step-kind.o2a'), 'utf8').replace('verificaton after', 'verification after');
    expect(compileWorkspace([{ file: 'clean.o2a', text }], catalog()).diagnostics).toEqual([]);
  });
});

const samples: Source[] = readdirSync(join(repoRoot, 'plans')).filter((f) => f.endsWith('.o2a')).sort()
  .map((f) => ({ file: f, text: readFileSync(join(repoRoot, 'plans', f), 'utf8') }));

/**
 * Known exceptions, each a second error that is right: a mistake in a plan that a bundle names
 * also blocks the bundle, O2A5004 at its item (a second place the author must look at).
 */
const consequences = new Set(['O2A5004']);

/** Codes a mutation may give: a misspelt catalog id is reported in its section's code. */
function codeMatches(mutationCode: string, code: string): boolean {
  if (mutationCode === 'O2A201x') return /^O2A201[3-7]$/.test(code);
  return code === mutationCode;
}

const workspaceArb = fc.record({
  // Sample plans (FamilyPack needs the plans it bundles), templates always.
  sampleMask: fc.array(fc.boolean(), { minLength: samples.length, maxLength: samples.length }),
  generated: fc.array(fc.integer({ min: 12, max: 30 }), { maxLength: 2 }),
});

function buildWorkspace(spec: { sampleMask: boolean[]; generated: number[] }): Source[] {
  const chosen = new Set(samples.filter((s, i) => spec.sampleMask[i] || s.file === 'templates.o2a').map((s) => s.file));
  if (chosen.has('family-pack.o2a')) for (const f of ['home-fiber.o2a', 'mobile-postpaid.o2a']) chosen.add(f);
  // Every template of templates.o2a used by some plan: a template is checked through the steps
  // that use it, so a mistake in one no step uses gives no error.
  for (const f of ['home-fiber.o2a', 'mobile-postpaid.o2a']) chosen.add(f);
  const out = samples.filter((s) => chosen.has(s.file));
  if (spec.generated.length > 0) out.push({ file: 'generated/templates.o2a', text: generatedTemplates() });
  spec.generated.forEach((steps, i) => out.push({ file: `generated/plan-${i}.o2a`, text: generatedPlan(i, steps) }));
  return out;
}

describe('property: a valid workspace with one realistic mistake gives exactly one error', () => {
  it('every mistake of the list, anywhere it can be made', () => {
    fc.assert(fc.property(workspaceArb, fc.nat(mutations.length - 1), fc.nat(), fc.nat(), (spec, m, fileIndex, site) => {
      const sources = buildWorkspace(spec);
      const base = compileWorkspace(sources, catalog());
      expect(base.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const mutation = mutations[m]!;
      const words = wordsOf(sources);
      const candidates = sources.map((s, i) => [s, i] as const).filter(([s]) => siteCount(mutation, s.text, words) > 0);
      fc.pre(candidates.length > 0);
      const [target, index] = candidates[fileIndex % candidates.length]!;
      const text = applyMutation(mutation, target.text, words, site)!;
      const mutated = sources.map((s, i) => (i === index ? { file: s.file, text } : s));
      const result = compileWorkspace(mutated, catalog());
      const errors = result.diagnostics.filter((d) => d.severity === 'error' && !consequences.has(d.code));
      const context = `${mutation.name} in ${target.file}: ${result.diagnostics.map((d) => `${d.code} ${d.message}`).join(' | ')}`;
      expect(errors.length, context).toBe(1);
      expect(codeMatches(mutation.code, errors[0]!.code), context).toBe(true);
      const warnings = (r: typeof result) => r.diagnostics.filter((d) => d.severity !== 'error').length;
      expect(warnings(result), context).toBeLessThanOrEqual(warnings(base));
    }), { numRuns: 150 });
  }, 120_000);

  it('each mistake applies somewhere in the sample workspace (the list is not dead)', () => {
    const words = wordsOf(samples);
    for (const mutation of mutations) {
      expect(samples.some((s) => siteCount(mutation, s.text, words) > 0), mutation.name).toBe(true);
    }
  });
});
