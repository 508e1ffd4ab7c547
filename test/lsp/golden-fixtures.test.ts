// Every golden diagnostics fixture of the compiler (test/fixtures/diagnostics) comes through the
// server identically (code, range, message) to compileWorkspace's result for the same files and
// snapshot. One server; each fixture sits in its own directory (one compile unit) and the catalog
// setting is switched per fixture, as the golden test picks the snapshot.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { loadCatalog, parseCatalog } from '../../compiler/catalog/load.js';
import { makeWorkspace, repoRoot, startSession, type LspSession } from './harness.js';

const dir = join(repoRoot, 'test', 'fixtures', 'diagnostics');
const entries = existsSync(dir) ? readdirSync(dir).filter((e) => /^O2A\d{4}(\.o2a)?$/.test(e)).sort() : [];

interface Placed {
  code: string;
  files: string[];
  /** The catalog setting: a snapshot path relative to the root, or null for none. */
  catalog: string | null;
}

function place(root: string, entry: string): Placed {
  const code = entry.replace(/\.o2a$/, '');
  mkdirSync(join(root, code), { recursive: true });
  const source = join(dir, entry);
  if (!statSync(source).isDirectory()) {
    cpSync(source, join(root, code, entry));
    return { code, files: [`${code}/${entry}`], catalog: 'catalogs/2026.11' };
  }
  cpSync(source, join(root, code), { recursive: true });
  const files = readdirSync(source).filter((f) => f.endsWith('.o2a')).sort().map((f) => `${code}/${f}`);
  return { code, files, catalog: existsSync(join(source, 'catalog.json')) ? `${code}/catalog.json` : null };
}

describe.skipIf(entries.length === 0)('golden fixtures through the server', () => {
  let s: LspSession;
  let root: string;
  const placed: Placed[] = [];
  beforeAll(async () => {
    root = makeWorkspace();
    for (const e of entries) placed.push(place(root, e));
    s = await startSession({ root });
  });
  afterAll(async () => {
    await s.stop();
  });

  it.each(entries)('%s', async (entry) => {
    const p = placed.find((x) => x.code === entry.replace(/\.o2a$/, ''))!;
    const sources = p.files.map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
    let catalog;
    let catalogDiagnostics: ReturnType<typeof loadCatalog>['diagnostics'] = [];
    if (p.catalog !== null) {
      const loaded = p.catalog.endsWith('.json') ? parseCatalog(readFileSync(join(root, p.catalog), 'utf8'), p.catalog) : loadCatalog(join(repoRoot, p.catalog));
      catalog = loaded.catalog;
      catalogDiagnostics = loaded.diagnostics;
    }
    const expected = compileWorkspace(sources, catalog, { catalogDiagnostics }).diagnostics;
    expect(expected.map((d) => d.code)).toContain(p.code);

    await s.notify('workspace/didChangeConfiguration', { settings: { o2a: { catalog: p.catalog } } });
    const uris = [];
    for (const src of sources) uris.push(await s.open(src.file, src.text));
    const byFile = new Map<string, unknown[]>();
    for (const [i, src] of sources.entries()) byFile.set(src.file, await s.diagnostics(uris[i]!, 1));
    const checked = sources.map((src) => src.file);
    if (p.catalog?.endsWith('.json')) {
      checked.push(p.catalog);
      byFile.set(p.catalog, await s.diagnostics(s.uri(p.catalog)));
    }
    for (const file of checked) {
      const src = { file };
      const want = expected.filter((d) => d.file === src.file).map((d) => ({
        code: d.code,
        range: { start: { line: d.range.start.line, character: d.range.start.character }, end: { line: d.range.end.line, character: d.range.end.character } },
        message: d.message,
      }));
      const got = (byFile.get(src.file) as { code: string; range: unknown; message: string }[]).map((d) => ({ code: d.code, range: d.range, message: d.message }));
      expect(got, src.file).toEqual(want);
    }
    for (const u of uris) await s.close(u);
  });
});
