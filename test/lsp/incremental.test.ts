// The language server re-parses only the step an edit falls in (and re-checks incrementally):
// after any sequence of edits, what it computes is exactly what a whole-file parse and a full
// compile give.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { parse, reparse, reparseCounts, type ParseResult } from '../../compiler/syntax/index.js';
import { compileWorkspace, type CompileResult } from '../../compiler/index.js';
import { summary } from './compile-summary.js';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { generatedLargePlan } from '../../bench/lsp/generate.js';
import { Workspace } from '../../lsp/workspace.js';
import { makeWorkspace, repoRoot } from './harness.js';
import { plan, templates } from './fixtures.js';

const samples = [
  plan,
  generatedLargePlan(120),
  readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8'),
  readFileSync(join(repoRoot, 'plans', 'family-pack.o2a'), 'utf8'),
  readFileSync(join(repoRoot, 'plans', 'mobile-postpaid.o2a'), 'utf8'),
  // Several plans and templates in one file: the declarations after the edited one move too.
  [plan, readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8'), readFileSync(join(repoRoot, 'plans', 'mobile-postpaid.o2a'), 'utf8')]
    .map((text, i) => (i === 0 ? text : text.replace(/^catalog .*\n/, '')))
    .join('\n'),
];

/** The same parse, field by field (tokens included). */
function expectSameParse(got: ParseResult, want: ParseResult, text: string): void {
  expect(got.document, text).toEqual(want.document);
  expect(got.diagnostics, text).toEqual(want.diagnostics);
  expect(got.tokens, text).toEqual(want.tokens);
}

const pieces = [
  'a', 'x', ' ', '  ', '\n', '9', '1', 'm', '{', '}', ':', ',', '.', '"', '"s"', '//', '///', '/*', '*/', '==', 'step', 'step y: appointment',
  'timeout 5m', 'timeout', 'retry 2 every 1m', 'after', 'after res_1', 'on timeout fail', 'skip when item.x == "a"', 'compensate release',
  'resource ONT_GPON', 'irreversible', 'status', 'cancel', '\t', 'plan', 'item',
];

/** An edit somewhere in the text, mostly inside a step's lines, sometimes anywhere. */
const edit = fc.record({
  at: fc.nat(),
  remove: fc.oneof(fc.constant(0), fc.constant(1), fc.nat(6), fc.nat(40)),
  insert: fc.array(fc.constantFrom(...pieces), { maxLength: 3 }).map((p) => p.join('')),
});

function apply(text: string, e: { at: number; remove: number; insert: string }): string {
  const at = e.at % (text.length + 1);
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
}

describe('incremental re-parse', () => {
  const check = (sample: number, edits: { at: number; remove: number; insert: string }[], where: (text: string, at: number) => number) => {
    let text = samples[sample]!;
    let previous = parse(text, 'plans/x.o2a');
    for (const e of edits) {
      text = apply(text, { ...e, at: where(text, e.at) });
      const got = reparse(previous, text, 'plans/x.o2a');
      expectSameParse(got, parse(text, 'plans/x.o2a'), text);
      previous = got;
    }
  };

  it('gives the whole-file parse after any sequence of edits anywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples.keys()), fc.array(edit, { minLength: 1, maxLength: 6 }), (sample, edits) => check(sample, edits, (_, at) => at)),
      { numRuns: 600 },
    );
  });

  it('gives the whole-file parse after edits inside steps (the one-step path)', () => {
    // Typing in a step's property lines (indented four spaces).
    const inStep = (text: string, at: number): number => {
      const starts = [...text.matchAll(/\n {4}\S/g)].map((m) => m.index + 5);
      if (starts.length === 0) return at;
      const start = starts[at % starts.length]!;
      const end = text.indexOf('\n', start);
      return start + (at >> 8) % Math.max(1, (end < 0 ? text.length : end) - start);
    };
    const typing = fc.record({
      at: fc.nat(),
      remove: fc.oneof(fc.constant(0), fc.constant(1), fc.nat(3)),
      insert: fc.oneof(fc.constantFrom('', 'a', '9', ' ', 'x', '_'), fc.constantFrom(...pieces)),
    });
    const before = { ...reparseCounts };
    fc.assert(
      fc.property(fc.constantFrom(...samples.keys()), fc.array(typing, { minLength: 1, maxLength: 8 }), (sample, edits) => check(sample, edits, inStep)),
      { numRuns: 600 },
    );
    // Typos that break the grammar (parser errors) take the whole-file path: random typing breaks
    // it often (about 6 edits in 10 here), but a good share must still take the one-step path. The
    // bound leaves room for the randomness of the edits (it was whole/2 and failed now and then).
    const step = reparseCounts.step - before.step;
    const whole = reparseCounts.whole - before.whole;
    expect(step).toBeGreaterThan((step + whole) / 4);
  });

  it('re-parses one step for a one-character edit in a large plan, and reuses the rest', () => {
    const text = generatedLargePlan(2000);
    const at = text.indexOf('timeout 1', text.length / 2) + 'timeout '.length;
    for (const replacement of ['9', '99', '', '9\n']) {
      const next = text.slice(0, at) + replacement + text.slice(at + 1);
      const before = reparseCounts.step;
      const got = reparse(parse(text, 'plans/large.o2a'), next, 'plans/large.o2a');
      expect(reparseCounts.step).toBe(before + 1);
      expectSameParse(got, parse(next, 'plans/large.o2a'), next);
    }
  });

  it('parses the whole text when the previous parse was already given up', () => {
    const first = parse(plan, 'plans/x.o2a');
    const one = plan.replace('timeout 5m', 'timeout 6m');
    const two = plan.replace('timeout 5m', 'timeout 7m');
    expectSameParse(reparse(first, one, 'plans/x.o2a'), parse(one, 'plans/x.o2a'), one);
    const before = reparseCounts.whole;
    expectSameParse(reparse(first, two, 'plans/x.o2a'), parse(two, 'plans/x.o2a'), two);
    expect(reparseCounts.whole).toBe(before + 1);
  });
});

