// One file given alone (issue #13): checked in its workspace, the .o2a files of its folder, as the
// language server's compile unit; only its findings reported; a command that compiles nothing
// says why, with the diagnostics that stopped it.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../cli/main.js';
import { planWorkspace } from '../../cli/workspace.js';
import { loadPlans } from '../../runtime/cli-commands.js';

function capture() {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += String(chunk); cb(); } });
  return { stream, text: () => text };
}

async function o2a(...args: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(['node', 'o2a', ...args], { stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** A copy of plans/ with some files replaced; returns the folder. */
function plansWith(changes: Record<string, (text: string) => string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'o2a-single-')), 'plans');
  mkdirSync(dir);
  for (const f of readdirSync('plans')) {
    const text = readFileSync(join('plans', f), 'utf8');
    writeFileSync(join(dir, f), changes[f]?.(text) ?? text);
  }
  return dir;
}

const brokenTemplate = (t: string) => t.replace('retry 5 every 1m', 'retry 5 evry 1m');
const brokenMobile = (t: string) => t.replace(/service (\w+)/, 'service NO_SUCH_CFS');

describe('the workspace of a file given alone', () => {
  it('is the .o2a files of its folder, the file alone in focus', () => {
    const ws = planWorkspace(['plans/home-fiber.o2a']);
    expect(ws.files).toEqual(readdirSync('plans').filter((f) => f.endsWith('.o2a')).map((f) => `plans/${f}`).sort());
    expect([...ws.focus!]).toEqual(['plans/home-fiber.o2a']);
    expect(planWorkspace(['plans']).focus).toBeUndefined();
  });
});

describe('o2a check <file>', () => {
  it('checks a correct plan clean, its templates read from the file beside it', async () => {
    expect(readFileSync('plans/home-fiber.o2a', 'utf8')).toContain('from CpeReservation');
    const r = await o2a('check', 'plans/home-fiber.o2a');
    expect(r.stdout).toBe('1 file checked: 0 errors, 0 warnings, 0 notes\n');
    expect(r.code).toBe(0);
  });

  it('reports only the file\'s findings, not those of the files beside it', async () => {
    const dir = plansWith({ 'mobile-postpaid.o2a': brokenMobile });
    const whole = await o2a('check', dir, '--format', 'json');
    expect(JSON.parse(whole.stdout).errors).toBeGreaterThan(0);
    const r = await o2a('check', join(dir, 'home-fiber.o2a'), '--format', 'json');
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 1, errors: 0 });
    expect(r.code).toBe(0);
    const mobile = await o2a('check', join(dir, 'mobile-postpaid.o2a'), '--format', 'json');
    expect(JSON.parse(mobile.stdout).diagnostics.map((d: { code: string }) => d.code)).toEqual(['O2A2013']);
  });

  it('reports an error elsewhere that stops the file\'s plan: in a template it uses', async () => {
    const dir = plansWith({ 'templates.o2a': brokenTemplate });
    const r = await o2a('check', join(dir, 'home-fiber.o2a'));
    expect(r.stdout).toContain("templates.o2a:6:11: error[O2A0004]: unexpected 'evry'");
    expect(r.stdout).toContain('1 file checked: 1 error');
    expect(r.code).toBe(1);
  });
});

describe('o2a compile <file>', () => {
  it('writes the file\'s plans only, though a file beside it has errors', async () => {
    const dir = plansWith({ 'mobile-postpaid.o2a': brokenMobile });
    const out = mkdtempSync(join(tmpdir(), 'o2a-single-out-'));
    const r = await o2a('compile', join(dir, 'home-fiber.o2a'), '-o', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).map((f) => f.split('@')[0])).toEqual(['HomeFiber1G']);
  });

  it('compiling nothing says why', async () => {
    const dir = plansWith({ 'templates.o2a': brokenTemplate });
    const out = mkdtempSync(join(tmpdir(), 'o2a-single-out-'));
    const r = await o2a('compile', join(dir, 'home-fiber.o2a'), '-o', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error[O2A0004]: unexpected 'evry'");
    const none = await o2a('compile', 'plans/templates.o2a', '-o', out);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('nothing to compile: no plan or bundle is declared in plans/templates.o2a');
  });
});

describe('o2a graph <file>', () => {
  it('draws a plan whose templates are in another file', async () => {
    const r = await o2a('graph', 'plans/home-fiber.o2a', '--format', 'mermaid');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('plan HomeFiber1G');
  });

  it('prints the diagnostics that stopped the plan, not only that none compiled', async () => {
    const dir = plansWith({ 'templates.o2a': brokenTemplate });
    const r = await o2a('graph', join(dir, 'home-fiber.o2a'), '--format', 'mermaid');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'templates.o2a')}:6:11: error[O2A0004]: unexpected 'evry'`);
    expect(r.stderr).toContain('|   retry 5 evry 1m');
    expect(r.stderr).toContain('o2a graph: no plan compiled');
  });
});

describe('o2a diff <file> <file>', () => {
  it('compares the plans of the two files, each compiled in its own folder', async () => {
    const dir = plansWith({ 'home-fiber.o2a': (t) => t.replace('timeout 3d', 'timeout 2d'), 'mobile-postpaid.o2a': brokenMobile });
    const r = await o2a('diff', 'plans/home-fiber.o2a', join(dir, 'home-fiber.o2a'), '--format', 'json');
    const report = JSON.parse(r.stdout);
    expect(JSON.stringify(report)).toContain('timeout-shortened');
    expect(JSON.stringify(report)).not.toContain('MobilePostpaid');
    expect(r.code).toBe(2);
  });

  it('a side that compiles nothing prints the errors that stopped it', async () => {
    const dir = plansWith({ 'templates.o2a': brokenTemplate });
    const r = await o2a('diff', 'plans/home-fiber.o2a', join(dir, 'home-fiber.o2a'));
    expect(r.stderr).toContain('compiles no plan');
    expect(r.stderr).toContain("error[O2A0004]: unexpected 'evry'");
  });
});

describe('o2a run --plan <file>', () => {
  it('compiles the file in its folder and reports only what concerns it', async () => {
    const dir = plansWith({ 'mobile-postpaid.o2a': brokenMobile });
    const loaded = await loadPlans([join(dir, 'home-fiber.o2a')], 'catalogs/2026.11');
    expect(loaded.problems).toEqual([]);
    expect(loaded.plans.map((p) => p.planId)).toContain('HomeFiber1G');
    const blocked = await loadPlans([join(dir, 'home-fiber.o2a')], 'catalogs/2026.11');
    expect(blocked.plans.some((p) => p.planId === 'MobilePostpaid')).toBe(false);
    const stopped = await loadPlans([join(plansWith({ 'templates.o2a': brokenTemplate }), 'home-fiber.o2a')], 'catalogs/2026.11');
    expect(stopped.plans.some((p) => p.planId === 'HomeFiber1G')).toBe(false);
    expect(stopped.problems.join('\n')).toMatch(/templates\.o2a:6:11: O2A0004 unexpected 'evry'/);
  });

  it('runs an order through o2a run with the plan file alone', async () => {
    const r = await o2a('run', '--plan', 'plans/home-fiber.o2a', '--order', 'examples/orders/home-fiber.json', '--quiet');
    expect(r.stdout).not.toContain('warning');
    expect(r.stdout).toContain('completed');
    expect(r.code).toBe(0);
  }, 60_000);
});
