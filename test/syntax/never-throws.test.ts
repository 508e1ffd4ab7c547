import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parse, expectedAt } from '../../compiler/syntax/index.js';
import type { Range } from '../../compiler/diagnostics/diagnostic.js';
import { docsExample } from './docs-example.js';

const example = docsExample();

function rangesOf(value: unknown, out: Range[] = []): Range[] {
  if (Array.isArray(value)) for (const v of value) rangesOf(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'range' || k === 'triggerRange' || k === 'gatingRange') && v) out.push(v as Range);
      else rangesOf(v, out);
    }
  }
  return out;
}

function checkWellFormed(source: string): void {
  const r = parse(source, 'p.o2a');
  const ranges = [...rangesOf(r.document), ...r.diagnostics.map((d) => d.range), ...r.tokens.map((t) => t.range)];
  for (const range of ranges) {
    expect(range.start.offset).toBeGreaterThanOrEqual(0);
    expect(range.end.offset).toBeGreaterThanOrEqual(range.start.offset);
    expect(range.end.offset).toBeLessThanOrEqual(source.length);
    expect(Number.isInteger(range.start.line) && Number.isInteger(range.end.character)).toBe(true);
  }
  for (const d of r.diagnostics) expect(d.message.length).toBeGreaterThan(0);
}

const mutation = fc
  .record({ at: fc.nat(example.length), length: fc.nat(40), op: fc.constantFrom('delete', 'insert', 'duplicate'), text: fc.string({ maxLength: 12 }) })
  .map(({ at, length, op, text }) => {
    const end = Math.min(example.length, at + length);
    if (op === 'delete') return example.slice(0, at) + example.slice(end);
    if (op === 'insert') return example.slice(0, at) + text + example.slice(at);
    return example.slice(0, end) + example.slice(at, end) + example.slice(end);
  });

describe('parse never throws', () => {
  it('on random strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => checkWellFormed(s)), { numRuns: 300 });
  });

  it('on random strings of the language alphabet', () => {
    const pieces = fc.constantFrom('step ', 'plan ', 'a', ':', '{', '}', ' ', '\n', '"x"', '"', '10m', '2.5', '//c\n', '/*', '*/', 'when ', 'not ', '(', ')', '==', ',', '.', 'retry ', 'for offering ');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 60 }), (parts) => checkWellFormed(parts.join(''))), { numRuns: 300 });
  });

  it('on mutations of the docs example', () => {
    fc.assert(fc.property(mutation, (s) => checkWellFormed(s)), { numRuns: 200 });
  });

  it('expectedAt never throws either', () => {
    fc.assert(fc.property(mutation, fc.nat(3000), (s, at) => { expectedAt(s, at); }), { numRuns: 100 });
  });
});
