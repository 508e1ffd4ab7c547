// Recovery benchmark: what a kill -9 of a loaded runtime process and a restart of its database
// cost. Each part runs Home Fiber orders through a child process running the runtime (started
// with `node --import tsx`, so the pid killed is the runtime's own), instant simulated
// components, and measures:
//   - kill: N kills -9 at random moments under load, a new process started at once each time;
//     from each kill, the time until every order that was in flight at the kill moved again (a
//     step of it changed after the kill) and the first completion after the restart; at the end,
//     the orders completed, failed and stuck;
//   - database restart: the same with the database stopped and started under the running process
//     (a PostgreSQL instance of the benchmark's own, initdb into a scratch folder: the shared one
//     is never stopped): the time from the database being back to every in-flight order moving.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { projectRoot } from '../../compiler/project-root.js';
import { ensureDatabase } from '../runtime/bench.js';

const ROOT = projectRoot();
const WORKER = join('test', 'runtime', 'fault', 'worker-process.ts');

export interface RecoveryBenchOptions {
  /** Orders for each part (default 2000). */
  orders?: number;
  /** Kills -9 (default 3). */
  kills?: number;
  /** The relay lease of the processes (default 5000 ms): a dead process's messages wait at most this. */
  leaseMs?: number;
  /** Server URL without database, for the kill part (default postgres://root@127.0.0.1:5432). */
  serverUrl?: string;
  /** Database for the kill part (default o2a_bench). */
  database?: string;
}

export interface KillRecovery {
  /** From the kill to the first order completed by the new process. */
  firstCompletionMs: number | null;
  /** From the kill until every order in flight at the kill had moved again (or null: not within the run). */
  allMovingMs: number | null;
  inFlightAtKill: number;
}

export interface RecoveryBenchResult {
  orders: number;
  leaseMs: number;
  /** Orders in all, each process taking its share when it starts. */
  kill: { accepted: number; kills: KillRecovery[]; completed: number; failed: number; stuck: number; fallout: number; seconds: number };
  databaseRestart: {
    skipped?: string;
    downMs?: number;
    /** From the database being back to the first order completed after it. */
    firstCompletionMs?: number | null;
    /** From the database being back until every order in flight at the stop moved again. */
    allMovingMs?: number | null;
    inFlightAtStop?: number;
    completed?: number; failed?: number; stuck?: number; fallout?: number; processSurvived?: boolean;
  };
}

interface Child { proc: ChildProcess; exited: Promise<void>; waitFor(event: string, timeoutMs: number): Promise<void> }

function startWorker(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  const seen = new Set<string>();
  const waiters: (() => void)[] = [];
  proc.stderr?.on('data', () => undefined);
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    try { seen.add(String((JSON.parse(text) as { event: string }).event)); } catch { /* not a progress line */ }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => { for (const wake of waiters.splice(0)) wake(); resolve(); }));
  return {
    proc, exited,
    waitFor: (event, timeoutMs) => new Promise<void>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const look = () => {
        if (seen.has(event)) return resolve();
        if (proc.exitCode !== null || proc.signalCode !== null) return reject(new Error(`worker exited before ${event}`));
        if (Date.now() > deadline) return reject(new Error(`worker: no ${event} within ${timeoutMs} ms`));
        waiters.push(look);
        setTimeout(look, 100);
      };
      look();
    }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function killHard(child: Child): Promise<void> {
  child.proc.kill('SIGKILL');
  await child.exited;
}

async function stopGently(child: Child): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  await Promise.race([child.exited, sleep(10_000)]);
  if (child.proc.exitCode === null && child.proc.signalCode === null) await killHard(child);
}

/** Polls a connection that may fail while the database is down. */
class Probe {
  private client: pg.Client | null = null;
  constructor(private readonly url: string, private readonly schema: string) {}
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[] | null> {
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
        client.on('error', () => { if (this.client === client) this.client = null; });
        await client.connect();
        await client.query(`SET search_path TO "${this.schema}"`);
        this.client = client;
      }
      return (await this.client.query<R>(sql, params)).rows;
    } catch {
      const client = this.client;
      this.client = null;
      await client?.end().catch(() => undefined);
      return null;
    }
  }
  async close(): Promise<void> { await this.client?.end().catch(() => undefined); }
}

async function tally(probe: Probe): Promise<{ completed: number; failed: number; stuck: number; fallout: number; total: number }> {
  const [row] = (await probe.query<{ completed: string; failed: string; other: string; fallout: string; total: string }>(
    `SELECT count(*) FILTER (WHERE state = 'completed') AS completed, count(*) FILTER (WHERE state = 'failed') AS failed,
            count(*) FILTER (WHERE state NOT IN ('completed', 'failed')) AS other, count(*) AS total,
            (SELECT count(*) FROM fallout_case) AS fallout FROM product_order`)) ?? [];
  return {
    completed: Number(row?.completed ?? 0), failed: Number(row?.failed ?? 0), stuck: Number(row?.other ?? 0),
    fallout: Number(row?.fallout ?? 0), total: Number(row?.total ?? 0),
  };
}

/** The orders not completed now (in flight). */
async function inFlight(probe: Probe): Promise<string[]> {
  return ((await probe.query<{ id: string }>(`SELECT id FROM product_order WHERE state NOT IN ('completed', 'failed', 'rejected')`)) ?? []).map((r) => r.id);
}

