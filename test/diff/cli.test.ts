// `o2a diff` through commander, as a user runs it: exit codes, formats, approvals, --from and
// --catalog-from/--catalog-to.
import { describe, it, expect } from 'vitest';
import { Command, CommanderError } from 'commander';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { registerDiffCommands } from '../../cli/commands/diff.js';
import { compileJsonSchema } from '../../compiler/schemas.js';
import { diffReportJsonSchema, type DiffReport } from '../../compiler/diff/index.js';
import type { CommandContext } from '../../cli/main.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runO2a(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx: CommandContext = { stdout, stderr, exitCode: 0 };
  const program = new Command('o2a').exitOverride().configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  registerDiffCommands(program, ctx);
  const before = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    await program.parseAsync(['node', 'o2a', ...args]);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
  } finally {
    if (cwd) process.chdir(before);
  }
  return { code: ctx.exitCode, stdout: stdout.text, stderr: stderr.text };
}

const fixture = (rule: string, side: 'previous' | 'current') => `test/fixtures/diff/${rule}/${side}`;

describe('o2a diff exit codes', () => {
  it('exits 0 with no changes', async () => {
    const r = await runO2a(['diff', fixture('timeout-shortened', 'previous'), fixture('timeout-shortened', 'previous')]);
    expect(r.stdout).toContain('Plan diff: no changes.');
    expect(r.code).toBe(0);
  });

  it('exits 2 when every change is below --fail-on, 3 when one is at or above it', async () => {
    const args = ['diff', fixture('timeout-shortened', 'previous'), fixture('timeout-shortened', 'current')];
    const below = await runO2a(args);
    expect(below.stdout).toContain('~ timeout.ms: 3d -> 1d  [dangerous timeout-shortened]');
    expect(below.stdout).toContain('Plan diff: 0 breaking, 1 dangerous, 0 safe.');
    expect(below.code).toBe(2);
    expect((await runO2a([...args, '--fail-on', 'dangerous'])).code).toBe(3);
    expect((await runO2a(['diff', fixture('step-removed', 'previous'), fixture('step-removed', 'current')])).code).toBe(3);
  });

  it('exits 1 on a missing input, with the reason on stderr', async () => {
    const r = await runO2a(['diff', 'no/such/dir', fixture('step-removed', 'current')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file or directory: no/such/dir');
  });

  it('exits 1 on a usage error, never 2 (which means changes below --fail-on)', async () => {
    const r = await runO2a(['diff', '--fail-on', 'everything', 'a', 'b']);
    expect(r.stderr).toContain("argument 'everything' is invalid");
    expect(r.code).toBe(1);
  });

  it('exits 1 when given one path and no --from', async () => {
    const r = await runO2a(['diff', fixture('step-removed', 'current')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('give a previous and a current path');
  });
});

describe('o2a diff approvals', () => {
  it('reports an approved breaking change but does not fail on it', async () => {
    const args = ['diff', fixture('step-removed', 'previous'), fixture('step-removed', 'current')];
    const json = JSON.parse((await runO2a([...args, '--format', 'json'])).stdout) as DiffReport;
    const removal = json.changes.find((c) => c.rule === 'step-removed')!;
    const dir = mkdtempSync(join(tmpdir(), 'o2a-approvals-'));
    try {
      const file = join(dir, 'approved.json');
      writeFileSync(file, JSON.stringify({ approvals: [{ fingerprint: removal.fingerprint, note: 'router moved to the CPE plan', rule: 'step-removed' }] }));
      const r = await runO2a([...args, '--approved', file]);
      expect(r.stdout).toContain('(approved: router moved to the CPE plan)');
      expect(r.stdout).toMatch(/\(1 approved\)\.\n$/);
      expect(r.code).toBe(2);
      writeFileSync(file, '{"approvals": "all"}');
      const broken = await runO2a([...args, '--approved', file]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain('approved.json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('o2a diff formats', () => {
  const args = ['diff', fixture('step-removed', 'previous'), fixture('step-removed', 'current')];

  it('prints JSON valid against schemas/diff.schema.json', async () => {
    const r = await runO2a([...args, '--format', 'json']);
    const validate = compileJsonSchema(JSON.parse(readFileSync('schemas/diff.schema.json', 'utf8')) as object);
    const report = JSON.parse(r.stdout) as DiffReport;
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.exitCode).toBe(r.code);
    expect(compileJsonSchema(diffReportJsonSchema())(report)).toBe(true);
  });

  it('prints GitHub annotations pointing at the plan sources', async () => {
    const r = await runO2a([...args, '--format', 'github']);
    expect(r.stdout).toMatch(/^::error file=plans\.o2a,line=\d+,title=o2a diff%3A breaking step-removed::HomeFiber1G step router/m);
  });

  it('prints markdown and SARIF', async () => {
    expect((await runO2a([...args, '--format', 'markdown'])).stdout).toContain('| 🛑 breaking | `step-removed` | HomeFiber1G | `router` |');
    const sarif = JSON.parse((await runO2a([...args, '--format', 'sarif'])).stdout) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.map((x) => x.ruleId)).toContain('step-removed');
  });
});

describe('o2a diff --from <git-rev>', () => {
  it('compares the plans folder at a revision with the working tree', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'o2a-git-'));
    try {
      const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, stdio: 'pipe' });
      git('init', '-q');
      git('config', 'user.email', 'ci@example.com');
      git('config', 'user.name', 'ci');
      cpSync(fixture('timeout-shortened', 'previous'), join(repo, 'plans'), { recursive: true });
      cpSync('catalogs', join(repo, 'catalogs'), { recursive: true });
      git('add', '.');
      git('commit', '-q', '-m', 'plans');
      cpSync(join(fixture('timeout-shortened', 'current'), 'plans.o2a'), join(repo, 'plans', 'plans.o2a'));
      const r = await runO2a(['diff', '--from', 'HEAD', '--format', 'github'], repo);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^::warning file=plans\/plans\.o2a,line=\d+,title=o2a diff%3A dangerous timeout-shortened::HomeFiber1G step install_slot/m);
      expect(r.code).toBe(2);
      const bad = await runO2a(['diff', '--from', 'no-such-rev'], repo);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("'no-such-rev' is not a git revision");
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
