// Diagnostics over the protocol are the compiler's, unchanged: on open, on change, across the
// files of a directory, and again when the catalog snapshot changes on disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { compileWorkspace } from '../../compiler/index.js';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

const brief = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, range: d.range, message: d.message }));

describe('diagnostics', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ samplePlans: true, files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  it('publishes for every sample plan exactly what compileWorkspace reports', async () => {
    const files = readdirSync(join(s.root, 'plans')).filter((f) => f.endsWith('.o2a')).sort();
    const sources = files.map((f) => ({ file: `plans/${f}`, text: readFileSync(join(s.root, 'plans', f), 'utf8') }));
    const cwd = process.cwd();
    process.chdir(s.root);
    const loaded = loadCatalog('catalogs/2026.11');
    const expected = compileWorkspace(sources, loaded.catalog, { catalogDiagnostics: loaded.diagnostics }).diagnostics;
    process.chdir(cwd);
    const uri = await s.open('plans/home-fiber.o2a', sources.find((x) => x.file === 'plans/home-fiber.o2a')!.text);
    await s.diagnostics(uri, 1);
    for (const { file } of sources) {
      const got = await s.diagnostics(pathToFileURL(join(s.root, file)).href);
      const want = expected.filter((d) => d.file === file).map((d) => ({ code: d.code, range: { start: { line: d.range.start.line, character: d.range.start.character }, end: { line: d.range.end.line, character: d.range.end.character } }, message: d.message }));
      expect(brief(got), file).toEqual(want);
    }
  });

  it('reports a typo on open and clears it after the fix', async () => {
    const broken = plan.replace('resource ONT_GPON', 'resource ONT_GPOM');
    const uri = await s.open('lib/fiber.o2a', broken);
    const ds = await s.diagnostics(uri, 1);
    const typo = ds.find((d) => d.code === 'O2A2014');
    expect(typo?.range).toEqual(rangeOf(broken, 'ONT_GPOM'));
    expect(typo?.message).toContain("'ONT_GPOM'");
    expect(typo?.source).toBe('o2a');
    expect(typo?.relatedInformation?.[0]?.message).toBe("help: did you mean 'ONT_GPON'?");
    const v = await s.change(uri, plan);
    expect((await s.diagnostics(uri, v)).filter((d) => d.code === 'O2A2014')).toEqual([]);
  });

  it('checks across files: a template removed in another open document breaks the step that uses it', async () => {
    const planUri = await s.open('lib/fiber.o2a', plan);
    await s.diagnostics(planUri, 1);
    const templatesUri = await s.open('lib/templates.o2a', templates);
    await s.diagnostics(templatesUri, 1);
    const v = await s.change(templatesUri, templates.replace('CpeReservation', 'CpeReservations'));
    // One check publishes every file of the directory: the plan's comes with the templates'.
    await s.diagnostics(templatesUri, v);
    const after = await s.diagnostics(planUri);
    const unknown = after.find((d) => d.range.start.line === rangeOf(plan, 'CpeReservation').start.line);
    expect(String(unknown?.message)).toContain("'CpeReservation'");
    expect(unknown?.range).toEqual(rangeOf(plan, 'CpeReservation'));
    await s.diagnostics(templatesUri, await s.change(templatesUri, templates));
    expect((await s.diagnostics(planUri)).some((d) => String(d.message).includes("'CpeReservation'"))).toBe(false);
    await s.close(templatesUri);
    await s.close(planUri);
  });

  it('checks across files: a plan of another document taking the same item action is reported, and cleared when it changes', async () => {
    const ott = (name: string, actions: string) =>
      `catalog telco-core 2026.11\n\nplan ${name} for offering OTT_STREAMING${actions} {\n  step order: service_order_item { service OTT_STREAMING_CFS }\n}\n`;
    const firstUri = await s.open('lib/ott.o2a', ott('OttStreaming', ' action add'));
    await s.diagnostics(firstUri, 1);
    const ceaseUri = await s.open('lib/ott-cease.o2a', ott('OttCease', ''));
    const twice = (await s.diagnostics(ceaseUri, 1)).filter((d) => d.code === 'O2A4029');
    expect(twice.map((d) => d.message)).toEqual(['plan OttCease and plan OttStreaming both fulfil add of OTT_STREAMING (no `action` written: a new offering\'s plan fulfils add)']);
    // The other file changes (this one's text does not): its finding goes, then comes back.
    let v = await s.change(firstUri, ott('OttStreaming', ' action modify'));
    await s.diagnostics(firstUri, v);
    expect((await s.diagnostics(ceaseUri)).filter((d) => d.code === 'O2A4029')).toEqual([]);
    v = await s.change(firstUri, ott('OttStreaming', ' action add'));
    await s.diagnostics(firstUri, v);
    expect((await s.diagnostics(ceaseUri)).filter((d) => d.code === 'O2A4029')).toHaveLength(1);
    await s.close(ceaseUri);
    await s.close(firstUri);
  });
});

describe('diagnostics when the catalog changes on disk', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({ copyCatalogs: true, files: { 'lib/templates.o2a': templates } });
  });
  afterAll(() => s.stop());

  it('re-checks open documents after a watched catalog file changes', async () => {
    const uri = await s.open('lib/fiber.o2a', plan);
    expect((await s.diagnostics(uri, 1)).filter((d) => d.severity === 1)).toEqual([]);
    const catalogFile = join(s.root, 'catalogs', '2026.11', 'catalog.json');
    const data = JSON.parse(readFileSync(catalogFile, 'utf8')) as { activationTargets: { id: string }[] };
    data.activationTargets = data.activationTargets.filter((t) => t.id !== 'OLT_BNG_RADIUS');
    writeFileSync(catalogFile, JSON.stringify(data, null, 2));
    const next = s.nextDiagnostics(uri);
    await s.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(catalogFile).href, type: 2 }] });
    const ds = await next;
    const missing = ds.find((d) => d.code === 'O2A2016');
    expect(missing?.range).toEqual(rangeOf(plan, 'OLT_BNG_RADIUS'));
  });
});
