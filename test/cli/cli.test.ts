// The CLI as CI and catalog engineers use it: exit codes, output formats, explain, fmt, compile.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../cli/main.js';
import { describeError, UsageError } from '../../cli/workspace.js';
import { compiledPlanValidator } from '../../compiler/emit/validate.js';

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

function workspaceWith(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-cli-'));
  mkdirSync(join(dir, 'plans'));
  for (const f of readdirSync('plans')) writeFileSync(join(dir, 'plans', f), readFileSync(join('plans', f)));
  writeFileSync(join(dir, 'plans', name), text);
  return join(dir, 'plans');
}

const homeFiber = readFileSync('plans/home-fiber.o2a', 'utf8');

describe('o2a check', () => {
  it('passes the sample plans clean, inferring the catalog from their catalog line', async () => {
    const r = await o2a('check', 'plans');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('9 files checked: 0 errors, 0 warnings, 0 notes\n');
  });

  it('fails with file:line:col, the code, the source line with a caret, and help', async () => {
    const dir = workspaceWith('home-fiber.o2a', homeFiber.replace('resource ONT_GPON', 'resource ONT_GPOM'));
    const r = await o2a('check', dir, '--catalog', 'catalogs/2026.11');
    expect(r.code).toBe(1);
    const line = homeFiber.split('\n').findIndex((l) => l.includes('resource ONT_GPON')) + 1;
    const col = homeFiber.split('\n')[line - 1]!.indexOf('ONT_GPON') + 1;
    expect(r.stdout).toContain(`home-fiber.o2a:${line}:${col}: error[O2A2014]: unknown resource specification 'ONT_GPOM'`);
    expect(r.stdout).toContain(`${' '.repeat(col - 1)}^^^^^^^^`);
    expect(r.stdout).toContain("= help: did you mean 'ONT_GPON'?");
  });

  it('speaks JSON, SARIF and GitHub annotations', async () => {
    const dir = workspaceWith('home-fiber.o2a', homeFiber.replace('resource ONT_GPON', 'resource ONT_GPOM'));
    const json = JSON.parse((await o2a('check', dir, '--format', 'json')).stdout);
    expect(json.errors).toBeGreaterThan(0);
    expect(json.diagnostics.map((d: { code: string }) => d.code)).toContain('O2A2014');
    const sarif = JSON.parse((await o2a('check', dir, '--format', 'sarif')).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toContain('O2A2014');
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    const github = (await o2a('check', dir, '--format', 'github')).stdout;
    expect(github).toMatch(/^::error file=.*home-fiber\.o2a,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=O2A2014::unknown resource specification 'ONT_GPOM'/m);
  });

  it('fails on warnings only when asked to', async () => {
    const withWarning = homeFiber.replace('evidence ont_serial, photo, optical_power', 'evidence ont_serial, photo');
    const dir = workspaceWith('home-fiber.o2a', withWarning);
    const lenient = await o2a('check', dir);
    expect(lenient.stdout).toMatch(/0 errors, 1 warning/);
    expect(lenient.code).toBe(0);
    expect((await o2a('check', dir, '--fail-on', 'warning')).code).toBe(1);
  });

  it('exits 2 on usage errors', async () => {
    expect((await o2a('check', 'no/such/dir')).code).toBe(2);
    expect((await o2a('check', 'plans', '--format', 'xml')).code).toBe(2);
    expect((await o2a('check', 'plans', '--catalog', 'catalogs/1999.01')).code).toBe(1);
  });
});

describe('o2a explain', () => {
  it('explains a code with a wrong and a right example', async () => {
    const r = await o2a('explain', 'O2A2014');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^O2A2014 unknown-resource/);
    expect(r.stdout).toContain('Wrong:');
    expect(r.stdout).toContain('Right:');
  });

  it('suggests the closest code for an unknown one', async () => {
    const r = await o2a('explain', 'O2A2O14');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean 'O2A2014'?");
  });

  it('takes the number alone, lower case or the code\'s name', async () => {
    const full = (await o2a('explain', 'O2A2012')).stdout;
    for (const spelling of ['2012', 'o2a2012', 'unknown-step-kind']) {
      const r = await o2a('explain', spelling);
      expect(r.code, spelling).toBe(0);
      expect(r.stdout, spelling).toBe(full);
    }
    const typo = await o2a('explain', 'unknown-step-knd');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("did you mean 'unknown-step-kind'?");
  });
});

