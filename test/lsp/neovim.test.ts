// The README's Neovim set-ups, run as written in a real headless Neovim: the one for the installed
// version (0.7, Debian bookworm's package: `vim.lsp.start_client` attached per buffer; 0.8 and
// later: `vim.lsp.start` in a FileType autocommand). The o2a server starts for a .o2a file, in the
// folder that holds `catalogs/`, and its diagnostics arrive in the buffer. Skipped, saying why,
// when `nvim` is not installed (CI installs Debian's) or is older than 0.7.
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { makeWorkspace, repoRoot } from './harness.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

/** The Lua block under the README's "Neovim <versions>" item, unindented. */
function readmeSetup(versions: string): string {
  const match = new RegExp(`\\*\\*Neovim ${versions.replace(/\./g, '\\.')}\\*\\*[\\s\\S]*?\`\`\`lua\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (match === null) throw new Error(`README has no Neovim ${versions} set-up`);
  return match[1]!.split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n');
}

function nvimVersion(): { version?: [number, number]; reason?: string } {
  const run = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) return { reason: 'nvim is not installed (Debian: apt-get install neovim)' };
  const m = /NVIM v(\d+)\.(\d+)/.exec(run.stdout);
  if (m === null) return { reason: `cannot read the nvim version from: ${run.stdout.split('\n')[0]}` };
  const version: [number, number] = [Number(m[1]), Number(m[2])];
  if (version[0] === 0 && version[1] < 7) return { version, reason: `nvim ${version.join('.')} is older than 0.7, the oldest set-up the README gives` };
  return { version };
}

const nvim = nvimVersion();
if (nvim.reason !== undefined) console.warn(`test/lsp/neovim.test.ts skipped: ${nvim.reason}`);

/** The README set-up for the installed Neovim. */
const setupFor = (version: [number, number] | undefined): string =>
  readmeSetup(version !== undefined && version[0] === 0 && version[1] < 8 ? '0.7' : '0.8-0.10');

describe('the README\'s Neovim set-up', () => {
  it('gives a 0.8-0.10 set-up with vim.lsp.start in a FileType autocommand, and one for 0.7 (Debian bookworm)', () => {
    const lua = readmeSetup('0.8-0.10');
    expect(lua).toContain("vim.api.nvim_create_autocmd('FileType'");
    expect(lua).toContain('vim.lsp.start(');
    expect(lua).toContain("cmd = { 'o2a', 'lsp', '--stdio' }");
    const old = readmeSetup('0.7');
    expect(old).toContain('vim.lsp.start_client(');
    expect(old).toContain('vim.lsp.buf_attach_client(');
    expect(old).not.toContain('vim.fs.');
  });

  it.skipIf(nvim.reason !== undefined)(`runs in a real headless Neovim ${nvim.version?.join('.') ?? ''} and shows the server's diagnostics${nvim.reason ? ` (skipped: ${nvim.reason})` : ''}`, () => {
    const plan = readFileSync(join(repoRoot, 'plans', 'home-fiber.o2a'), 'utf8').replace('resource ONT_GPON', 'resource ONT_GPOM');
    const root = makeWorkspace({ samplePlans: true, files: { 'plans/home-fiber.o2a': plan } });
    // `o2a` on the PATH, as the set-up expects: this checkout's CLI.
    const bin = join(root, '.bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'o2a'), `#!/bin/sh\nexec "${process.execPath}" "${join(repoRoot, 'bin', 'o2a.js')}" "$@"\n`);
    chmodSync(join(bin, 'o2a'), 0o755);
    writeFileSync(join(root, 'init.lua'), setupFor(nvim.version));
    const out = join(root, 'result.json');
    // Waits for the server's diagnostics in the buffer, then writes what Neovim holds.
    const probe = [
      'local ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 100)',
      'local clients = {}',
      "for _, c in pairs((vim.lsp.get_clients or vim.lsp.get_active_clients)({ bufnr = 0 })) do table.insert(clients, { name = c.name, root = c.config.root_dir }) end",
      'local ds = {}',
      "for _, d in ipairs(vim.diagnostic.get(0)) do table.insert(ds, { code = d.code, message = d.message, lnum = d.lnum, col = d.col, source = d.source }) end",
      `vim.fn.writefile({ vim.fn.json_encode({ ok = ok, filetype = vim.bo.filetype, clients = clients, diagnostics = ds }) }, '${out}')`,
      'vim.cmd("qa!")',
    ].join('\n');
    writeFileSync(join(root, 'probe.lua'), probe);
    const run = spawnSync('nvim', ['--headless', '-u', join(root, 'init.lua'), join(root, 'plans', 'home-fiber.o2a'), '-c', `luafile ${join(root, 'probe.lua')}`], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    });
    expect(run.error, run.stderr).toBeUndefined();
    const result = JSON.parse(readFileSync(out, 'utf8')) as {
      ok: boolean; filetype: string; clients: { name: string; root: string }[]; diagnostics: { code: string; message: string; lnum: number; col: number }[];
    };
    expect(result.filetype).toBe('o2a');
    expect(result.clients).toEqual([{ name: 'o2a', root }]);
    expect(result.ok).toBe(true);
    const line = plan.split('\n').findIndex((l) => l.includes('resource ONT_GPOM'));
    expect(result.diagnostics).toContainEqual(expect.objectContaining({
      code: 'O2A2014', lnum: line, col: plan.split('\n')[line]!.indexOf('ONT_GPOM'),
      message: expect.stringContaining("unknown resource specification 'ONT_GPOM'"),
    }));
  }, 90_000);
});
