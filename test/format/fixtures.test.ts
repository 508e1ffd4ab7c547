// Formatter baselines: test/fixtures/format/<case>.input.o2a formats to <case>.expected.o2a.
// Run with UPDATE_BASELINES=1 to re-bless the expected files after a deliberate change.
import { describe, it, expect } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { format } from '../../compiler/format/index.js';
import { parse } from '../../compiler/syntax/index.js';

const dir = new URL('../fixtures/format/', import.meta.url);
const update = process.env['UPDATE_BASELINES'] === '1';
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.input.o2a'))
  .map((f) => f.slice(0, -'.input.o2a'.length))
  .sort();

/** Each documented declaration, step and item with its doc comment. */
function docs(source: string): string[] {
  const out: string[] = [];
  for (const d of parse(source, 'x').document.declarations) {
    if (d.doc !== undefined) out.push(`${d.name.name}: ${d.doc}`);
    const members = d.kind === 'Template' ? [] : d.members;
    for (const m of members) if ((m.kind === 'Step' || m.kind === 'Item') && m.doc !== undefined) out.push(`${d.name.name}.${m.name.name}: ${m.doc}`);
  }
  return out;
}

describe('formatter baselines', () => {
  it('has at least eight cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(8);
  });

  it.each(cases)('%s', (name) => {
    const input = readFileSync(new URL(`${name}.input.o2a`, dir), 'utf8');
    const expectedUrl = new URL(`${name}.expected.o2a`, dir);
    const result = format(input, `${name}.input.o2a`);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (update || !existsSync(expectedUrl)) writeFileSync(expectedUrl, result.text);
    expect(result.text).toBe(readFileSync(expectedUrl, 'utf8'));
    expect(format(result.text, 'again.o2a').text).toBe(result.text);
    expect(parse(result.text, 'x').document.comments.map((c) => c.text)).toEqual(parse(input, 'x').document.comments.map((c) => c.text));
    // A `///` documents the same declaration, step or item after formatting as before.
    expect(docs(result.text)).toEqual(docs(input));
  });
});

describe('doc comments', () => {
  it('a `///` after code stays where it was and documents nothing; one on its own line keeps its step', () => {
    const input = readFileSync(new URL('doc-comments-after-code.input.o2a', dir), 'utf8');
    expect(docs(input)).toEqual(['HomeFiber: Home fiber: the doc of the plan.', 'HomeFiber.install: The doc of install.']);
    expect(docs(format(input, 'x.o2a').text)).toEqual(docs(input));
  });
});

describe('format', () => {
  it('returns a file with syntax errors unchanged, with its diagnostics', () => {
    const source = 'catalog c 1\nplan   P for offering O {  step a activation }\n';
    const result = format(source, 'broken.o2a');
    expect(result).toMatchObject({ text: source, changed: false });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['O2A0004']);
  });

  it('says whether the text changed', () => {
    expect(format('catalog c 1\n', 'a.o2a')).toMatchObject({ text: 'catalog c 1\n', changed: false });
    expect(format('catalog  c 1', 'a.o2a')).toMatchObject({ text: 'catalog c 1\n', changed: true });
  });

  it('formats a file without catalog binding and keeps the warning', () => {
    const result = format('plan P for offering O {step a: x}', 'a.o2a');
    expect(result.text).toBe('plan P for offering O {\n  step a: x\n}\n');
    expect(result.diagnostics.map((d) => d.code)).toEqual(['O2A0007']);
  });
});
