// Broken and half-typed input: every request still answers, the server stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompletionList, DocumentSymbol, Hover } from 'vscode-languageserver-protocol';
import { startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('broken input', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  const inputs = [
    '',
    'plan',
    'plan {{{{ }}}} step : : after , , ,',
    plan.slice(0, Math.floor(plan.length / 2)),
    plan.replace(/}/g, ''),
    plan.replace(/"/g, ''),
    '/* never closed',
    'catalog telco-core 1999.01\nplan X for offering NOPE { step a: nope after a, a, a }',
    '\u0000\u0001 \uffff \ud800',
  ];

  it.each(inputs.map((t, i) => [i, t] as const))('answers every request on input #%i', async (i, text) => {
    const uri = await s.open(`lib/broken${i}.o2a`, text);
    await s.diagnostics(uri, 1);
    const lines = text.split('\n');
    const end = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
    const mid = { line: Math.floor(lines.length / 2), character: 0 };
    const doc = { textDocument: { uri } };
    for (const position of [{ line: 0, character: 0 }, mid, end]) {
      await s.request<CompletionList>('textDocument/completion', { ...doc, position });
      await s.request<Hover | null>('textDocument/hover', { ...doc, position });
      await s.request('textDocument/definition', { ...doc, position });
      await s.request('textDocument/references', { ...doc, position, context: { includeDeclaration: true } });
      await s.request('textDocument/prepareRename', { ...doc, position });
    }
    await s.request<DocumentSymbol[]>('textDocument/documentSymbol', doc);
    await s.request('textDocument/foldingRange', doc);
    await s.request('textDocument/semanticTokens/full', doc);
    await s.request('textDocument/formatting', { ...doc, options: { tabSize: 2, insertSpaces: true } });
    await s.request('textDocument/codeAction', { ...doc, range: { start: { line: 0, character: 0 }, end }, context: { diagnostics: [] } });
    await s.request('textDocument/inlayHint', { ...doc, range: { start: { line: 0, character: 0 }, end } });
    await s.close(uri);
    expect(s.process.exitCode).toBeNull();
    expect(s.logs.filter((l) => l.includes('failed'))).toEqual([]);
  });
});