describe('incremental checking in the workspace', () => {
  const root = makeWorkspace({ files: { 'plans/templates.o2a': templates } });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const sources = [plan, generatedLargePlan(60), readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8'), readFileSync(join(repoRoot, 'plans', 'enterprise-fiber.o2a'), 'utf8')];
  const templatesText = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');

  /** A full compile of the unit from fresh parses and a freshly loaded catalog: nothing shared with the workspace. */
  function fullCompile(ws: Workspace, file: string): CompileResult {
    const analysis = ws.analyse(file);
    const catalog = analysis.catalogPath !== undefined ? loadCatalog(join(root, analysis.catalogPath)).catalog : undefined;
    // As the server compiles: the fix of a syntax error is checked by code actions, when asked for.
    return compileWorkspace(analysis.sources.map((x) => ({ file: x.file, text: x.text })), catalog, { catalogDiagnostics: analysis.catalogDiagnostics, emit: false, verifySyntaxFixes: false });
  }

  it('publishes what a full compile gives after any sequence of edits (plan and templates)', () => {
    const typing = fc.record({
      templatesFile: fc.nat(9).map((n) => n < 2),
      at: fc.nat(),
      inStep: fc.boolean(),
      remove: fc.oneof(fc.constant(0), fc.constant(1), fc.nat(4)),
      insert: fc.oneof(fc.constantFrom('', 'a', '9', ' ', '_', 'x'), fc.constantFrom(...pieces)),
    });
    let run = 0;
    fc.assert(
      fc.property(fc.constantFrom(...sources.keys()), fc.array(typing, { minLength: 1, maxLength: 8 }), (sample, edits) => {
        const ws = new Workspace(root);
        const dir = `u${run++}`;
        const uri = (name: string) => pathToFileURL(join(root, dir, name)).href;
        let docs = { plan: TextDocument.create(uri('plan.o2a'), 'o2a', 1, sources[sample]!), templates: TextDocument.create(uri('templates.o2a'), 'o2a', 1, templatesText) };
        const file = ws.openDocument(docs.plan);
        ws.openDocument(docs.templates);
        ws.analyse(file);
        for (const e of edits) {
          const which = e.templatesFile ? 'templates' : 'plan';
          const doc = docs[which];
          const text = doc.getText();
          let at = e.at % (text.length + 1);
          if (e.inStep) {
            const starts = [...text.matchAll(/\n {4}\S/g)].map((m) => m.index + 5);
            if (starts.length > 0) at = starts[e.at % starts.length]! + ((e.at >> 6) % 8);
          }
          at = Math.min(at, text.length);
          const next = TextDocument.update(doc, [{ range: { start: doc.positionAt(at), end: doc.positionAt(Math.min(text.length, at + e.remove)) }, text: e.insert }], doc.version + 1);
          docs = { ...docs, [which]: next };
          ws.openDocument(next);
          const got = ws.analyse(file);
          expect(summary(got.compilation), next.getText()).toEqual(summary(fullCompile(ws, file)));
        }
      }),
      // O2A_PROPERTY_RUNS=2000 for a longer search.
      { numRuns: Number(process.env.O2A_PROPERTY_RUNS ?? 150) },
    );
  });
});

describe('line map after an edit', () => {
  it('is the line map of the new text', async () => {
    const { LineMap } = await import('../../compiler/syntax/positions.js');
    const text = fc.array(fc.constantFrom('a', 'b', '\n', '\r', '\r\n', ' '), { maxLength: 30 }).map((p) => p.join(''));
    fc.assert(fc.property(text, fc.nat(), fc.nat(5), text, (before, at, remove, insert) => {
      const from = at % (before.length + 1);
      const to = Math.min(before.length, from + remove);
      const after = before.slice(0, from) + insert + before.slice(to);
      const edited = LineMap.afterEdit(new LineMap(before), after, from, to, from + insert.length);
      for (let o = 0; o <= after.length; o++) expect(edited.position(o)).toEqual(new LineMap(after).position(o));
    }), { numRuns: 3000 });
  });
});

describe('common prefix and suffix', () => {
  it('are those of the texts', async () => {
    const { commonPrefix, commonSuffix } = await import('../../compiler/syntax/reparse.js');
    const text = fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 40 }).map((p) => p.join(''));
    fc.assert(fc.property(text, text, (a, b) => {
      let head = 0;
      while (head < Math.min(a.length, b.length) && a[head] === b[head]) head++;
      let tail = 0;
      while (tail < Math.min(a.length, b.length) - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
      expect(commonPrefix(a, b)).toBe(head);
      expect(commonSuffix(a, b, head)).toBe(tail);
    }), { numRuns: 3000 });
  });
});