describe('o2a fmt and compile', () => {
  it('finds the sample plans already formatted', async () => {
    const r = await o2a('fmt', '--check', 'plans');
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('formats a file whose only errors are in values, and refuses one that does not parse', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-fmt-'));
    const values = join(dir, 'values.o2a');
    writeFileSync(values, 'catalog telco-core 2026.11\nplan P for offering HOME_FIBER_1G {\n  step a: activation {\n      timeout 10\n  }\n}\n');
    const w = await o2a('fmt', '-w', values);
    expect(w.code).toBe(0);
    expect(readFileSync(values, 'utf8')).toBe('catalog telco-core 2026.11\n\nplan P for offering HOME_FIBER_1G {\n  step a: activation { timeout 10 }\n}\n');
    const broken = join(dir, 'broken.o2a');
    const text = 'catalog telco-core 2026.11\nplan P for offering HOME_FIBER_1G {\n  step a activation\n}\n';
    writeFileSync(broken, text);
    const b = await o2a('fmt', '-w', broken);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('error[O2A0004]');
    expect(readFileSync(broken, 'utf8')).toBe(text);
  });

  it('writes schema-valid compiled plans, byte-identical from run to run', async () => {
    const a = mkdtempSync(join(tmpdir(), 'o2a-out-'));
    const b = mkdtempSync(join(tmpdir(), 'o2a-out-'));
    expect((await o2a('compile', 'plans', '--out', a)).code).toBe(0);
    expect((await o2a('compile', 'plans', '--out', b)).code).toBe(0);
    const files = readdirSync(a).sort();
    // Hash-addressed: <plan>@<version>.<first 12 hex digits of the plan hash>.json
    expect(files.map((f) => f.replace(/\.[0-9a-f]{12}\.json$/, ''))).toEqual(['EnterpriseFiber@1', 'FamilyPack@1', 'FiberSpeedChange@1', 'HomeFiber1G@2', 'HomeFiberCease@1', 'MobileCease@1', 'MobilePostpaid@1', 'OttStreaming@1', 'StaticIpAddon@1']);
    const validate = compiledPlanValidator();
    for (const f of files) {
      const text = readFileSync(join(a, f), 'utf8');
      expect(text).toBe(readFileSync(join(b, f), 'utf8'));
      const plan = JSON.parse(text);
      expect(validate(plan)).toEqual({ ok: true });
      expect(f).toContain(`.${plan.hash.slice(0, 12)}.json`);
    }
  });
});

describe('failures the CLI reports', () => {
  it('names a system failure by its message, with no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-cli-'));
    writeFileSync(join(dir, 'file'), 'not a directory');
    const r = await o2a('compile', 'plans', '--catalog', 'catalogs/2026.11', '--out', join(dir, 'file', 'out'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`o2a: ENOTDIR: not a directory, mkdir '${join(dir, 'file', 'out')}'\n`);
  });

  it('calls anything else a bug, with its stack only under O2A_DEBUG=1', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'steps')");
    expect(describeError(bug, {})).toBe("internal error: Cannot read properties of undefined (reading 'steps') (a bug in o2a; O2A_DEBUG=1 prints its stack trace)");
    expect(describeError(bug, { O2A_DEBUG: '1' })).toBe(`internal error: ${bug.stack}`);
    expect(describeError(new UsageError('no .o2a files in x'), {})).toBe('no .o2a files in x');
    expect(describeError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), {})).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError('thrown string', {})).toBe('internal error: thrown string');
  });
});
