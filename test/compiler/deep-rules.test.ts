// Rules of any length and of any nesting up to the limit compile, format and evaluate as written;
// nesting beyond the limit is one O2A0011 where it is passed, and the rest of the file is checked.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { format } from '../../compiler/format/index.js';
import { parse } from '../../compiler/syntax/index.js';
import { maxExpressionNesting } from '../../compiler/syntax/ast.js';
import { evaluate, type Characteristics } from '../../runtime/engine/rules.js';
import { catalog, repoRoot } from './helpers.js';

/** A generated rule: its text, and what it means for an item (the reference the compiled plan must agree with). */
interface Rule {
  text: string;
  holds(item: Characteristics): boolean;
}

const leaves: Rule[] = [
  { text: 'item.routerIncluded', holds: (i) => i['routerIncluded'] === true },
  { text: 'item.installation == "self"', holds: (i) => i['installation'] === 'self' },
  { text: 'item.installation != "technician"', holds: (i) => i['installation'] !== 'technician' },
  { text: 'item.downloadSpeed > 500', holds: (i) => (i['downloadSpeed'] as number) > 500 },
  { text: 'item.installation in ["self"]', holds: (i) => i['installation'] === 'self' },
  { text: 'true', holds: () => true },
];

/** A small deterministic generator, so that a rule of 10,000 operands costs one seed to shrink. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A rule of `size` operands; `depth` is the nesting (parentheses and `not`) around it. `deep`
 * makes nesting likely, so that the limit itself is reached.
 */
function rule(next: () => number, size: number, depth: number, deep: boolean): Rule {
  // `not` applies to what follows up to the next `and`/`or`: a chain needs parentheses first.
  const wrap = (r: Rule, chain = false): Rule => {
    let out = r;
    let grouped = !chain;
    while (depth < maxExpressionNesting && next() < (deep ? 0.6 : 0.1)) {
      depth++;
      const inner = out;
      if (grouped && next() < 0.5) out = { text: `not ${inner.text}`, holds: (i) => !inner.holds(i) };
      else out = { text: `(${inner.text})`, holds: inner.holds };
      grouped = true;
    }
    return out;
  };
  if (size <= 1) return wrap(leaves[Math.floor(next() * leaves.length)]!);
  if (depth >= maxExpressionNesting) {
    // No parentheses left: one flat chain of leaves.
    const parts = Array.from({ length: size }, () => leaves[Math.floor(next() * leaves.length)]!);
    const op = next() < 0.5 ? 'and' : 'or';
    return { text: parts.map((p) => p.text).join(` ${op} `), holds: (i) => (op === 'and' ? parts.every((p) => p.holds(i)) : parts.some((p) => p.holds(i))) };
  }
  // Mostly long flat chains, sometimes a few groups.
  const count = next() < 0.5 ? size : Math.max(2, Math.min(size, 2 + Math.floor(next() * 4)));
  const shares = Array.from({ length: count }, (_, k) => Math.floor(size / count) + (k < size % count ? 1 : 0));
  const op = next() < 0.5 ? 'and' : 'or';
  const parts = shares.map((share) => {
    const part = rule(next, share, depth + 1, deep);
    // An operand that is a chain itself is grouped: `(a or b) and c`.
    return share > 1 ? { text: `(${part.text})`, holds: part.holds } : part;
  });
  const result: Rule = {
    text: parts.map((p) => p.text).join(` ${op} `),
    holds: (i) => (op === 'and' ? parts.every((p) => p.holds(i)) : parts.some((p) => p.holds(i))),
  };
  return wrap(result, true);
}

const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const routerRule = 'skip when item.installation == "self" and not item.routerIncluded';
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');

function withRule(text: string): string {
  if (!homeFiber.includes(routerRule)) throw new Error('plans/home-fiber.o2a no longer has the router rule');
  return homeFiber.replace(routerRule, `skip when ${text}`);
}

function compile(text: string) {
  return compileWorkspace([{ file: 'plans/home-fiber.o2a', text }, { file: 'plans/templates.o2a', text: templates }], catalog());
}

const items: Characteristics[] = [];
for (const installation of ['self', 'technician']) {
  for (const routerIncluded of [true, false]) for (const downloadSpeed of [100, 1000]) items.push({ installation, routerIncluded, downloadSpeed });
}

function routerCondition(result: ReturnType<typeof compile>) {
  const plan = result.plans.find((p) => p.planId === 'HomeFiber1G');
  if (plan?.kind !== 'plan') return { plan: undefined, condition: undefined };
  return { plan, condition: plan.steps.find((s) => s.id === 'router')?.condition ?? undefined };
}

