// "Did you mean ...?" for unknown names: by edits, by case, then by shared words.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { closestMatch, editDistance, fewCandidates, maxSuggestedNameLength } from '../../compiler/diagnostics/suggest.js';

const kinds = ['service_order_item', 'resource_reservation', 'appointment', 'work_order', 'activation', 'verification', 'inventory_commit', 'billing_trigger', 'notification', 'number_porting'];
const workTypes = ['FTTH_INSTALLATION', 'ENTERPRISE_INSTALLATION', 'SITE_SURVEY'];

describe('closestMatch', () => {
  it('finds typos by edit distance and case', () => {
    expect(closestMatch('resource_reservaton', kinds)).toBe('resource_reservation');
    expect(closestMatch('Activation', kinds)).toBe('activation');
    expect(closestMatch('verifcation', kinds)).toBe('verification');
  });

  it('finds a name that shares all the words of the shorter one', () => {
    expect(closestMatch('network_activation', kinds)).toBe('activation');
    expect(closestMatch('service_order', kinds)).toBe('service_order_item');
    expect(closestMatch('FTTH_INSTALL', workTypes)).toBe('FTTH_INSTALLATION');
    expect(closestMatch('BillingTrigger', kinds)).toBe('billing_trigger');
  });

  it('guesses nothing when words only overlap, or two candidates match as well', () => {
    expect(closestMatch('field_work', kinds)).toBeUndefined();
    expect(closestMatch('INSTALLATION', workTypes)).toBeUndefined();
    expect(closestMatch('zzz', kinds)).toBeUndefined();
    expect(closestMatch('', kinds)).toBeUndefined();
  });

  it('never suggests the name itself', () => {
    expect(closestMatch('activation', ['activation'])).toBeUndefined();
  });
});

describe('names too long to have been misspelt', () => {
  it('are given no suggestion, and are never suggested', () => {
    const long = 'a'.repeat(maxSuggestedNameLength);
    expect(closestMatch(`${long}b`, [long])).toBeUndefined();
    expect(closestMatch(long, [`${long}b`])).toBeUndefined();
    // Up to the bound, a name still gets one.
    expect(closestMatch(long.slice(1), [long])).toBe(long);
    // A megabyte-long name against the step kinds: nothing, and no quadratic work to find it.
    expect(closestMatch('v'.repeat(1_000_000), kinds)).toBeUndefined();
    expect(closestMatch('activaton', [...kinds, 'v'.repeat(1_000_000)])).toBe('activation');
  });
});

/** The whole table, as the textbook writes it. */
function fullTableDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions', () => {
    expect(editDistance('activation', 'activation')).toBe(0);
    expect(editDistance('activaiton', 'activation')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('is the distance of the whole table', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '_'), maxLength: 12 });
    fc.assert(fc.property(word, word, (a, b) => { expect(editDistance(a, b)).toBe(fullTableDistance(a, b)); }), { numRuns: 500 });
  });
});

describe('fewCandidates', () => {
  it('lists a short catalogue section sorted, and nothing for a long or empty one', () => {
    expect(fewCandidates(workTypes)).toEqual(['ENTERPRISE_INSTALLATION', 'FTTH_INSTALLATION', 'SITE_SURVEY']);
    expect(fewCandidates(Array.from({ length: 13 }, (_, i) => `X${i}`))).toBeUndefined();
    expect(fewCandidates([])).toBeUndefined();
  });
});
