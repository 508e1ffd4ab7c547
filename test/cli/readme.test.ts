// The README is the user's first promise: the two set-up commands and every diagnostic code.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { diagnosticCatalogue } from '../../compiler/diagnostics/index.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });

  it('lists every diagnostic code of the catalogue with its name', () => {
    const missing = [...diagnosticCatalogue.values()].filter((d) => !readme.includes(`| ${d.code} | ${d.name} |`)).map((d) => d.code);
    expect(missing).toEqual([]);
  });
});
