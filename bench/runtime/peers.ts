// Runs the peer baselines of ../shared/bench-peers (DBOS, graphile-worker) in a scratch folder
// outside the project, on the same PostgreSQL, and returns their figures for the ratios.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PeerBenchOptions {
  /** Folder of the peer scripts (default ../shared/bench-peers beside the project). */
  peersDir?: string;
  /** Scratch folder (default $TMPDIR/o2a-bench-peers); dependencies are installed there once. */
  workDir?: string;
  serverUrl?: string;
  dbosWorkflows?: number;
  dbosConcurrency?: number;
  graphileJobs?: number;
  graphileConcurrency?: number;
}

export interface PeerBenchResult {
  dbos: { workflowsPerSecond: number | null; stepsPerSecond: number | null; raw: string };
  graphileWorker: { jobsPerSecond: number | null; raw: string };
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

/** The first number printed right before `label` (e.g. "131.2 workflows/s"). */
function figure(output: string, label: RegExp): number | null {
  const match = output.match(new RegExp(`([0-9][0-9,.]*)\\s*${label.source}`, 'i'));
  return match?.[1] ? Number(match[1].replace(/,/g, '')) : null;
}

/** The peer's result line, without its per-job logging. */
function summary(output: string, label: RegExp): string {
  return output.split('\n').filter((l) => label.test(l)).join('\n');
}

export async function runPeerBench(options: PeerBenchOptions = {}): Promise<PeerBenchResult> {
  const peersDir = options.peersDir ?? resolve(ROOT, '..', 'shared', 'bench-peers');
  const workDir = options.workDir ?? join(tmpdir(), 'o2a-bench-peers');
  const serverUrl = options.serverUrl ?? 'postgres://root@127.0.0.1:5432';
  mkdirSync(workDir, { recursive: true });
  for (const file of readdirSync(peersDir).filter((f) => f.endsWith('.mjs'))) copyFileSync(join(peersDir, file), join(workDir, file));
  if (!existsSync(join(workDir, 'node_modules', '@dbos-inc', 'dbos-sdk')) || !existsSync(join(workDir, 'node_modules', 'graphile-worker'))) {
    if (!existsSync(join(workDir, 'package.json'))) await run('npm', ['init', '-y'], { cwd: workDir });
    await run('npm', ['install', '--no-audit', '--no-fund', '@dbos-inc/dbos-sdk', 'graphile-worker', 'pg'], { cwd: workDir, maxBuffer: 64 << 20 });
  }
  await ensureDatabase(serverUrl, 'dbosbench');
  await ensureDatabase(serverUrl, 'gw');
  const env = { ...process.env, DBOS_DATABASE_URL: `${serverUrl}/dbosbench`, GW_DATABASE_URL: `${serverUrl}/gw` };
  const dbos = await run('node', ['dbos.mjs', String(options.dbosWorkflows ?? 1000), String(options.dbosConcurrency ?? 50)], { cwd: workDir, env, maxBuffer: 64 << 20 });
  const gw = await run('node', ['graphile-worker.mjs', String(options.graphileJobs ?? 20000), String(options.graphileConcurrency ?? 10)], { cwd: workDir, env, maxBuffer: 64 << 20 });
  const dbosOut = `${dbos.stdout}\n${dbos.stderr}`;
  const gwOut = `${gw.stdout}\n${gw.stderr}`;
  return {
    dbos: { workflowsPerSecond: figure(dbosOut, /wf\/s/), stepsPerSecond: figure(dbosOut, /steps\/s/), raw: summary(dbosOut, /wf\/s/) },
    graphileWorker: { jobsPerSecond: figure(gwOut, /jobs\/s/), raw: summary(gwOut, /jobs\/s/) },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runPeerBench(), null, 2));
}
