// Runtime benchmark: N Home Fiber orders end to end on a server PostgreSQL through the instant
// simulated components: orders/s, steps/s, p50/p99 order latency, peak memory.
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import { openPgStore } from '../../runtime/store/pg-store.js';
import type { Store } from '../../runtime/store/store.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RuntimeBenchOptions {
  /** Orders to run (default 2000). */
  orders?: number;
  /** Worker loops in the process (default 3: on a small machine more loops only contend). */
  concurrency?: number;
  /** Ordering keys claimed per relay round (default 500). */
  batchSize?: number;
  /** Server URL without database (default postgres://root@127.0.0.1:5432). */
  serverUrl?: string;
  /** Database to use, created if missing (default o2a_bench). */
  database?: string;
  /** pg pool size (default concurrency + 4). */
  poolSize?: number;
  /** Orders per intake transaction (default 25; 1 submits them one by one). */
  submitBatch?: number;
  /** Orders submitted but not completed at most (default 300), so latency is not queueing time. */
  inFlight?: number;
  /** Plans to use instead of compiling plans/ (must include one for HOME_FIBER_1G). */
  plans?: CompiledPlan[];
  /** Wraps the store (profiling: `bench/runtime/profile.ts`). */
  wrapStore?: (store: Store) => Store;
  /** Looks at the database after the run, before its schema is dropped (profiling). */
  inspect?: (store: Store) => Promise<void>;
}

export interface RuntimeBenchResult {
  orders: number;
  stepsPerOrder: number;
  seconds: number;
  ordersPerSecond: number;
  stepsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  peakRssMb: number;
  concurrency: number;
  batchSize: number;
  submitBatch: number;
}

/** The database on the server, created if missing; its URL. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<string> {
  const admin = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return `${serverUrl}/${database}`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function runRuntimeBench(options: RuntimeBenchOptions = {}): Promise<RuntimeBenchResult> {
  const orders = options.orders ?? 2000;
  const concurrency = options.concurrency ?? 3;
  const batchSize = options.batchSize ?? 500;
  let plans = options.plans;
  if (!plans) {
    const loaded = await loadPlans([join(ROOT, 'plans')], join(ROOT, 'catalogs', '2026.11'));
    plans = loaded.plans;
  }
  const fiber = plans.find((p) => p.offeringId === 'HOME_FIBER_1G');
  if (!fiber || fiber.kind !== 'plan') throw new Error('bench: no compiled plan for HOME_FIBER_1G');
  const url = await ensureDatabase(options.serverUrl ?? 'postgres://root@127.0.0.1:5432', options.database ?? 'o2a_bench');
  const schema = `bench_${Date.now()}`;
  const opened = await openPgStore(url, schema, options.poolSize ?? concurrency + 4);
  const store = options.wrapStore ? options.wrapStore(opened) : opened;
  await migrate(store);
  const runtime = new Runtime({ store, batchSize, workerId: 'bench' });
  await runtime.registerPlans(plans);

  const submittedAt = new Map<string, number>();
  let nextOrder = 0;
  const waiting: (() => void)[] = [];
  const latencies: number[] = [];
  let stepsSucceeded = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  runtime.onCommit((rows) => {
    const now = performance.now();
    for (const row of rows) {
      if (row.type === 'StepStateChanged' && row.payload.to === 'SUCCEEDED') stepsSucceeded++;
      else if (row.type === 'ProductOrderStateChanged' && row.payload.to === 'completed') {
        latencies.push(now - (submittedAt.get(row.productOrderId) ?? now));
        if (latencies.length === orders) done();
        for (const wake of waiting.splice(0)) wake();
      }
    }
  });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 50);

  const start = performance.now();
  runtime.start(concurrency, 2);
  const submitters = 2;
  const submitBatch = Math.max(1, options.submitBatch ?? 25);
  const orderOf = (i: number) => ({
    id: `po-bench-${i}`, productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] } }],
  });
  const inFlight = Math.max(submitBatch, options.inFlight ?? 300);
  await Promise.all(Array.from({ length: submitters }, async () => {
    while (nextOrder < orders) {
      while (nextOrder - latencies.length + submitBatch > inFlight) await new Promise<void>((r) => { waiting.push(r); });
      if (nextOrder >= orders) break;
      const first = nextOrder;
      nextOrder = Math.min(orders, first + submitBatch);
      const chunk = Array.from({ length: nextOrder - first }, (_, k) => orderOf(first + k));
      const at = performance.now();
      for (const order of chunk) submittedAt.set(order.id, at);
      const results = await runtime.submitOrders(chunk.map((order) => ({ order })));
      for (const result of results) if (!result.ok) throw new Error(`bench: order rejected: ${result.problems.join('; ')}`);
    }
  }));
  await finished;
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  await runtime.stop();
  if (options.inspect) await options.inspect(opened);
  await store.exec(`DROP SCHEMA "${schema}" CASCADE`);
  await store.close();

  latencies.sort((a, b) => a - b);
  return {
    orders,
    stepsPerOrder: stepsSucceeded / orders,
    seconds: Number(seconds.toFixed(2)),
    ordersPerSecond: Number((orders / seconds).toFixed(1)),
    stepsPerSecond: Number((stepsSucceeded / seconds).toFixed(1)),
    latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)), max: Math.round(latencies.at(-1) ?? 0) },
    peakRssMb: Math.round(peakRss / 1024 / 1024),
    concurrency,
    batchSize,
    submitBatch,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const orders = Number(process.argv[2] ?? 2000);
  const concurrency = Number(process.argv[3] ?? 3);
  console.log(JSON.stringify(await runRuntimeBench({ orders, concurrency }), null, 2));
}
