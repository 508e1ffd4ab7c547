// The language server checks a unit against the snapshot `o2a check` picks (one rule,
// compiler/catalog/pins.ts) and shows the same findings on the `catalog` lines: a plan pinned to an
// older snapshot than its templates is the file re-pinned; a pin to no snapshot is O2A2004.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { compilePaths } from '../../cli/commands/compiler.js';
import { repoRoot, startSession, type LspSession } from './harness.js';

const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');

const brief = (ds: Diagnostic[]) =>
  ds.map((d) => ({ code: d.code, range: d.range, message: d.message })).sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || String(a.code).localeCompare(String(b.code)));

/** What `o2a check <dir>` run at the workspace root reports for each file of the folder. */
function cliFindings(root: string, dir: string) {
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const ws = compilePaths([dir], undefined, { emit: false });
    return (file: string) =>
      brief(
        ws.diagnostics
          .filter((d) => d.file === file)
          .map((d) => ({ code: d.code, range: { start: { line: d.range.start.line, character: d.range.start.character }, end: { line: d.range.end.line, character: d.range.end.character } }, message: d.message }) as Diagnostic),
      );
  } finally {
    process.chdir(cwd);
  }
}

describe('catalog pins in the language server', () => {
  let s: LspSession;
  beforeAll(async () => {
    s = await startSession({
      files: {
        'mixed/home-fiber.o2a': homeFiber.replace('catalog telco-core 2026.11', 'catalog telco-core 2026.10'),
        'mixed/templates.o2a': templates,
        'missing/home-fiber.o2a': homeFiber.replace('catalog telco-core 2026.11', 'catalog telco-core 2026.1'),
        'missing/templates.o2a': templates.replace('catalog telco-core 2026.11', 'catalog telco-core 2026.1'),
      },
    });
  });
  afterAll(() => s.stop());

  it('a plan pinned to an older snapshot than its templates: checked against the newer, the plan is the one re-pinned, as by the CLI', async () => {
    const uri = await s.open('mixed/home-fiber.o2a', readFileSync(join(s.root, 'mixed/home-fiber.o2a'), 'utf8'));
    const plan = await s.diagnostics(uri, 1);
    const pin = plan.filter((d) => d.code === 'O2A2003');
    expect(pin).toHaveLength(1);
    expect(pin[0]!.range.start).toEqual({ line: 0, character: 19 });
    expect(pin[0]!.message).toContain('checked against 2026.11');
    const tpl = await s.diagnostics(s.uri('mixed/templates.o2a'));
    expect(tpl.filter((d) => d.code === 'O2A2003')).toEqual([]);
    const cli = cliFindings(s.root, 'mixed');
    expect(brief(plan)).toEqual(cli('mixed/home-fiber.o2a'));
    expect(brief(tpl)).toEqual(cli('mixed/templates.o2a'));
    // Its fix is the CLI's: re-pin the plan to 2026.11.
    const actions = await s.request<{ title: string }[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: pin[0]!.range,
      context: { diagnostics: [pin[0]] },
    });
    expect(actions.map((a) => a.title)).toContain('Re-pin to 2026.11');
  });

  it('pins to a snapshot that does not exist: O2A2004 on each version with a did-you-mean, as by the CLI', async () => {
    const uri = await s.open('missing/home-fiber.o2a', readFileSync(join(s.root, 'missing/home-fiber.o2a'), 'utf8'));
    const plan = await s.diagnostics(uri, 1);
    const pin = plan.filter((d) => d.code === 'O2A2004');
    expect(pin).toHaveLength(1);
    expect(pin[0]!.range.start).toEqual({ line: 0, character: 19 });
    expect(pin[0]!.message).toContain('no snapshot catalogs/2026.1');
    expect(pin[0]!.relatedInformation?.[0]?.message).toMatch(/did you mean 2026\.1[01]\?/);
    const cli = cliFindings(s.root, 'missing');
    expect(brief(plan)).toEqual(cli('missing/home-fiber.o2a'));
    expect(brief(await s.diagnostics(s.uri('missing/templates.o2a')))).toEqual(cli('missing/templates.o2a'));
  });
});
