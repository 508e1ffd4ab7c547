import { describe, it, expect } from 'vitest';
import { compileWorkspace } from '../../compiler/index.js';
import { resolveCodes } from '../../compiler/diagnostics/codes/resolve.js';
import { checkCodes } from '../../compiler/diagnostics/codes/check.js';
import { catalog } from './helpers.js';

const stage = (code: string) => (code.startsWith('O2A2') ? 'resolve' : code.startsWith('O2A3') ? 'graph' : code.startsWith('O2A4') ? 'policies' : 'bundles');

function compileExample(code: string, text: string) {
  return compileWorkspace([{ file: 'example.o2a', text }], code === 'O2A2004' ? undefined : catalog());
}

describe('catalogue examples of the resolve and check codes', () => {
  for (const def of [...resolveCodes, ...checkCodes]) {
    it(`${def.code} ${def.name} (${stage(def.code)}): the wrong example reports it, the right one does not`, () => {
      expect(compileExample(def.code, def.wrong).diagnostics.map((d) => d.code)).toContain(def.code);
      const right = compileExample(def.code, def.right);
      if (def.code !== 'O2A2004') expect(right.diagnostics.map((d) => d.code)).not.toContain(def.code);
    });
  }

  it('gives every code a distinct kebab-case name and a full entry', () => {
    const all = [...resolveCodes, ...checkCodes];
    expect(new Set(all.map((d) => d.name)).size).toBe(all.length);
    for (const d of all) {
      expect(d.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(d.explanation.length).toBeGreaterThan(60);
      if (d.code !== 'O2A2004') expect(d.wrong).not.toBe(d.right);
    }
  });
});
