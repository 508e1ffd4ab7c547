// Service benchmark (`npm run bench -- service`): the HTTP edge of `o2a serve` under load, each
// server in a child process of its own, autocannon in this one, all on 127.0.0.1:
//   - intake: TMF622 POST /productOrder of a Home Fiber order (no id: a new order each time)
//     against `buildServer` with its worker loops off (as `o2a serve --no-workers`), so the figure is
//     the edge and the intake transaction on the local PostgreSQL; every answer must be 201 and
//     every order must be in the database afterwards;
//   - the same POST, same body, against a bare Fastify route answering a constant, in the same run:
//     the ratio of the two is the figure (what validation, translation and the intake cost);
//   - end to end: N orders POSTed to a server running its worker loops (3, as the runtime bench), timed
//     until the API lists all N completed (GET /productOrder?state=completed, X-Total-Count).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import { projectRoot } from '../../compiler/project-root.js';
import { ensureDatabase } from '../runtime/bench.js';

export const ORDER_PATH = '/tmf-api/productOrderingManagement/v4/productOrder';

const ROOT = projectRoot();
const SERVER = join('bench', 'service', 'server-process.ts');

export interface ServiceBenchOptions {
  /** Seconds of load on each intake target (default 10). */
  seconds?: number;
  /** Concurrent connections of the load generator (default 16). */
  connections?: number;
  /** Orders of the end-to-end part (default 2000). */
  orders?: number;
  /** Worker loops of the end-to-end server (default 3). */
  workers?: number;
  serverUrl?: string;
  database?: string;
}

export interface LoadFigures {
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number };
  ok: number;
  notOk: number;
  errors: number;
}

export interface ServiceBenchResult {
  seconds: number;
  connections: number;
  bare: LoadFigures;
  /** `answered201`: every 201 of the intake runs (warm-up too); `recorded`: the orders in the database afterwards (never fewer). */
  intake: LoadFigures & { answered201: number; recorded: number };
  /** Orders accepted per second through the API over a bare Fastify route's requests per second. */
  ratio: number;
  endToEnd: { orders: number; workers: number; acceptedPerSecond: number; completedPerSecond: number; seconds: number; completed: number };
}

/** A Home Fiber order as a BSS would POST it: TMF622, no id (the server gives one). */
export const BENCH_ORDER = {
  externalId: 'bench', relatedParty: [{ id: 'cust-bench', role: 'customer', '@referredType': 'Individual' }],
  productOrderItem: [{
    id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G', name: 'Home Fiber 1G' },
    product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] },
  }],
};

interface Server { url: string; proc: ChildProcess; exited: Promise<void> }

async function startServer(env: Record<string, string>): Promise<Server> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...env },
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench server did not start in 60 s: ${stderr}`)), 60_000);
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const event = JSON.parse(line) as { event?: string; url?: string };
        if (event.event === 'listening' && event.url) { clearTimeout(timer); resolve(event.url); }
      } catch { /* not an event line */ }
    });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`bench server exited: ${stderr}`)); });
  });
  return { url, proc, exited };
}

async function stopServer(server: Server): Promise<void> {
  server.proc.kill('SIGTERM');
  const timeout = setTimeout(() => server.proc.kill('SIGKILL'), 15_000);
  await server.exited;
  clearTimeout(timeout);
}

function load(url: string, options: { seconds?: number; amount?: number; connections: number }): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}${ORDER_PATH}`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(BENCH_ORDER),
    connections: options.connections, ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 10 }),
  });
}

function figures(result: autocannon.Result): LoadFigures {
  const seconds = result.duration;
  return {
    requestsPerSecond: Number((result['2xx'] / seconds).toFixed(1)),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    ok: result['2xx'], notOk: result.non2xx, errors: result.errors + result.timeouts,
  };
}

export async function runServiceBench(options: ServiceBenchOptions = {}): Promise<ServiceBenchResult> {
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 16;
  const orders = options.orders ?? 2000;
  const workers = options.workers ?? 3;
  const url = await ensureDatabase(options.serverUrl ?? 'postgres://root@127.0.0.1:5432', options.database ?? 'o2a_bench');
  const stamp = Date.now();
  const schemas = [`bench_service_intake_${stamp}`, `bench_service_e2e_${stamp}`] as const;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // A second of warm-up for each target (JIT, connection pools), then the measured run.
    const bareServer = await startServer({ O2A_BENCH_SERVER: 'bare' });
    await load(bareServer.url, { seconds: 1, connections });
    const bare = figures(await load(bareServer.url, { seconds, connections }));
    await stopServer(bareServer);

    const intakeServer = await startServer({ O2A_BENCH_SERVER: 'o2a', O2A_BENCH_DATABASE_URL: url, O2A_BENCH_SCHEMA: schemas[0], O2A_BENCH_WORKERS: '0' });
    const warm = await load(intakeServer.url, { seconds: 1, connections });
    const intakeRun = figures(await load(intakeServer.url, { seconds, connections }));
    await stopServer(intakeServer);
    const [recorded] = (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schemas[0]}".product_order`)).rows;
    const intake = { ...intakeRun, answered201: warm['2xx'] + intakeRun.ok, recorded: Number(recorded?.n ?? 0) };
    if (intake.recorded < intake.answered201) throw new Error(`intake: ${intake.answered201} orders answered 201 but ${intake.recorded} recorded`);
    if (intakeRun.notOk > 0) throw new Error(`intake: ${intakeRun.notOk} answers not 2xx`);

    const e2eServer = await startServer({ O2A_BENCH_SERVER: 'o2a', O2A_BENCH_DATABASE_URL: url, O2A_BENCH_SCHEMA: schemas[1], O2A_BENCH_WORKERS: String(workers) });
    const start = performance.now();
    const posted = await load(e2eServer.url, { amount: orders, connections });
    const postedSeconds = (performance.now() - start) / 1000;
    let completed = 0;
    const deadline = Date.now() + 180_000;
    while (completed < posted['2xx'] && Date.now() < deadline) {
      const response = await fetch(`${e2eServer.url}${ORDER_PATH}?state=completed&limit=1&fields=id`);
      const total = response.headers.get('x-total-count');
      if (!response.ok || total === null) throw new Error(`GET productOrder?state=completed answered ${response.status} without X-Total-Count`);
      completed = Number(total);
      if (completed < posted['2xx']) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const e2eSeconds = (performance.now() - start) / 1000;
    await stopServer(e2eServer);
    if (posted.non2xx > 0 || posted.errors > 0) throw new Error(`end to end: ${posted.non2xx} answers not 2xx, ${posted.errors} errors`);

    return {
      seconds, connections, bare, intake,
      ratio: Number((intake.requestsPerSecond / bare.requestsPerSecond).toFixed(3)),
      endToEnd: {
        orders, workers, completed, seconds: Number(e2eSeconds.toFixed(2)),
        acceptedPerSecond: Number((posted['2xx'] / postedSeconds).toFixed(1)),
        completedPerSecond: Number((completed / e2eSeconds).toFixed(1)),
      },
    };
  } finally {
    for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await admin.end();
  }
}
