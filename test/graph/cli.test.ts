import { describe, it, expect } from 'vitest';
import { Command } from 'commander';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { registerGraphCommands, parseStateFile } from '../../cli/commands/graph.js';
import type { CommandContext } from '../../cli/main.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

async function graph(...args: string[]) {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx: CommandContext = { stdout, stderr, exitCode: 0 };
  const program = new Command('o2a').exitOverride();
  registerGraphCommands(program, ctx);
  await program.parseAsync(['node', 'o2a', 'graph', ...args]);
  return { code: ctx.exitCode, stdout: stdout.text, stderr: stderr.text };
}

describe('o2a graph', () => {
  it('asks which plan to draw when a folder holds several', async () => {
    const r = await graph('plans');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/several plans: pick one with --plan \(.*HomeFiber1G/);
  });

  it('suggests the closest plan id for a typo', async () => {
    const r = await graph('plans', '--plan', 'HomeFiber1g');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("did you mean 'HomeFiber1G'?");
  });

  it('writes mermaid to a file with --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-graph-'));
    try {
      const out = join(dir, 'fiber.mmd');
      const r = await graph('plans', '--plan', 'HomeFiber1G', '--format', 'mermaid', '--out', out);
      expect(r.code).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('n_install_slot --> n_install');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('colours a running saga with --state and warns about step ids the plan lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-graph-'));
    try {
      const state = join(dir, 'saga.json');
      writeFileSync(state, JSON.stringify({ internet: 'SUCCEEDED', ont: 'succeeded', install_slot: 'WAITING', instal: 'FAILED' }));
      const r = await graph('plans', '--plan', 'HomeFiber1G', '--state', state);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('data-id="install_slot" data-state="WAITING"');
      expect(r.stdout).toContain('data-id="ont" data-state="SUCCEEDED"');
      expect(r.stderr).toContain("names 'instal', which is not a step of HomeFiber1G: did you mean 'install'?");
      writeFileSync(state, JSON.stringify({ ont: 'DONE' }));
      const bad = await graph('plans', '--plan', 'HomeFiber1G', '--state', state);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('expected step ids mapped to one of');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the state file shapes a saga read model may give', () => {
    expect(parseStateFile('{"steps":[{"stepId":"ont","state":"FAILED"}]}')).toEqual(new Map([['ont', 'FAILED']]));
    expect(parseStateFile('{"steps":{"ont":"UNKNOWN"}}')).toEqual(new Map([['ont', 'UNKNOWN']]));
    expect(parseStateFile('nope')).toMatch(/^not JSON/);
  });
});
