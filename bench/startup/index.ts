// Start-up benchmark: what a command on the embedded store (PGlite) costs before it does anything,
// each measure a fresh process (wall time from spawn to exit, the process's own peak RSS and CPU
// time, from usage.mjs preloaded):
//   - PGlite alone with its defaults (`new PGlite()` + one query: a new in-memory cluster by initdb);
//   - o2a's store opened bare (openStore + one query), in memory, on a new data folder, on an
//     existing one, and in memory with no cached cluster template (the first use of a PGlite build);
//   - `o2a run` of one Home Fiber order in memory and on a new data folder, and `o2a status --db`.
// When O2A_BENCH_BEFORE names another checkout of o2a (a git worktree of an earlier commit, its
// node_modules linked), the same measures run on it too, alternating with this one run by run,
// so both see the same load. Side by side: a PostgreSQL server from the machine's own binaries
// (what an npm package shipping PostgreSQL binaries runs: initdb, then the server), created,
// stopped, started again, its memory (PSS of all its processes) with one connection open.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { projectRoot } from '../../compiler/project-root.js';

const HERE = join(projectRoot(), 'bench', 'startup');
const USAGE = pathToFileURL(join(HERE, 'usage.mjs')).href;

export interface StartupBenchOptions {
  /** Processes per measure (default 3). */
  runs?: number;
  /** Another checkout to measure beside this one (default: O2A_BENCH_BEFORE). */
  before?: string;
}

export interface Figures {
  runs: number;
  wallMs: { min: number; median: number };
  cpuMs: { median: number };
  peakRssMb: { median: number; max: number };
  /** Load average (1 min) when the measure started, each run. */
  load: number[];
}

export interface StartupRow {
  measure: string;
  /** This checkout. */
  after: Figures | null;
  /** The checkout of O2A_BENCH_BEFORE, when given. */
  before?: Figures | null;
}

export interface PostgresSideBySide {
  skipped?: string;
  /** initdb of a new cluster plus the server started (pg_ctl -w). */
  createMs?: number;
  /** The server started again on the existing cluster. */
  startMs?: number;
  /** Connection plus one query. */
  firstQueryMs?: number;
  /** Proportional set size of the server's processes, one client connected. */
  pssMb?: number;
}

export interface StartupBenchResult {
  runs: number;
  beforeRoot?: string;
  rows: StartupRow[];
  postgres: PostgresSideBySide;
}

interface Sample { wallMs: number; cpuMs: number; peakRssMb: number; load: number }

interface Measure {
  measure: string;
  /** The process: node arguments (after the usage preload), given the checkout and a scratch folder. */
  argv(root: string, scratch: string): string[];
  /** The same whatever the checkout: measured on this one only. */
  once?: boolean;
  env?(scratch: string): NodeJS.ProcessEnv;
}

