// One fixture per catalog diagnostic: test/fixtures/catalog/<code>-<case>.json is a small snapshot
// with one defect, and <code>-<case>.expected.txt beside it the diagnostics it must produce
// (1-based line:column range, code, JSON path and message, help, fixes).
// Re-bless after a deliberate change with UPDATE_BASELINES=1 npx vitest run test/catalog.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalog } from '../../compiler/catalog/load.js';
import { CatalogCode, catalogCodes } from '../../compiler/diagnostics/codes/catalog.js';
import type { Diagnostic, TextEdit } from '../../compiler/diagnostics/index.js';

const dir = join(import.meta.dirname, '../fixtures/catalog');
const update = process.env.UPDATE_BASELINES === '1';
const fixtures = readdirSync(dir).filter((f) => /^O2A\d{4}-.*\.json$/.test(f)).sort();

function render(diagnostics: Diagnostic[]): string {
  const at = (p: { line: number; character: number }): string => `${p.line + 1}:${p.character + 1}`;
  return diagnostics.map((d) => {
    const lines = [`${at(d.range.start)}-${at(d.range.end)} ${d.code} ${d.severity}: ${d.message}`];
    if (d.help) lines.push(`  help: ${d.help}`);
    for (const fix of d.fixes ?? []) lines.push(`  fix: ${fix.title}`);
    for (const r of d.related ?? []) lines.push(`  related ${at(r.range.start)}: ${r.message}`);
    return lines.join('\n');
  }).join('\n') + '\n';
}

function applyEdits(text: string, edits: TextEdit[]): string {
  return [...edits]
    .sort((a, b) => b.range.start.offset - a.range.start.offset)
    .reduce((t, e) => t.slice(0, e.range.start.offset) + e.newText + t.slice(e.range.end.offset), text);
}

describe('catalog diagnostics fixtures', () => {
  it('has a fixture for every code that concerns snapshot text', () => {
    const withoutText: string[] = [CatalogCode.notFound, CatalogCode.unreadable];
    const covered = new Set(fixtures.map((f) => f.slice(0, 7)));
    const missing = catalogCodes.map((c) => c.code).filter((c) => !withoutText.includes(c) && !covered.has(c));
    expect(missing).toEqual([]);
  });

  it('the base fixture is clean', () => {
    const result = parseCatalog(readFileSync(join(dir, 'valid.json'), 'utf8'), 'valid.json');
    expect(result.diagnostics).toEqual([]);
    expect(result.catalog).toBeDefined();
  });

  for (const fixture of fixtures) {
    const code = fixture.slice(0, 7);
    it(fixture, () => {
      const text = readFileSync(join(dir, fixture), 'utf8');
      const result = parseCatalog(text, fixture);
      const ofCode = result.diagnostics.filter((d) => d.code === code);
      expect(ofCode.length).toBeGreaterThan(0);
      for (const d of result.diagnostics) {
        expect(d.message).toMatch(/^\/[^ ]*: /);
        const [start, end] = [d.range.start.offset, d.range.end.offset];
        expect(start).toBeLessThanOrEqual(end);
        expect(end).toBeLessThanOrEqual(text.length);
      }
      // Errors withhold the catalog; warnings alone do not.
      expect(result.catalog === undefined).toBe(result.diagnostics.some((d) => d.severity === 'error'));

      const expectedFile = join(dir, fixture.replace(/\.json$/, '.expected.txt'));
      const actual = render(result.diagnostics);
      if (update || !existsSync(expectedFile)) writeFileSync(expectedFile, actual);
      expect(actual).toBe(readFileSync(expectedFile, 'utf8'));

      const fixes = ofCode.flatMap((d) => d.fixes ?? []);
      if (fixes.length > 0) {
        const fixed = parseCatalog(applyEdits(text, fixes.flatMap((f) => f.edits)), fixture);
        expect(fixed.diagnostics.filter((d) => d.code === code)).toEqual([]);
      }
    });
  }
});
