import { describe, it, expect } from 'vitest';
import { CatalogCode, catalogCodes } from '../../compiler/diagnostics/codes/catalog.js';
import { definitionOf } from '../../compiler/diagnostics/index.js';

describe('catalog diagnostic codes', () => {
  it('are complete catalogue entries, O2A10xx, unique by code and name', () => {
    expect(new Set(catalogCodes.map((c) => c.code)).size).toBe(catalogCodes.length);
    expect(new Set(catalogCodes.map((c) => c.name)).size).toBe(catalogCodes.length);
    for (const c of catalogCodes) {
      expect(c.code).toMatch(/^O2A10\d\d$/);
      expect(c.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(c.summary.length, c.code).toBeGreaterThan(10);
      expect(c.explanation.length, c.code).toBeGreaterThan(100);
      expect(c.wrong, c.code).not.toBe(c.right);
      expect(definitionOf(c.code)).toBe(c);
    }
  });

  it('every named code has an entry', () => {
    for (const code of Object.values(CatalogCode)) expect(definitionOf(code), code).toBeDefined();
  });
});
