// Document symbols, workspace symbols, folding ranges and semantic tokens.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentSymbol, FoldingRange, SemanticTokens, WorkspaceSymbol } from 'vscode-languageserver-protocol';
import { rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('outline, symbols, folding, semantic tokens', () => {
  let s: LspSession;
  let uri: string;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
    uri = await s.open('lib/fiber.o2a', `/// The plan.\n/// Two lines of doc.\n${plan}`);
    await s.diagnostics(uri, 1);
  });
  afterAll(() => s.stop());

  it('outlines plans > steps and policies', async () => {
    const symbols = await s.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    expect(symbols.map((x) => [x.name, x.detail])).toEqual([['Fiber', 'plan for HOME_FIBER_1G']]);
    expect(symbols[0]!.children!.map((c) => c.name)).toEqual(['billing', 'internet', 'ont', 'network', 'verify', 'inventory', 'billing', 'notify', 'cancel', 'status', 'completion']);
    const ont = symbols[0]!.children![2]!;
    expect(ont.detail).toBe('from CpeReservation');
    expect(ont.selectionRange).toEqual(rangeOf(`/// The plan.\n/// Two lines of doc.\n${plan}`, 'ont', 0));
  });

  it('finds plans, templates and steps across the workspace', async () => {
    const symbols = await s.request<WorkspaceSymbol[]>('workspace/symbol', { query: 'cpe' });
    expect(symbols.map((x) => [x.name, (x.location as { uri: string }).uri])).toEqual([['CpeReservation', s.uri('lib/templates.o2a')]]);
    const steps = await s.request<WorkspaceSymbol[]>('workspace/symbol', { query: 'inventory' });
    expect(steps.map((x) => [x.name, x.containerName])).toEqual([['inventory', 'Fiber']]);
  });

  it('folds the plan, multi-line steps and blocks, and the doc comment', async () => {
    const text = `/// The plan.\n/// Two lines of doc.\n${plan}`;
    const ranges = await s.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    const planStart = rangeOf(text, 'plan Fiber').start.line;
    const network = rangeOf(text, 'step network').start.line;
    expect(ranges).toContainEqual({ startLine: 0, endLine: 1, kind: 'comment' });
    expect(ranges).toContainEqual({ startLine: planStart, endLine: text.split('\n').length - 3 });
    expect(ranges).toContainEqual({ startLine: network, endLine: network + 2 });
  });

  it('colours names by what they resolve to', async () => {
    const legend = ['keyword', 'variable', 'string', 'number', 'operator', 'comment', 'type', 'function', 'enumMember', 'property', 'class', 'interface', 'namespace'];
    const tokens = await s.request<SemanticTokens>('textDocument/semanticTokens/full', { textDocument: { uri } });
    const decoded: { line: number; char: number; length: number; type: string; mods: number }[] = [];
    let line = 0;
    let char = 0;
    for (let i = 0; i < tokens.data.length; i += 5) {
      const [dl, dc, length, type, mods] = tokens.data.slice(i, i + 5) as [number, number, number, number, number];
      line += dl;
      char = dl === 0 ? char + dc : dc;
      decoded.push({ line, char, length, type: legend[type]!, mods });
    }
    const text = `/// The plan.\n/// Two lines of doc.\n${plan}`;
    const find = (needle: string, nth = 0) => {
      const r = rangeOf(text, needle, nth);
      return decoded.find((t) => t.line === r.start.line && t.char === r.start.character);
    };
    expect(find('/// The plan.')).toMatchObject({ type: 'comment', mods: 2 });
    expect(find('plan Fiber')).toMatchObject({ type: 'keyword' });
    expect(find('Fiber')).toMatchObject({ type: 'class', mods: 1 });
    expect(find('ont', 0)).toMatchObject({ type: 'function', mods: 1 });
    expect(find('CpeReservation')).toMatchObject({ type: 'interface', mods: 0 });
    expect(find('ONT_GPON')).toMatchObject({ type: 'enumMember', mods: 4 });
    expect(find('activation after')).toMatchObject({ type: 'type' });
    expect(find('billing', 1)).toMatchObject({ type: 'function', mods: 1 });
    expect(find('5m')).toMatchObject({ type: 'number', length: 2 });
    expect(find('"Activating your service"')).toMatchObject({ type: 'string' });
  });
});
