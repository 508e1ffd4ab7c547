// The real command line: `node bin/o2a.js diff|graph ...` in a child process, once cli/main.ts
// registers the commands (registerDiffCommands, registerGraphCommands).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const wired = readFileSync('cli/main.ts', 'utf8').includes('registerDiffCommands(');

function o2a(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/o2a.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const fixture = (rule: string, side: string) => `test/fixtures/diff/${rule}/${side}`;

describe.runIf(wired)('node bin/o2a.js diff', () => {
  it('exits 0, 2 and 3 by the changes found and --fail-on', () => {
    expect(o2a('diff', fixture('step-added', 'previous'), fixture('step-added', 'previous')).code).toBe(0);
    expect(o2a('diff', fixture('step-added', 'previous'), fixture('step-added', 'current')).code).toBe(2);
    expect(o2a('diff', fixture('step-added', 'previous'), fixture('step-added', 'current'), '--fail-on', 'safe').code).toBe(3);
    const removed = o2a('diff', fixture('step-removed', 'previous'), fixture('step-removed', 'current'));
    expect(removed.stdout).toContain('Plan diff: 1 breaking, 0 dangerous, 1 safe.');
    expect(removed.code).toBe(3);
  });

  it('exits 1 on an error, usage errors included (2 would read as "changes below --fail-on")', () => {
    expect(o2a('diff', 'no/such/dir', fixture('step-added', 'current')).code).toBe(1);
    expect(o2a('diff', fixture('step-added', 'previous'), fixture('step-added', 'current'), '--fail-on', 'everything').code).toBe(1);
  });

  it('draws a plan with o2a graph', () => {
    const r = o2a('graph', 'plans', '--plan', 'HomeFiber1G', '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"install_slot" -> "install";');
  });
});
