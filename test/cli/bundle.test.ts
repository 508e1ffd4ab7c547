// The `o2a` command runs a prebuilt bundle of the CLI (bin/bundle.js): it must rebuild itself
// when a source changes, give the same answers as the TypeScript sources, and keep working
// without esbuild (through tsx).
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'o2a.js');

function o2a(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
}

function currentBuild(): { dir: string; inputs: Record<string, string> } {
  return JSON.parse(readFileSync(join(root, 'dist', 'current.json'), 'utf8')) as { dir: string; inputs: Record<string, string> };
}

describe('the o2a command', () => {
  it('runs from a bundle that lists the sources it was built from', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(o2a(['--version']).trim()).toBe(version);
    const build = currentBuild();
    expect(Object.keys(build.inputs)).toEqual(expect.arrayContaining(['cli/main.ts', 'compiler/index.ts', 'compiler/syntax/parser.ts']));
    expect(statSync(join(root, 'dist', build.dir, 'main.js')).isFile()).toBe(true);
  });

  it('rebuilds the bundle when a source file changed', { timeout: 60_000 }, () => {
    o2a(['--version']);
    const before = currentBuild();
    const source = join(root, 'cli', 'printers', 'text.ts');
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(mtime.getTime() + 5000));
    try {
      o2a(['--version']);
      const after = currentBuild();
      expect(after.dir).not.toBe(before.dir);
      expect(after.inputs['cli/printers/text.ts']).not.toBe(before.inputs['cli/printers/text.ts']);
    } finally {
      utimesSync(source, atime, mtime);
    }
  });

  it('gives the same findings from the bundle and from the TypeScript sources', { timeout: 60_000 }, () => {
    const args = ['check', 'test/fixtures/diagnostics/O2A2031.o2a', '--catalog', 'catalogs/2026.11', '--format', 'json'];
    const run = (env: Record<string, string>) => {
      try {
        return o2a(args, env);
      } catch (error) {
        return (error as { stdout: string }).stdout;
      }
    };
    const bundled = run({});
    expect(JSON.parse(bundled)).toBeTruthy();
    expect(run({ O2A_TSX: '1' })).toBe(bundled);
  });
});
