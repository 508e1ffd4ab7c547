import { describe, it, expect } from 'vitest';
import { compileWorkspace } from '../../compiler/index.js';
import { resolveCodes } from '../../compiler/diagnostics/codes/resolve.js';
import { checkCodes } from '../../compiler/diagnostics/codes/check.js';
import { diagnosticCatalogue } from '../../compiler/diagnostics/index.js';
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

describe('o2a explain examples', () => {
  // Catalog snapshot codes (O2A1xxx) explain a catalog file or a command line, not a plan.
  const planCodes = [...diagnosticCatalogue.values()].filter((d) => !d.code.startsWith('O2A1'));

  for (const def of planCodes) {
    it(`${def.code} ${def.name}: the right example compiles without an error against the sample catalog, the wrong one reports the code`, () => {
      const right = compileWorkspace([{ file: 'example.o2a', text: def.right }], catalog());
      expect(right.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`)).toEqual([]);
      expect(right.diagnostics.map((d) => d.code)).not.toContain(def.code);
      expect(compileExample(def.code, def.wrong).diagnostics.map((d) => d.code)).toContain(def.code);
    });
  }
});
