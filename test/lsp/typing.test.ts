// Typing a new step character by character (issue #13): most keystrokes leave the text not
// parsing, and each must still be re-parsed incrementally (the members around the edit,
// compiler/syntax/reparse-gap.ts), never the whole file, and give exactly the whole-file parse.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse, reparse, reparseCounts, type ParseResult } from '../../compiler/syntax/index.js';
import { generatedLargePlan } from '../../bench/lsp/generate.js';

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
});
