// Output for a person stays bounded and inert: control characters of a binary file are escaped, a
// megabyte-long name is cut in messages and in the source excerpt.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkspace } from '../../compiler/index.js';
import { renderText } from '../../cli/printers/text.js';
import { catalog, repoRoot } from './helpers.js';

const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');

function render(text: string) {
  const sources = [{ file: 'plans/home-fiber.o2a', text }, { file: 'plans/templates.o2a', text: templates }];
  const result = compileWorkspace(sources, catalog(), { emit: false });
  return { result, text: renderText(result.diagnostics, new Map(sources.map((s) => [s.file, s.text]))) };
}

describe('diagnostics output', () => {
  it('cuts a megabyte-long name in messages and excerpts, and looks for no suggestion for it', () => {
    const name = 'v'.repeat(1_000_000);
    const { result, text } = render(homeFiber.replace('step verify: verification', `step verify: ${name}`));
    expect(result.diagnostics.map((d) => d.code)).toEqual(['O2A2012']);
    const unknown = result.diagnostics[0]!;
    expect(unknown.message).toMatch(/^unknown step kind 'v+\.\.\. \(1000000 characters\)'$/);
    expect(unknown.message.length).toBeLessThan(200);
    // No did-you-mean (a name that long was not misspelt): the kinds there are, listed.
    expect(unknown.help).toMatch(/^the step kinds of this catalog are: activation, /);
    expect(unknown.fixes ?? []).toEqual([]);
    // The range still covers the whole name.
    expect(unknown.range.end.offset - unknown.range.start.offset).toBe(1_000_000);
    expect(text.length).toBeLessThan(10_000);
    for (const line of text.split('\n')) expect(line.length).toBeLessThan(400);
  });

  it('a megabyte-long misspelt keyword, step reference and catalog name: one finding each, cut, no suggestion', () => {
    const name = 'v'.repeat(1_000_000);
    for (const [from, to, code] of [
      ['step verify: verification', `${name} verify: verification`, 'O2A0004'],
      ['service INTERNET_ACCESS_CFS', `service ${name}`, 'O2A2013'],
    ] as const) {
      const { result, text } = render(homeFiber.replace(from, to));
      const found = result.diagnostics.filter((d) => d.code === code);
      expect(found).toHaveLength(1);
      expect(found[0]!.help ?? '').not.toMatch(/did you mean/);
      expect(text.length).toBeLessThan(10_000);
    }
  });

  it('escapes the control characters of a binary file', () => {
    const { result, text } = render(homeFiber.replace('step verify: verification', 'step verify: verification \u0007\u001b[2J\u0000'));
    expect(result.diagnostics.some((d) => d.code === 'O2A0001')).toBe(true);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('\\u0007\\u001b');
  });
});
