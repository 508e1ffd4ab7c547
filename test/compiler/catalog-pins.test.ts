// A wrong catalog pin without --catalog is a finding on the file's catalog line, never a usage
// error: a code, a range on the `catalog` line, a did-you-mean among the snapshots that exist.
import { describe, it, expect, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePaths } from '../../cli/commands/compiler.js';
import { renderJson } from '../../cli/printers/json.js';
import { repoRoot } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'o2a-pins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const homeFiber = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8');
const templates = readFileSync(join(repoRoot, 'plans', 'templates.o2a'), 'utf8');

describe('catalog pins without --catalog (the snapshots of catalogs/)', () => {
  it('a pin to a snapshot that does not exist: a finding on the version, with a did-you-mean and JSON output', () => {
    mkdirSync(join(dir, 'missing'));
    const plan = join(dir, 'missing', 'home-fiber.o2a');
    writeFileSync(plan, homeFiber.replace('2026.11', '2026.1'));
    const ws = compilePaths([plan], undefined, { emit: false });
    const pins = ws.diagnostics.filter((d) => d.code === 'O2A2004' && d.file === plan);
    expect(pins).toHaveLength(1);
    expect(pins[0]!.range.start).toMatchObject({ line: 0, character: 19 });
    expect(pins[0]!.message).toContain('2026.1');
    expect(pins[0]!.help).toMatch(/did you mean 2026\.1[01]\?/);
    expect(pins[0]!.fixes?.[0]?.edits[0]?.newText).toMatch(/^2026\.1[01]$/);
    expect(JSON.parse(renderJson(ws.diagnostics, ws.fileCount)).errors).toBeGreaterThan(0);
  });

  it('a plan pinned to an older snapshot than its templates: the plan is the one re-pinned, to the newer one', () => {
    const plan = join(dir, 'mixed-plans', 'home-fiber.o2a');
    rmSync(join(dir, 'mixed-plans'), { recursive: true, force: true });
    mkdirSync(join(dir, 'mixed-plans'));
    writeFileSync(plan, homeFiber.replace('2026.11', '2026.10'));
    writeFileSync(join(dir, 'mixed-plans', 'templates.o2a'), templates);
    const ws = compilePaths([join(dir, 'mixed-plans')], undefined, { emit: false });
    const pins = ws.diagnostics.filter((d) => d.code === 'O2A2003');
    expect(pins.map((d) => d.file)).toEqual([plan]);
    expect(pins[0]!.fixes?.[0]?.title).toBe('Re-pin to 2026.11');
  });

  it('files without a catalog line: findings, not a usage error', () => {
    mkdirSync(join(dir, 'unpinned'));
    const plan = join(dir, 'unpinned', 'home-fiber.o2a');
    writeFileSync(plan, homeFiber.replace('catalog telco-core 2026.11\n', ''));
    const ws = compilePaths([plan], undefined, { emit: false });
    expect(ws.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['O2A0007', 'O2A2004']));
  });
});
