// One fixture per diagnostic code: test/fixtures/diagnostics/<CODE>.o2a (or a folder <CODE>/ with
// its .o2a files and, for catalog codes, its own catalog.json; a folder without one is compiled
// with no snapshot), and the rendered diagnostics in <CODE>.expected.txt beside it.
// UPDATE_BASELINES=1 re-blesses the expected files.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { parseCatalog } from '../../compiler/catalog/load.js';
import { diagnosticCatalogue } from '../../compiler/diagnostics/index.js';
import { renderText } from '../../cli/printers/text.js';
import type { CatalogSnapshot } from '../../compiler/catalog/schema.js';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.js';
import { catalog, repoRoot } from './helpers.js';

const dir = join(repoRoot, 'test', 'fixtures', 'diagnostics');
const update = process.env.UPDATE_BASELINES === '1';

interface Fixture {
  code: string;
  sources: { file: string; text: string }[];
  catalog: CatalogSnapshot | undefined;
  catalogDiagnostics: Diagnostic[];
}

function loadFixture(entry: string): Fixture {
  const path = join(dir, entry);
  if (!statSync(path).isDirectory()) {
    return { code: entry.replace(/\.o2a$/, ''), sources: [{ file: entry, text: readFileSync(path, 'utf8') }], catalog: catalog(), catalogDiagnostics: [] };
  }
  const files = readdirSync(path).filter((f) => f.endsWith('.o2a')).sort();
  const sources = files.map((f) => ({ file: `${entry}/${f}`, text: readFileSync(join(path, f), 'utf8') }));
  const catalogFile = join(path, 'catalog.json');
  if (!existsSync(catalogFile)) return { code: entry, sources, catalog: undefined, catalogDiagnostics: [] };
  const loaded = parseCatalog(readFileSync(catalogFile, 'utf8'), `${entry}/catalog.json`);
  return { code: entry, sources, catalog: loaded.catalog, catalogDiagnostics: loaded.diagnostics };
}

const entries = existsSync(dir) ? readdirSync(dir).filter((e) => /^O2A\d{4}(\.o2a)?$/.test(e)).sort() : [];

describe('golden diagnostics fixtures', () => {
  for (const entry of entries) {
    it(entry, () => {
      const fixture = loadFixture(entry);
      const result = compileWorkspace(fixture.sources, fixture.catalog, { catalogDiagnostics: fixture.catalogDiagnostics });
      expect(result.diagnostics.map((d) => d.code)).toContain(fixture.code);
      const texts = new Map(fixture.sources.map((s) => [s.file, s.text]));
      const catalogFile = `${entry}/catalog.json`;
      if (existsSync(join(dir, catalogFile))) texts.set(catalogFile, readFileSync(join(dir, catalogFile), 'utf8'));
      const rendered = renderText(result.diagnostics, texts);
      const expectedFile = join(dir, `${fixture.code}.expected.txt`);
      if (update || !existsSync(expectedFile)) writeFileSync(expectedFile, rendered);
      expect(rendered).toBe(readFileSync(expectedFile, 'utf8'));
    });
  }

  it('has a fixture for every code of the catalogue', () => {
    const covered = new Set(entries.map((e) => e.replace(/\.o2a$/, '')));
    // Catalog snapshot codes have their golden fixtures in test/fixtures/catalog (<CODE>-<case>.json);
    // the two that concern a file that cannot be read at all are asserted in test/catalog/snapshots.test.ts.
    for (const f of readdirSync(join(repoRoot, 'test', 'fixtures', 'catalog'))) {
      const m = /^(O2A\d{4})-.*\.json$/.exec(f);
      if (m) covered.add(m[1]!);
    }
    covered.add('O2A1001');
    covered.add('O2A1002');
    const missing = [...diagnosticCatalogue.keys()].filter((code) => !covered.has(code)).sort();
    expect(missing).toEqual([]);
  });
});
