import { describe, it, expect } from 'vitest';
import { parse } from '../../compiler/syntax/index.js';
import { syntaxCodes } from '../../compiler/diagnostics/codes/syntax.js';

describe('syntax catalogue examples', () => {
  it.each(syntaxCodes.map((d) => [d.code, d] as const))('%s: the wrong example reports exactly it, the right one nothing', (code, d) => {
    expect(parse(d.wrong, 'wrong.o2a').diagnostics.map((x) => x.code)).toEqual([code]);
    expect(parse(d.right, 'right.o2a').diagnostics).toEqual([]);
    expect(d.explanation.length).toBeGreaterThan(80);
  });
});
