// Formatting (the `o2a fmt` formatter), code actions (the compiler's fixes, fix-all) and inlay hints.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, InlayHint, TextEdit } from 'vscode-languageserver-protocol';
import { format } from '../../compiler/format/index.js';
import { applyEdits, rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('formatting', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  // The canonical layout with two lines far apart put out of shape.
  const messy = format(plan, 'lib/plan.o2a').text
    .replace('  step verify: verification after network\n', '    step   verify:verification   after network\n')
    .replace('  completion all\n', 'completion   all\n');

  it('formats a document into exactly what `o2a fmt` writes', async () => {
    const uri = await s.open('lib/messy.o2a', messy);
    const edits = await s.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
    expect(applyEdits(messy, edits)).toBe(format(messy, 'lib/messy.o2a').text);
    expect(edits.length).toBeGreaterThan(0);
    await s.close(uri);
  });

  it('formats a range with the edits that touch it only', async () => {
    const uri = await s.open('lib/messy2.o2a', messy);
    const line = rangeOf(messy, 'step   verify').start.line;
    const edits = await s.request<TextEdit[]>('textDocument/rangeFormatting', {
      textDocument: { uri },
      range: { start: { line, character: 0 }, end: { line, character: 10 } },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toEqual([{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '  step verify: verification after network\n' }]);
    expect(applyEdits(messy, edits)).toContain('\ncompletion   all\n');
    await s.close(uri);
  });

  it('leaves a file with syntax errors alone', async () => {
    const uri = await s.open('lib/broken.o2a', `${messy}\nplan {{{`);
    expect(await s.request<TextEdit[]>('textDocument/formatting', { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    await s.close(uri);
  });
});

describe('code actions', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  it('offers the did-you-mean fix of a diagnostic and a fix-all for its code', async () => {
    const text = plan.replace('{ service INTERNET_ACCESS_CFS }', '{ service INTERNET_ACCESS_CSF }').replace('compensate revert', 'compensate revert').replace('{ service INTERNET_ACCESS_CFS  compensate', '{ service INTERNET_ACESS_CFS  compensate');
    const uri = await s.open('lib/typos.o2a', text);
    const ds = await s.diagnostics(uri, 1);
    const first = ds.find((d) => d.code === 'O2A2013')!;
    expect(first.range).toEqual(rangeOf(text, 'INTERNET_ACCESS_CSF'));
    const actions = await s.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: first.range, context: { diagnostics: [first] } });
    const titles = actions.map((a) => a.title);
    expect(titles[0]).toMatch(/INTERNET_ACCESS_CFS/);
    expect(actions[0]!.kind).toBe('quickfix');
    expect(actions[0]!.edit!.changes![uri]).toEqual([{ range: rangeOf(text, 'INTERNET_ACCESS_CSF'), newText: 'INTERNET_ACCESS_CFS' }]);
    const fixAll = actions.find((a) => a.title.startsWith('Fix all O2A2013'))!;
    expect(fixAll).toBeDefined();
    expect(applyEdits(text, fixAll.edit!.changes![uri]!)).toBe(plan);
  });

  it('offers a source.fixAll action when asked for it', async () => {
    const text = plan.replace('resource ONT_GPON', 'resource ONT_GPOM');
    const uri = await s.open('lib/fixall.o2a', text);
    await s.diagnostics(uri, 1);
    const actions = await s.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [], only: ['source.fixAll'] },
    });
    expect(actions.map((a) => a.kind)).toEqual(['source.fixAll.o2a']);
    expect(applyEdits(text, actions[0]!.edit!.changes![uri]!)).toBe(plan);
  });
});

describe('inlay hints', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  it('shows the timeout and retry a step inherits, after its header', async () => {
    const text = plan.replace('  billing starts', '  defaults { retry 1 every 10s }\n  billing starts');
    const uri = await s.open('lib/hints.o2a', text);
    await s.diagnostics(uri, 1);
    const hints = await s.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } } });
    const at = (needle: string) => rangeOf(text, needle).end;
    expect(hints.map((h) => ({ position: h.position, label: h.label }))).toEqual([
      { position: at('step internet: service_order_item'), label: 'timeout 1m (catalog default)  retry 1 every 10s (plan defaults)' },
      { position: at('step ont from CpeReservation after internet'), label: 'timeout 10m (from template CpeReservation)  retry 5 every 1m (from template CpeReservation)' },
      { position: at('step verify: verification after network'), label: 'timeout 10m (catalog default)  retry 1 every 10s (plan defaults)' },
      { position: at('step inventory: inventory_commit after verify'), label: 'timeout 2m (catalog default)  retry 1 every 10s (plan defaults)' },
      { position: at('step billing: billing_trigger after inventory'), label: 'timeout 1h (catalog default)  retry 1 every 10s (plan defaults)' },
      { position: at('step notify: notification after billing'), label: 'timeout 10m (catalog default)  retry 1 every 10s (plan defaults)' },
    ]);
  });
});