/**
 * Waits until every one of `orders` has a step changed after `since` (or is finished), and for the
 * first order completed after `since`; both as ms from `since`, null when not within `timeoutMs`.
 */
async function watchRecovery(probe: Probe, orders: string[], since: number, timeoutMs: number): Promise<{ allMovingMs: number | null; firstCompletionMs: number | null }> {
  let firstCompletionMs: number | null = null;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = (await probe.query<{ still: string; first: Date | null }>(
      `SELECT (SELECT count(*) FROM unnest($1::text[]) AS o(id)
                WHERE NOT EXISTS (SELECT 1 FROM saga s JOIN saga_step st ON st.saga_id = s.id
                                   WHERE s.product_order_id = o.id AND st.updated_at > $2)
                  AND NOT EXISTS (SELECT 1 FROM product_order p WHERE p.id = o.id AND p.state IN ('completed', 'failed'))) AS still,
              (SELECT min(updated_at) FROM product_order WHERE state = 'completed' AND updated_at > $2) AS first`,
      [orders, new Date(since)])) ?? [];
    if (row) {
      if (firstCompletionMs === null && row.first) firstCompletionMs = new Date(row.first).getTime() - since;
      if (Number(row.still) === 0 && firstCompletionMs !== null) return { allMovingMs: Date.now() - since, firstCompletionMs };
    }
    await sleep(100);
  }
  return { allMovingMs: null, firstCompletionMs };
}

async function waitAllDone(probe: Probe, orders: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const t = await tally(probe);
    if (t.total === orders && t.completed + t.failed === orders) return;
    await sleep(250);
  }
}

async function killPart(url: string, orders: number, kills: number, leaseMs: number): Promise<RecoveryBenchResult['kill']> {
  const schema = `bench_kill_${Date.now()}`;
  const probe = new Probe(url, schema);
  const args = ['--database-url', url, '--schema', schema, '--lease-ms', String(leaseMs), '--progress-ms', '0'];
  // Every process takes its share of the orders when it starts: each kill finds work in flight.
  const share = Math.ceil(orders / (kills + 1));
  const started = Date.now();
  const worker = (k: number) => startWorker([...args, '--submit', String(share), '--prefix', `po-rec${k}`]);
  let child = worker(0);
  const recoveries: KillRecovery[] = [];
  try {
    for (let k = 0; k < kills; k++) {
      // A random moment under load: while this process takes its share of orders and works on them.
      await child.waitFor('started', 120_000);
      await sleep(300 + Math.random() * 900);
      const flying = await inFlight(probe);
      const killedAt = Date.now();
      await killHard(child);
      child = worker(k + 1);
      const watched = flying.length === 0 ? { allMovingMs: 0, firstCompletionMs: null } : await watchRecovery(probe, flying, killedAt, 30 * leaseMs);
      recoveries.push({ ...watched, inFlightAtKill: flying.length });
    }
    await child.waitFor('submitted', 120_000);
    // Every order accepted (a killed process took only part of its share) must complete.
    const accepted = (await tally(probe)).total;
    await waitAllDone(probe, accepted, 120_000 + 10 * leaseMs);
    const t = await tally(probe);
    return {
      accepted: t.total, kills: recoveries, completed: t.completed, failed: t.failed, stuck: t.total - t.completed - t.failed,
      fallout: t.fallout, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await stopGently(child);
    await probe.query(`DROP SCHEMA "${schema}" CASCADE`);
    await probe.close();
  }
}

async function databaseRestartPart(orders: number, leaseMs: number): Promise<RecoveryBenchResult['databaseRestart']> {
  const { createOwnPostgres, ownPostgresUnavailable } = await import('../../test/runtime/own-postgres.js');
  const why = ownPostgresUnavailable();
  if (why) return { skipped: why };
  const own = await createOwnPostgres();
  const schema = 'bench_restart';
  const probe = new Probe(own.url, schema);
  const child = startWorker(['--database-url', own.url, '--schema', schema, '--lease-ms', String(leaseMs), '--progress-ms', '0',
    '--submit', String(orders), '--prefix', 'po-rst']);
  try {
    await child.waitFor('submitted', 120_000);
    await sleep(500);
    const flying = await inFlight(probe);
    const stoppedAt = Date.now();
    await own.stop();
    await sleep(2000);
    await own.start();
    const backAt = Date.now();
    const watched = await watchRecovery(probe, flying, backAt, 30 * leaseMs + 30_000);
    await waitAllDone(probe, orders, 120_000);
    const t = await tally(probe);
    const processSurvived = child.proc.exitCode === null && child.proc.signalCode === null;
    return {
      downMs: backAt - stoppedAt, ...watched, inFlightAtStop: flying.length, completed: t.completed, failed: t.failed,
      stuck: orders - t.completed - t.failed, fallout: t.fallout, processSurvived,
    };
  } finally {
    await stopGently(child);
    await probe.close();
    await own.destroy();
  }
}

export async function runRecoveryBench(options: RecoveryBenchOptions = {}): Promise<RecoveryBenchResult> {
  const orders = options.orders ?? 2000;
  const leaseMs = options.leaseMs ?? 5000;
  const url = await ensureDatabase(options.serverUrl ?? 'postgres://root@127.0.0.1:5432', options.database ?? 'o2a_bench');
  const kill = await killPart(url, orders, options.kills ?? 3, leaseMs);
  const databaseRestart = await databaseRestartPart(orders, leaseMs);
  return { orders, leaseMs, kill, databaseRestart };
}