function checkRule(r: Rule): void {
  const text = withRule(r.text);
  const result = compile(text);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const { plan, condition } = routerCondition(result);
  expect(condition?.mode).toBe('skip');
  for (const item of items) expect(evaluate(condition!.expr, item) === true).toBe(r.holds(item));

  const formatted = format(text, 'plans/home-fiber.o2a');
  expect(formatted.laidOut).toBe(true);
  expect(formatted.text).toContain(`skip when ${r.text}`);
  expect(format(formatted.text, 'plans/home-fiber.o2a').text).toBe(formatted.text);
  expect(compile(formatted.text).plans.find((p) => p.planId === 'HomeFiber1G')?.hash).toBe(plan!.hash);
}

describe(`rules of any length, nested up to ${maxExpressionNesting} deep`, () => {
  it('compile clean, evaluate as written and format as written (small and medium rules)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 400 }), fc.boolean(), (seed, size, deep) => checkRule(rule(random(seed), size, 0, deep))),
      { numRuns: 40 },
    );
  });

  it('compile clean with chains of up to 10,000 operands', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 2000, max: 10_000 }), (seed, size) => checkRule(rule(random(seed), size, 0, false))),
      { numRuns: 2 },
    );
  }, 60_000);

  it('a flat chain of 10,000 `and` and one of 10,000 `or`', () => {
    const parts = Array.from({ length: 10_000 }, (_, k) => leaves[k % 2 === 0 ? 0 : 4]!);
    checkRule({ text: parts.map((p) => p.text).join(' and '), holds: (i) => parts.every((p) => p.holds(i)) });
    const or = compile(withRule(parts.map((p) => p.text).join(' or ')));
    expect(or.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const condition = routerCondition(or).condition?.expr;
    expect(condition?.op === 'or' ? condition.args.length : 0).toBe(10_000);
  }, 60_000);

  it('reaches the limit exactly without a diagnostic', () => {
    const n = maxExpressionNesting;
    checkRule({ text: `${'('.repeat(n)}item.routerIncluded${')'.repeat(n)}`, holds: (i) => i['routerIncluded'] === true });
    checkRule({ text: `${'not '.repeat(n)}item.routerIncluded`, holds: (i) => (i['routerIncluded'] === true) === (n % 2 === 0) });
    checkRule({ text: `${'not ('.repeat(n / 2)}item.routerIncluded${')'.repeat(n / 2)}`, holds: (i) => (i['routerIncluded'] === true) === (n % 4 === 0) });
  });
});

describe('nesting beyond the limit', () => {
  const later = '  step extra: verificaton after network\n';
  const cases: [string, string, (text: string) => number][] = [
    ['parentheses 300 deep', `${'('.repeat(300)}item.routerIncluded${')'.repeat(300)}`, (t) => t.indexOf('(') + maxExpressionNesting],
    ['parentheses 3,000 deep, never closed', '('.repeat(3000), (t) => t.indexOf('(') + maxExpressionNesting],
    ['3,000 nots', `${'not '.repeat(3000)}item.routerIncluded`, (t) => t.indexOf('not ') + 4 * maxExpressionNesting],
    ['nots and parentheses mixed', `${'not ('.repeat(200)}true${')'.repeat(200)}`, (t) => t.indexOf('not (') + 5 * (maxExpressionNesting / 2)],
  ];
  for (const [name, ruleText, at] of cases) {
    it(`${name}: one O2A0011 where the limit is passed, and later mistakes still reported`, () => {
      const text = withRule(ruleText).replace('  completion all\n', `${later}  completion all\n`);
      const result = compile(text);
      const deep = result.diagnostics.filter((d) => d.code === 'O2A0011');
      expect(deep).toHaveLength(1);
      expect(deep[0]!.range.start.offset).toBe(at(text));
      expect(deep[0]!.file).toBe('plans/home-fiber.o2a');
      // The misspelt step kind after the rule is still found, with its did-you-mean.
      const kind = result.diagnostics.find((d) => d.code === 'O2A2012');
      expect(kind?.help).toContain('verification');
      // An unclosed group also misses its `)`: once, not once per parenthesis.
      expect(result.diagnostics.filter((d) => d.code === 'O2A0004')).toHaveLength(ruleText.endsWith('(') ? 1 : 0);
      expect(format(text, 'a.o2a').laidOut).toBe(false);
    });
  }

  it('the parse of a file nested far beyond the limit does not throw', () => {
    for (const depth of [1000, 20_000]) {
      const parsed = parse(`catalog telco-core 2026.11\nplan P for offering HOME_FIBER_1G {\n  step a: activation { skip when ${'('.repeat(depth)}true${')'.repeat(depth)} }\n}\n`, 'a.o2a');
      expect(parsed.diagnostics.map((d) => d.code)).toEqual(['O2A0011']);
    }
  });
});
