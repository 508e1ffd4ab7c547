// Where `o2a check` spends its time, in one process: each compiler stage over a workspace, timed
// separately in CPU time, round after round (round 0 is what a fresh `o2a check` pays, JIT warm-up
// included). Usage: node --import tsx bench/compiler/phases.ts <dir> [rounds]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../compiler/catalog/load.js';
import { parse } from '../../compiler/syntax/index.js';
import { resolveWorkspace } from '../../compiler/resolve/index.js';
import { checkModel } from '../../compiler/check/index.js';
import { compileWorkspace } from '../../compiler/index.js';
import { compiledPlanValidator } from '../../compiler/emit/validate.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: phases.ts <dir>');
const rounds = Number(process.argv[3] ?? 2);
const inputs = readdirSync(dir).filter((f) => f.endsWith('.o2a')).sort().map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
const catalog = loadCatalog('catalogs/2026.11').catalog!;

/** CPU time (user + system) rather than wall time: other jobs share this machine. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function time<T>(label: string, f: () => T, out: Record<string, number>): T {
  const start = cpuMs();
  const value = f();
  out[label] = Math.round(cpuMs() - start);
  return value;
}

for (let round = 0; round < rounds; round++) {
  const t: Record<string, number> = {};
  const parsed = time('parse', () => inputs.map((i) => parse(i.text, i.file)), t);
  const resolved = time('resolve', () => resolveWorkspace(parsed.map((p) => p.document), catalog, { catalogProblemReported: false }), t);
  const texts = new Map(inputs.map((i) => [i.file, i.text]));
  time('check', () => checkModel(resolved.model, (f) => texts.get(f)), t);
  const all = time('compileWorkspace', () => compileWorkspace(inputs, catalog), t);
  time('compileWorkspace(emit:false)', () => compileWorkspace(inputs, catalog, { emit: false }), t);
  const validate = compiledPlanValidator();
  time('validate', () => all.plans.forEach((p) => validate(p)), t);
  console.log(JSON.stringify({ round, plans: all.plans.length, diagnostics: all.diagnostics.length, ...t }));
}
