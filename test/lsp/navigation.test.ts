// Go to definition, find references, prepare-rename and rename, across files.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Location, WorkspaceEdit } from 'vscode-languageserver-protocol';
import { applyEdits, cursor, rangeOf, startSession, type LspSession } from './harness.js';
import { plan, templates } from './fixtures.js';

describe('definition, references, rename', () => {
  let s: LspSession;
  let planUri: string;
  let templatesUri: string;
  beforeAll(async () => {
    s = await startSession({});
    templatesUri = await s.open('lib/templates.o2a', templates);
    planUri = await s.open('lib/fiber.o2a', plan);
    await s.diagnostics(planUri, 1);
  });
  afterAll(() => s.stop());

  const at = (text: string, marked: string) => cursor(text.replace(marked.replace('|', ''), marked.replace('|', '<|>'))).position;

  it('goes from a step name in `after` to the step, and from a template use to the other file', async () => {
    const loc = await s.request<Location>('textDocument/definition', { textDocument: { uri: planUri }, position: at(plan, 'after o|nt {') });
    expect(loc).toEqual({ uri: planUri, range: rangeOf(plan, 'ont', 0) });
    const tpl = await s.request<Location>('textDocument/definition', { textDocument: { uri: planUri }, position: at(plan, 'from Cpe|Reservation') });
    expect(tpl).toEqual({ uri: templatesUri, range: rangeOf(templates, 'CpeReservation') });
  });

  it('goes from a catalog name to its entry in catalog.json', async () => {
    const loc = await s.request<Location>('textDocument/definition', { textDocument: { uri: planUri }, position: at(plan, 'resource ONT_|GPON') });
    expect(loc.uri).toBe(s.uri('catalogs/2026.11/catalog.json'));
    expect(loc.range.end.character - loc.range.start.character).toBe('ONT_GPON'.length);
  });

  it('finds every reference of a step, with and without its declaration', async () => {
    const position = at(plan, 'step o|nt from');
    const refs = await s.request<Location[]>('textDocument/references', { textDocument: { uri: planUri }, position, context: { includeDeclaration: true } });
    const ont = (nth: number) => ({ uri: planUri, range: rangeOf(plan, 'ont', nth) });
    // `ont` occurs as: the declaration, `after ont`, `before ont`, `after ont` (cancel).
    expect(refs).toEqual([ont(0), ont(1), ont(2), ont(3)]);
    const uses = await s.request<Location[]>('textDocument/references', { textDocument: { uri: planUri }, position, context: { includeDeclaration: false } });
    expect(uses).toEqual([ont(1), ont(2), ont(3)]);
  });

  it('prepares a rename on a step and refuses one on a catalog name', async () => {
    const ok = await s.request<{ range: unknown; placeholder: string }>('textDocument/prepareRename', { textDocument: { uri: planUri }, position: at(plan, 'after netw|ork') });
    expect(ok).toEqual({ range: rangeOf(plan, 'network', 1), placeholder: 'network' });
    const no = await s.request<unknown>('textDocument/prepareRename', { textDocument: { uri: planUri }, position: at(plan, 'resource ONT_|GPON') });
    expect(no).toBeNull();
  });

  it('renames a step everywhere it is used', async () => {
    const edit = await s.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: planUri }, position: at(plan, 'step o|nt from'), newName: 'ont_reservation' });
    const renamed = applyEdits(plan, edit.changes![planUri]!);
    expect(renamed).toContain('step ont_reservation from CpeReservation after internet');
    expect(renamed).toContain('step network: activation after ont_reservation {');
    expect(renamed).toContain('cancel { before ont_reservation: stop  after ont_reservation: compensate }');
  });

  it('renames a template across files', async () => {
    const edit = await s.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri: templatesUri }, position: at(templates, 'template Cpe|Reservation'), newName: 'CpeHold' });
    expect(Object.keys(edit.changes!).sort()).toEqual([planUri, templatesUri].sort());
    expect(applyEdits(plan, edit.changes![planUri]!)).toContain('step ont from CpeHold after internet');
    expect(applyEdits(templates, edit.changes![templatesUri]!)).toContain('template CpeHold: resource_reservation');
  });

  it('refuses a rename onto a step name already taken', async () => {
    await expect(s.request('textDocument/rename', { textDocument: { uri: planUri }, position: at(plan, 'step o|nt from'), newName: 'network' })).rejects.toThrow("a step named 'network' already exists");
  });
});
