// Quick fixes never damage a file: offered only where the file around parsed and the finding is
// not a consequence of another error (none on a graph with a cycle); applied one by one or all at
// once (as a fix-all does), the result has no more errors and the fixed diagnostic is gone.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { applyEdits, combinedFixEdits } from '../../compiler/diagnostics/offered-fixes.js';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { catalog, repoRoot } from './helpers.js';

const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');
const file = 'plans/home-fiber.o2a';

function diagnosticsOf(text: string): Diagnostic[] {
  const result = compileWorkspace([{ file, text }, { file: 'plans/templates.o2a', text: templates }], catalog(), { emit: false });
  return result.diagnostics.filter((d) => d.file === file);
}

const errorCount = (list: readonly Diagnostic[]) => list.filter((d) => d.severity === 'error').length;
const key = (d: Diagnostic) => `${d.code} ${d.message}`;
const fixable = (list: readonly Diagnostic[]) => list.filter((d) => (d.fixes?.length ?? 0) > 0);

function mutated(from: string, to: string): string {
  if (!homeFiber.includes(from)) throw new Error(`plans/home-fiber.o2a no longer has '${from}'`);
  return homeFiber.replace(from, to);
}

/** Every fix of every diagnostic, then every diagnostic's first fix together: never worse, and the fixed one gone. */
function expectFixesSafe(text: string): void {
  const before = diagnosticsOf(text);
  for (const d of fixable(before)) {
    for (const fix of d.fixes!) {
      const after = diagnosticsOf(applyEdits(text, fix.edits.filter((e) => e.file === file)));
      expect(errorCount(after), `${key(d)}: ${fix.title}`).toBeLessThanOrEqual(errorCount(before));
      expect(after.filter((x) => key(x) === key(d)).length, `${key(d)}: ${fix.title}`).toBeLessThan(before.filter((x) => key(x) === key(d)).length);
    }
  }
  const all = combinedFixEdits(fixable(before).map((d) => d.fixes![0]!)).filter((e) => e.file === file);
  if (all.length > 0) expect(errorCount(diagnosticsOf(applyEdits(text, all)))).toBeLessThanOrEqual(errorCount(before));
}

describe('quick fixes after a mistake that other findings follow from', () => {
  it('a dependency cycle: no fix of a finding computed on the cyclic graph', () => {
    const text = mutated('step internet: service_order_item {', 'step internet: service_order_item after notify {');
    const found = diagnosticsOf(text);
    expect(found.map((d) => d.code)).toContain('O2A3001');
    expect(fixable(found).filter((d) => d.code.startsWith('O2A3') || d.code.startsWith('O2A4'))).toEqual([]);
    // Redundant `after` next to a cycle: reported, without a fix that would remove real dependencies.
    const redundant = mutated('step install: work_order after install_slot {', 'step install: work_order after install_slot, ont {')
      .replace('step internet: service_order_item {', 'step internet: service_order_item after notify {');
    expect(fixable(diagnosticsOf(redundant)).filter((d) => !d.code.startsWith('O2A0'))).toEqual([]);
    expectFixesSafe(redundant);
  });

  it('a misspelt keyword in a billing line: only the keyword is replaced', () => {
    const text = mutated('billing starts on activation, blocks completion', 'billing strats on activation, blocks completion');
    const [only, ...rest] = fixable(diagnosticsOf(text));
    expect(rest).toEqual([]);
    expect(only?.fixes?.map((f) => f.title)).toEqual(["Replace with 'starts'"]);
    expect(applyEdits(text, only!.fixes![0]!.edits)).toBe(homeFiber);
    expectFixesSafe(text);
  });

  it('a missing comma in an `after` list: no fix inserts anything into the list', () => {
    const text = mutated('after ont, router {', 'after ont router {');
    for (const d of fixable(diagnosticsOf(text))) for (const f of d.fixes!) for (const e of f.edits) expect(e.newText).not.toMatch(/compensate|irreversible/);
    expectFixesSafe(text);
  });

  it('a misspelt `compensate`: the fix-all declares it once', () => {
    const text = mutated('compensate cancel_appointment', 'compensat cancel_appointment');
    const fixed = applyEdits(text, combinedFixEdits(fixable(diagnosticsOf(text)).map((d) => d.fixes![0]!)));
    expect(fixed).toBe(homeFiber);
    expectFixesSafe(text);
  });

  it('an unclosed block comment: nothing is inserted inside it', () => {
    const text = mutated('  cancel {', '  /* cancel rules\n  cancel {');
    const found = diagnosticsOf(text);
    expect(found.map((d) => d.code)).toContain('O2A0003');
    expect(fixable(found)).toEqual([]);
  });

  it('a finding in a file without mistakes keeps its fix', () => {
    const text = mutated('resource ONT_GPON', 'resource ONT_GPOM');
    const [d] = fixable(diagnosticsOf(text));
    expect(d?.fixes?.[0]?.title).toBe("Replace with 'ONT_GPON'");
    expect(applyEdits(text, d!.fixes![0]!.edits)).toBe(homeFiber);
  });
});

// The mutations: single realistic mistakes at random places of a real plan.
const words = [...homeFiber.matchAll(/[A-Za-z_][\w-]*|[{}(),:]|"[^"\n]*"/g)].map((m) => ({ at: m.index, text: m[0] }));
const mutation = fc.oneof(
  fc.nat(words.length - 1).map((i) => (t: string) => t.slice(0, words[i]!.at) + t.slice(words[i]!.at + words[i]!.text.length)),
  fc.tuple(fc.nat(words.length - 1), fc.nat(20)).map(([i, k]) => (t: string) => {
    const w = words[i]!;
    if (w.text.length < 3) return t;
    const cut = 1 + (k % (w.text.length - 2));
    return t.slice(0, w.at) + w.text.slice(0, cut) + w.text.slice(cut + 1) + t.slice(w.at + w.text.length);
  }),
  fc.tuple(fc.nat(words.length - 1), fc.constantFrom('}', '{', ',', '/*', ':', 'step', 'after', 'x', '"', ';', '=', '@')).map(([i, ins]) => (t: string) => `${t.slice(0, words[i]!.at)}${ins} ${t.slice(words[i]!.at)}`),
  fc.nat(words.length - 1).map((i) => (t: string) => `${t.slice(0, words[i]!.at)}${words[i]!.text} ${t.slice(words[i]!.at)}`),
);

describe('every offered fix, on mutated plans', () => {
  it('leaves no more errors than before and removes the diagnostic it fixes; so does the fix-all', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 2 }), (edits) => {
      expectFixesSafe(edits.reduce((text, edit) => edit(text), homeFiber));
    }), { numRuns: 150 });
  }, 60_000);
});
