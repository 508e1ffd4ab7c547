// Typing a new step character by character (issue #13): most keystrokes leave the text not
// parsing, and each must still be re-parsed incrementally (the members around the edit,
// compiler/syntax/reparse-gap.ts), never the whole file, and give exactly the whole-file parse.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parse, reparse, reparseCounts, type ParseResult } from '../../compiler/syntax/index.js';
import { compileWorkspace } from '../../compiler/index.js';
import { planCheckCounts, stepCheckCounts } from '../../compiler/check/index.js';
import { reparseGap } from '../../compiler/syntax/reparse-gap.js';
import { planBindCounts } from '../../compiler/resolve/index.js';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { benchTemplates, generatedLargePlan } from '../../bench/lsp/generate.js';
import { Workspace } from '../../lsp/workspace.js';
import { makeWorkspace } from './harness.js';
import { summary } from './compile-summary.js';

function expectSameParse(got: ParseResult, want: ParseResult, text: string): void {
  expect(got.document, text).toEqual(want.document);
  expect(got.diagnostics, text).toEqual(want.diagnostics);
  expect(got.tokens, text).toEqual(want.tokens);
}

const newSteps = [
  '  step extra: resource_reservation after res_3 { resource ONT_GPON  compensate release }\n',
  '  /// A new step, documented.\n  step extra from BenchReservation after res_2 {\n    resource VLAN_ID\n    timeout 5m\n  }\n',
  '  step check: verification after res_1\n',
  '  step bad: resouce_reservation after nowhere { resource NOPE  timeout 5 }\n',
];

/** Types `insert` at `at` one character at a time, checking every keystroke; returns how many took the whole-file path. */
function type(text: string, at: number, insert: string): number {
  let previous = parse(text, 'plans/large.o2a');
  const before = reparseCounts.whole;
  for (let i = 1; i <= insert.length; i++) {
    const next = text.slice(0, at) + insert.slice(0, i) + text.slice(at);
    const got = reparse(previous, next, 'plans/large.o2a');
    expectSameParse(got, parse(next, 'plans/large.o2a'), next);
    previous = got;
  }
  return reparseCounts.whole - before;
}

describe('typing a new step', () => {
  const text = generatedLargePlan(200);
  /** Line starts of the plan's member lines (a step's first line or a blank line between members). */
  const memberStarts = [...text.matchAll(/\n(?= {2}(step|\/\/\/) )/g)].map((m) => m.index + 1);

  it('between two steps, character by character: every keystroke incremental, each the whole-file parse', () => {
    for (const [k, step] of newSteps.entries()) {
      expect(type(text, memberStarts[5 + 7 * k]!, step), step).toBe(0);
    }
  });

  it('anywhere between members, any of the steps, with deletions on the way: the whole-file parse every time', () => {
    fc.assert(fc.property(fc.nat(memberStarts.length - 2), fc.constantFrom(...newSteps), fc.array(fc.nat(60), { maxLength: 3 }), (m, step, backspaces) => {
      const at = memberStarts[m]!;
      let previous = parse(text, 'plans/large.o2a');
      let typed = '';
      let cursor = 0;
      const keys: string[] = [];
      for (const c of step) keys.push(c);
      for (const b of backspaces) keys.splice(Math.min(b, keys.length), 0, '\b');
      for (const key of keys) {
        if (key === '\b') typed = typed.slice(0, -1);
        else typed += key;
        cursor++;
        const next = text.slice(0, at) + typed + text.slice(at);
        const got = reparse(previous, next, 'plans/large.o2a');
        expectSameParse(got, parse(next, 'plans/large.o2a'), next);
        previous = got;
      }
      return cursor > 0;
    }), { numRuns: 40 });
  }, 120_000);

  it('re-parses a few lines per keystroke, also while the new step\'s `{` is open', () => {
    // The benchmark's step, typed in a larger plan: the text parsed again stays the members
    // around the edit (it grew by a member a keystroke while the block was open).
    const big = generatedLargePlan(1000);
    const at = [...big.matchAll(/\n(?= {2}\/\/\/ )/g)].map((m) => m.index + 1)[100]!;
    const step = '  step extra: resource_reservation after res_10 { resource ONT_GPON  timeout 5m  compensate release }\n';
    let previous = parse(big, 'plans/large.o2a');
    let largest = 0;
    for (let i = 1; i <= step.length; i++) {
      const next = big.slice(0, at) + step.slice(0, i) + big.slice(at);
      const got = reparseGap(previous, next, 'plans/large.o2a', (text, file) => {
        largest = Math.max(largest, text.length);
        return parse(text, file);
      });
      expect(got, next).toBeDefined();
      expectSameParse(got!, parse(next, 'plans/large.o2a'), next);
      previous = got!;
    }
    expect(largest).toBeLessThan(1000);
  });
});

