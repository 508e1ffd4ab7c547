import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { compileWorkspace } from '../../compiler/index.js';
import { bundlePeers, catalog, languageExample } from './helpers.js';

const words = ['plan', 'step', 'after', 'bundle', 'item', 'template', 'from', '{', '}', ':', ',', 'on', 'timeout', 'retry',
  'compensate', 'irreversible', 'skip', 'when', 'item.installation', '==', '"self"', 'and', 'not', 'cancel', 'amend',
  'status', 'billing', 'starts', 'activation', 'ONT_GPON', 'x', '5m', '3', 'catalog', 'telco-core', '2026.11', '\n'];

describe('compileWorkspace never throws', () => {
  it('on random token soup', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...words), { maxLength: 80 }), (tokens) => {
      const result = compileWorkspace([{ file: 'soup.o2a', text: tokens.join(' ') }], catalog());
      expect(Array.isArray(result.diagnostics)).toBe(true);
    }), { numRuns: 300 });
  });

  it('on mutations of a real workspace (deleted, duplicated and replaced spans)', () => {
    const base = languageExample();
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(base.length), fc.nat(40), fc.constantFrom('', 'x', '}', '{', 'after ont', ',', 'step', '"', 'network', 'verify')), { minLength: 1, maxLength: 5 }),
      (edits) => {
        let text = base;
        for (const [at, len, insert] of edits) text = text.slice(0, at) + insert + text.slice(Math.min(text.length, at + len));
        const result = compileWorkspace([{ file: 'a.o2a', text }, { file: 'b.o2a', text: bundlePeers }], catalog());
        for (const plan of result.plans) expect(plan.hash).toMatch(/^[0-9a-f]{64}$/);
      }), { numRuns: 300 });
  });

  it('without a catalog', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      expect(() => compileWorkspace([{ file: 'a.o2a', text }], undefined)).not.toThrow();
    }), { numRuns: 100 });
  });
});
