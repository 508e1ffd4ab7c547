// `npm run bench -- orders`: the cost of one large order (#14). Home Fiber orders of 1, 100, 1,000
// and 5,000 items, each run to completion in a fresh process (bench/orders/child.ts) on PGlite
// and on the local PostgreSQL (a database of its own, emptied before each size); reports the time
// per item and the peak RSS. The goal: time per item at 5,000 items within 1.5x of that at 100.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ensureDatabase } from '../runtime/bench.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const SERVER = process.env.O2A_BENCH_PG ?? 'postgres://root@127.0.0.1:5432';
const DATABASE = 'o2a_bench_orders';

export interface OrderSizeFigure { items: number; ms: number; msPerItem: number; peakRssMb: number; state: string | null }
export interface OrdersBenchResult {
  sizes: number[];
  stores: { store: string; figures: OrderSizeFigure[]; ratio5000to100: number | null; skipped?: string }[];
}

async function emptied(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try { await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public'); } finally { await client.end(); }
}

async function one(items: number, databaseUrl: string): Promise<OrderSizeFigure> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'orders', 'child.ts'), String(items), databaseUrl],
    { cwd: ROOT, maxBuffer: 1 << 24, timeout: 30 * 60_000 });
  const line = stdout.trim().split('\n').pop() ?? '{}';
  const r = JSON.parse(line) as { ms: number; peakRssMb: number; state: string | null };
  return { items, ms: r.ms, msPerItem: r.ms / items, peakRssMb: r.peakRssMb, state: r.state };
}

export async function runOrdersBench(sizes = [1, 100, 1000, 5000]): Promise<OrdersBenchResult> {
  const stores: OrdersBenchResult['stores'] = [];
  const ratio = (figures: OrderSizeFigure[]) => {
    const at = (n: number) => figures.find((f) => f.items === n)?.msPerItem;
    const big = at(5000);
    const small = at(100);
    return big !== undefined && small !== undefined ? big / small : null;
  };
  const pglite: OrderSizeFigure[] = [];
  for (const n of sizes) pglite.push(await one(n, ''));
  stores.push({ store: 'PGlite (in memory)', figures: pglite, ratio5000to100: ratio(pglite) });
  let url: string | null = null;
  try { url = await ensureDatabase(SERVER, DATABASE); } catch (error) {
    stores.push({ store: 'PostgreSQL', figures: [], ratio5000to100: null, skipped: (error as Error).message });
  }
  if (url) {
    const server: OrderSizeFigure[] = [];
    for (const n of sizes) { await emptied(url); server.push(await one(n, url)); }
    stores.push({ store: 'PostgreSQL (local)', figures: server, ratio5000to100: ratio(server) });
  }
  return { sizes, stores };
}
