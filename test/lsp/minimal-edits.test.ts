// The edits formatting returns: applied to the text they turn it into the formatted text, and they
// leave unchanged lines alone.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { minimalEdits } from '../../lsp/convert.js';
import { applyEdits } from './harness.js';

describe('minimalEdits', () => {
  it('turns any text into any other', () => {
    const line = fc.constantFrom('', 'a', 'b', '  step x', '}', 'plan P {');
    const text = fc.array(line, { maxLength: 12 }).map((ls) => ls.join('\n'));
    fc.assert(fc.property(text, text, (before, after) => {
      expect(applyEdits(before, minimalEdits(before, after))).toBe(after);
    }), { numRuns: 2000 });
  });

  it('touches only the changed line', () => {
    expect(minimalEdits('a\nb\nc\n', 'a\nB\nc\n')).toEqual([{ range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, newText: 'B\n' }]);
    expect(minimalEdits('a\nb', 'a')).toEqual([{ range: { start: { line: 0, character: 1 }, end: { line: 1, character: 1 } }, newText: '' }]);
    expect(minimalEdits('same', 'same')).toEqual([]);
  });
});
