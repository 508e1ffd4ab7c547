// `compileWorkspace(..., { emit: false })`, as the language server calls it: the same diagnostics
// as a full compile, and no compiled plans.
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { catalog, languageExampleAsWritten, repoRoot } from './helpers.js';

const dir = join(repoRoot, 'test', 'fixtures', 'diagnostics');
const singleFileFixtures = readdirSync(dir).filter((e) => /^O2A\d{4}\.o2a$/.test(e) && statSync(join(dir, e)).isFile()).sort();

describe('compileWorkspace with emit: false', () => {
  it('compiles no plans from a valid plan that a full compile emits', () => {
    const sources = [{ file: 'example.o2a', text: languageExampleAsWritten() }];
    const full = compileWorkspace(sources, catalog());
    const checked = compileWorkspace(sources, catalog(), { emit: false });
    expect(full.plans.length).toBeGreaterThan(0);
    expect(checked.plans).toEqual([]);
    expect(checked.diagnostics).toEqual(full.diagnostics);
  });

  it.each(singleFileFixtures)('reports the same diagnostics as a full compile for %s', (entry) => {
    const sources = [{ file: entry, text: readFileSync(join(dir, entry), 'utf8') }];
    const full = compileWorkspace(sources, catalog());
    const checked = compileWorkspace(sources, catalog(), { emit: false });
    expect(checked.diagnostics).toEqual(full.diagnostics);
  });

  it('still reports a bundle blocked by a plan with errors (O2A5004)', () => {
    const text = readFileSync(join(dir, 'O2A5004.o2a'), 'utf8');
    const checked = compileWorkspace([{ file: 'O2A5004.o2a', text }], catalog(), { emit: false });
    expect(checked.diagnostics.map((d) => d.code)).toContain('O2A5004');
  });
});
