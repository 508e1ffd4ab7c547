// Completion lexes only the edited lines after an edit: the spliced tokens equal a full lex.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lex, relex } from '../../lsp/relex.js';
import { plan } from './fixtures.js';

describe('relex', () => {
  it('gives the tokens of a full lex after any small edit', () => {
    const pieces = ['a', ' ', '\n', 'step x', '{', '}', '"s"', '10m', '//c', '/*', '*/', '==', ':', '.', '2026.11'];
    const edit = fc.record({ at: fc.nat(plan.length), remove: fc.nat(12), insert: fc.array(fc.constantFrom(...pieces), { maxLength: 4 }).map((p) => p.join('')) });
    fc.assert(fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      let text = plan;
      let tokens = lex(text);
      for (const e of edits) {
        const at = Math.min(e.at, text.length);
        const next = text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.remove));
        tokens = relex(text, tokens, next);
        text = next;
        expect(tokens).toEqual(lex(text));
      }
    }), { numRuns: 3000 });
  });
});
