// parseCatalog faces whatever an editor buffer or a CI checkout holds: it must answer with
// diagnostics, never an exception, and every diagnostic must point inside the text.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from '../../compiler/catalog/load.js';
import { definitionOf } from '../../compiler/diagnostics/index.js';

const sample = readFileSync(join(import.meta.dirname, '../../catalogs/2026.11/catalog.json'), 'utf8');

function assertWellFormed(text: string): void {
  const result = parseCatalog(text, 'catalog.json');
  for (const d of result.diagnostics) {
    expect(definitionOf(d.code), d.code).toBeDefined();
    expect(d.message).not.toContain('internal error');
    expect(d.range.start.offset).toBeLessThanOrEqual(d.range.end.offset);
    expect(d.range.end.offset).toBeLessThanOrEqual(text.length);
  }
  expect(result.catalog === undefined).toBe(result.diagnostics.some((d) => d.severity === 'error'));
}

/** Replaces a slice of the sample with another (possibly empty) string. */
const mutation = fc.record({
  at: fc.nat({ max: sample.length }),
  length: fc.nat({ max: 40 }),
  insert: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('{', '}', '[', ']', ',', ':', '"', 'null', '0', '-1e999', '"retired"', '"X"', '\\u')),
});

describe('parseCatalog never throws', () => {
  it('on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => assertWellFormed(JSON.stringify(value) ?? 'null')), { numRuns: 300 });
  });

  it('on any string', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), assertWellFormed), { numRuns: 300 });
  });

  it('on mutated snapshot text', () => {
    fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
      let text = sample;
      for (const m of mutations) text = text.slice(0, m.at) + m.insert + text.slice(m.at + m.length);
      assertWellFormed(text);
    }), { numRuns: 300 });
  });

  it('on structurally mutated snapshot data', () => {
    const data = JSON.parse(sample) as Record<string, unknown>;
    const sections = ['productOfferings', 'serviceSpecifications', 'resourceSpecifications', 'workTypes', 'activationTargets', 'stepKinds', 'notificationTemplates'];
    fc.assert(fc.property(fc.constantFrom(...sections), fc.nat(), fc.string({ maxLength: 20 }), fc.jsonValue(), (section, index, key, value) => {
      const copy = structuredClone(data);
      const entries = copy[section] as Record<string, unknown>[];
      const entry = entries[index % entries.length]!;
      const keys = Object.keys(entry);
      entry[key.length % 2 === 0 && keys.length > 0 ? keys[index % keys.length]! : key] = value;
      assertWellFormed(JSON.stringify(copy, null, 2));
    }), { numRuns: 300 });
  });
});