async function spawnMeasured(argv: string[], cwd: string, extraEnv: NodeJS.ProcessEnv, scratch: string): Promise<Sample & { code: number | null; output: string }> {
  const usageFile = join(scratch, `usage-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', O2A_BENCH_USAGE: usageFile, ...extraEnv };
  delete env.O2A_TSX;
  const load = loadavg()[0]!;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', USAGE, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const wallMs = performance.now() - started;
  let usage = { maxRssKb: 0, cpuUs: 0 };
  try { usage = JSON.parse(readFileSync(usageFile, 'utf8')) as typeof usage; } catch { /* the process died before exit */ }
  return { wallMs, cpuMs: usage.cpuUs / 1000, peakRssMb: usage.maxRssKb / 1024, load, code, output };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function figures(samples: Sample[]): Figures | null {
  if (samples.length === 0) return null;
  return {
    runs: samples.length,
    wallMs: { min: Math.min(...samples.map((s) => s.wallMs)), median: median(samples.map((s) => s.wallMs)) },
    cpuMs: { median: median(samples.map((s) => s.cpuMs)) },
    peakRssMb: { median: median(samples.map((s) => s.peakRssMb)), max: Math.max(...samples.map((s) => s.peakRssMb)) },
    load: samples.map((s) => Math.round(s.load * 10) / 10),
  };
}

const ORDER_ID = 'po-1001';
const cli = (root: string) => join(root, 'bin', 'o2a.js');
const runArgs = (root: string) => [cli(root), 'run', '--plan', join(root, 'plans'), '--order', join(root, 'examples', 'orders', 'home-fiber.json'), '--quiet'];
const openArgs = (root: string, where: string) => ['--import', 'tsx', join(HERE, 'open.ts'), root, where];
let folders = 0;
const newFolder = (scratch: string) => join(scratch, `db-${++folders}`);

const MEASURES: Measure[] = [
  { measure: 'PGlite alone, its defaults: `new PGlite()` + 1 query (in memory)', argv: () => [join(HERE, 'pglite-alone.mjs')], once: true },
  { measure: 'store opened bare + 1 query, in memory', argv: (root) => openArgs(root, 'memory') },
  { measure: 'store opened bare + 1 query, new data folder', argv: (root, scratch) => openArgs(root, newFolder(scratch)) },
  {
    measure: 'store opened bare + 1 query, existing data folder',
    argv: (root, scratch) => openArgs(root, join(scratch, 'existing')),
  },
  {
    measure: 'store opened bare + 1 query, in memory, no cached cluster yet (once per PGlite build)',
    argv: (root) => openArgs(root, 'memory'),
    env: (scratch) => ({ O2A_CACHE_DIR: mkdtempSync(join(scratch, 'cache-')) }),
  },
  { measure: '`o2a run` of one order, in memory', argv: runArgs },
  { measure: '`o2a run --db` of one order, new data folder', argv: (root, scratch) => [...runArgs(root), '--db', newFolder(scratch)] },
  {
    measure: '`o2a status --db` of that order',
    argv: (root, scratch) => [cli(root), 'status', ORDER_ID, '--db', join(scratch, 'with-order')],
  },
];

/** What every measure of a checkout needs once, untimed: its CLI bundle built, the folders with a cluster and with the order. */
async function prepareRoot(root: string, scratch: string): Promise<void> {
  const warm = await spawnMeasured([cli(root), '--version'], root, {}, scratch);
  if (warm.code !== 0) throw new Error(`o2a --version in ${root} failed: ${warm.output}`);
  const existing = await spawnMeasured(openArgs(root, join(scratch, 'existing')), root, {}, scratch);
  if (existing.code !== 0) throw new Error(`opening a data folder with ${root} failed: ${existing.output}`);
  const order = await spawnMeasured([...runArgs(root), '--db', join(scratch, 'with-order')], root, {}, scratch);
  if (order.code !== 0) throw new Error(`o2a run in ${root} failed (exit ${order.code}): ${order.output}`);
}

async function postgresSideBySide(): Promise<PostgresSideBySide> {
  const { createOwnPostgres, ownPostgresUnavailable } = await import('../../test/runtime/own-postgres.js');
  const why = ownPostgresUnavailable();
  if (why) return { skipped: why };
  let started = performance.now();
  const server = await createOwnPostgres();
  try {
    const createMs = performance.now() - started;
    await server.stop();
    started = performance.now();
    await server.start();
    const startMs = performance.now() - started;
    started = performance.now();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query('SELECT 1');
    const firstQueryMs = performance.now() - started;
    const pssMb = serverPss(join(server.dir, 'data'));
    await client.end();
    return { createMs, startMs, firstQueryMs, pssMb };
  } finally {
    await server.destroy();
  }
}

/** PSS (shared pages split between the processes sharing them) of the postmaster and its children. */
function serverPss(data: string): number | undefined {
  try {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const pids = [postmaster];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === postmaster) pids.push(Number(entry));
      } catch { /* gone */ }
    }
    let kb = 0;
    for (const pid of pids) {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kb += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    }
    return kb / 1024;
  } catch {
    return undefined;
  }
}

export async function runStartupBench(options: StartupBenchOptions = {}): Promise<StartupBenchResult> {
  const runs = options.runs ?? 3;
  const after = projectRoot();
  const before = options.before ?? process.env.O2A_BENCH_BEFORE;
  if (before && !existsSync(cli(before))) throw new Error(`O2A_BENCH_BEFORE: no o2a checkout at ${before}`);
  const roots = before ? [before, after] : [after];
  const scratch = new Map(roots.map((root) => [root, mkdtempSync(join(tmpdir(), 'o2a-bench-startup-'))]));
  try {
    for (const root of roots) await prepareRoot(root, scratch.get(root)!);
    const samples = new Map<string, Sample[]>();
    for (let run = 0; run < runs; run++) {
      for (const measure of MEASURES) {
        for (const root of measure.once ? [after] : roots) {
          const dir = scratch.get(root)!;
          const sample = await spawnMeasured(measure.argv(root, dir), root, measure.env?.(dir) ?? {}, dir);
          if (sample.code !== 0) throw new Error(`${measure.measure} (${root}) failed with exit ${sample.code}: ${sample.output}`);
          const key = `${root}\n${measure.measure}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
        }
      }
    }
    const rows: StartupRow[] = MEASURES.map(({ measure }) => ({
      measure,
      after: figures(samples.get(`${after}\n${measure}`) ?? []),
      ...(before ? { before: figures(samples.get(`${before}\n${measure}`) ?? []) } : {}),
    }));
    const postgres = await postgresSideBySide().catch((error: Error) => ({ skipped: error.message.split('\n')[0] }));
    return { runs, ...(before ? { beforeRoot: before } : {}), rows, postgres };
  } finally {
    for (const dir of scratch.values()) rmSync(dir, { recursive: true, force: true });
  }
}
