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