describe('typing in a unit of several plan files', () => {
  // The repository's sample plans (a bundle among them), the benchmark's generated plan and its template.
  // A second plan after the one typed in, in the same file: it moves with every keystroke, and a
  // check's fix for its step with an empty body is placed from the text (before the step's `}`).
  const large = `${generatedLargePlan(150)}
plan Second for offering HOME_FIBER_1G {
  billing starts on activation, blocks completion
  step internet: service_order_item { service INTERNET_ACCESS_CFS }
  step commit: inventory_commit after internet { }
}
`;
  const root = makeWorkspace({ samplePlans: true, files: { 'plans/bench-templates.o2a': benchTemplates, 'plans/large.o2a': large } });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const catalog = loadCatalog(join(root, 'catalogs', '2026.11')).catalog;

  /** Types the keys into the open document at `at` (a backspace is '\b'), comparing every keystroke's analysis with a full compile. */
  function typeAndCompare(ws: Workspace, doc: TextDocument, at: number, keys: string[]): TextDocument {
    const file = ws.openDocument(doc);
    let cursor = at;
    for (const key of keys) {
      const start = doc.positionAt(key === '\b' ? Math.max(at, cursor - 1) : cursor);
      const end = doc.positionAt(cursor);
      doc = TextDocument.update(doc, [{ range: { start, end }, text: key === '\b' ? '' : key }], doc.version + 1);
      cursor = key === '\b' ? Math.max(at, cursor - 1) : cursor + 1;
      ws.openDocument(doc);
      const got = ws.analyse(file);
      // Fresh parses, no reuse: what `o2a check plans` computes (bar lowering, as the server).
      const full = compileWorkspace(got.sources.map((x) => ({ file: x.file, text: x.text })), catalog, { catalogDiagnostics: got.catalogDiagnostics, emit: false, verifySyntaxFixes: false });
      expect(summary(got.compilation), doc.getText()).toEqual(summary(full));
    }
    return doc;
  }

  const steps = [
    '  step extra: resource_reservation after res_10 { resource ONT_GPON  timeout 5m  compensate release }\n',
    '  step res_7: verification after res_3\n',
    '  step check: verification after nowhere, res_2, res_2\n',
  ];

  it('publishes what a full compile gives at every keystroke, and checks the plans of the other files once', () => {
    let run = 0;
    fc.assert(fc.property(fc.nat(), fc.constantFrom(...steps), fc.array(fc.nat(80), { maxLength: 3 }), (m, step, backspaces) => {
      const ws = new Workspace(root);
      const text = large;
      const memberStarts = [...text.slice(0, text.indexOf('plan Second')).matchAll(/\n(?= {2}(step|\/\/\/) )/g)].map((x) => x.index + 1);
      const doc = TextDocument.create(pathToFileURL(join(root, 'plans', 'large.o2a')).href, 'o2a', ++run, text);
      ws.analyse(ws.openDocument(doc));
      const keys = [...step];
      for (const b of backspaces) keys.splice(Math.min(b, keys.length), 0, '\b');
      const before = { ...planCheckCounts };
      typeAndCompare(ws, doc, memberStarts[m % memberStarts.length]!, keys);
      // Each keystroke checks the two plans of the file typed in; the sample plans' checks are reused.
      expect(planCheckCounts.checked - before.checked).toBeLessThanOrEqual(2 * keys.length);
      expect(planCheckCounts.reused - before.reused).toBeGreaterThanOrEqual(keys.length * 6);
    }), { numRuns: 5 });
  }, 120_000);

  it('deleting a step that another names in `after`, a character at a time from its end: as a full compile', () => {
    const ws = new Workspace(root);
    let doc = TextDocument.create(pathToFileURL(join(root, 'plans', 'large.o2a')).href, 'o2a', 1, large);
    const file = ws.openDocument(doc);
    ws.analyse(file);
    // res_5 (named by res_9's `after`), with its doc comment.
    const from = large.indexOf('  /// Reservation 5.');
    const to = large.indexOf('  /// Reservation 6.');
    for (let end = to; end > from; end--) {
      const start = doc.positionAt(end - 1);
      doc = TextDocument.update(doc, [{ range: { start, end: doc.positionAt(end) }, text: '' }], doc.version + 1);
      ws.openDocument(doc);
      const got = ws.analyse(file);
      const full = compileWorkspace(got.sources.map((x) => ({ file: x.file, text: x.text })), catalog, { catalogDiagnostics: got.catalogDiagnostics, emit: false, verifySyntaxFixes: false });
      expect(summary(got.compilation), doc.getText()).toEqual(summary(full));
    }
    expect(doc.getText()).toBe(large.slice(0, from) + large.slice(to));
    const errors = ws.analyse(file).diagnostics.filter((d) => d.file === 'plans/large.o2a' && d.severity === 'error');
    expect(errors.map((d) => d.message)).toContain("plan BenchLarge has no step 'res_5'");
  });

  it('binds and checks again only the steps an edit changed: the other steps keep their binding and findings', () => {
    const ws = new Workspace(root);
    const doc = TextDocument.create(pathToFileURL(join(root, 'plans', 'large.o2a')).href, 'o2a', 1, large);
    ws.analyse(ws.openDocument(doc));
    const at = [...large.matchAll(/\n(?= {2}\/\/\/ )/g)].map((m) => m.index + 1)[12]!;
    const keys = [...steps[0]!];
    const before = { ...stepCheckCounts };
    const binds = { ...planBindCounts };
    typeAndCompare(ws, doc, at, keys);
    // A step added, then renamed at each letter of its name: never the whole plan bound again
    // (the plans of the other files are bound from their last run too).
    expect(planBindCounts.whole - binds.whole).toBe(0);
    expect(planBindCounts.again - binds.again).toBeGreaterThanOrEqual(keys.length);
    // About 25 steps in the file: per keystroke the step typed, the one it may continue, and the
    // second plan's step whose fix is placed from the text (it moves with every keystroke).
    expect(stepCheckCounts.checked - before.checked).toBeLessThanOrEqual(4 * keys.length);
    expect(stepCheckCounts.reused - before.reused).toBeGreaterThanOrEqual(18 * keys.length);
  });

  it('renaming a step: the after lists naming it bind again, the others keep their binding, as a full compile', () => {
    const ws = new Workspace(root);
    const text = large;
    const doc = TextDocument.create(pathToFileURL(join(root, 'plans', 'large.o2a')).href, 'o2a', 1, text);
    ws.analyse(ws.openDocument(doc));
    // `res_3` -> `res_3x` and back: the steps after res_3 name an unknown step, then a known one again.
    const at = text.indexOf('step res_3 ') + 'step res_3'.length;
    const renamed = typeAndCompare(ws, doc, at, ['x', '\b']);
    expect(renamed.getText()).toBe(text);
    // The plan typed in is as it was: clean (the second plan's findings are its own).
    const errors = ws.analyse('plans/large.o2a').diagnostics.filter((d) => d.severity === 'error' && d.file === 'plans/large.o2a');
    expect(errors.map((d) => d.message)).toEqual([
      "plan Second reserves no 'ONT_GPON', required by INTERNET_ACCESS_CFS",
      'plan Second declares a billing policy but has no billing_trigger step',
      "step 'commit' (inventory_commit) has side effects but no compensation and is not declared irreversible",
    ]);
  });
});

