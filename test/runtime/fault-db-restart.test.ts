// The database goes away and comes back, twice, while a runtime works: PostgreSQL of the test's
// own (own-postgres.ts; the shared server is never stopped) is stopped in fast mode (every session
// cut with 57P01, then connections refused) for ~2 s while 180 Home Fiber orders are in flight,
// and started again. The process must stay up (a pg Client's 'error' event without a listener
// would kill it: vitest reports it as an unhandled error and the run fails), the runtime must say
// it is not ready while the database is gone and ready when it is back, with one warning each way,
// and every order must complete: none failed, no fallout case, one saga per order item.
//
// Each order's installation answer comes (n % 16) * 500 ms late, up to 7.5 s (a scenario with
// `delayMs`, kept in the database: component_reply), so that the orders are at every stage when
// the database goes.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '../../runtime/runtime.js';
import { homeFiberOrder, samplePlans } from './harness.js';
import { createOwnPostgres, ownPostgresUnavailable, type OwnPostgres } from './own-postgres.js';

const ORDERS = 180;
const BATCH = 30;
const LEASE_MS = 2000;
const OUTAGE_MS = 2000;
const SPREAD_MS = 500;
const SPREAD_STEPS = 16;

const why = ownPostgresUnavailable();
if (why) console.warn(`fault-db-restart: skipped: ${why}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(why !== null)('the database restarts under a running runtime', () => {
  let db: OwnPostgres | null = null;
  let runtime: Runtime | null = null;
  /** A connection of the test's own, for reading states (not the runtime's pool). */
  const states = async (): Promise<Record<string, number>> => {
    const client = new pg.Client({ connectionString: db?.url, options: '-c search_path=o2a_restart' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM product_order GROUP BY state');
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const warnings: string[] = [];
  const onWarning = (warning: Error) => { if (warning.message.startsWith('o2a')) warnings.push(warning.message); };

  beforeAll(async () => {
    process.on('warning', onWarning);
    db = await createOwnPostgres();
    runtime = await Runtime.open({ databaseUrl: db.url, schema: 'o2a_restart', leaseMs: LEASE_MS, poolSize: 6 });
    await runtime.registerPlans(await samplePlans());
  });

  afterAll(async () => {
    process.off('warning', onWarning);
    try {
      // A failure may leave the database stopped: start it, so that the runtime closes at once.
      if (db && !db.running) await db.start().catch(() => undefined);
      await runtime?.close().catch(() => undefined);
    } finally {
      await db?.destroy();
    }
  });

  it('goes on after two restarts: every order completed, none failed or duplicated', async () => {
    const rt = runtime as Runtime;
    const server = db as OwnPostgres;
    expect(rt.health().ready).toBe(true);
    for (let from = 0; from < ORDERS; from += BATCH) {
      const entries = [];
      for (let n = from; n < Math.min(ORDERS, from + BATCH); n++) {
        entries.push({
          order: homeFiberOrder(`po-restart-${String(n).padStart(4, '0')}`),
          scenario: { name: 'spread', steps: { install: { outcome: 'success', delayMs: (n % SPREAD_STEPS) * SPREAD_MS } } },
        });
      }
      const results = await rt.submitOrders(entries);
      expect(results.filter((r) => !r.ok)).toEqual([]);
    }
    rt.start(3);

    const outages: { stopMs: number; upAt: number; readyAfterMs: number; completedBefore: number }[] = [];
    for (let outage = 0; outage < 2; outage++) {
      // Let the work go on a while first, then take the database away in the middle of it.
      await sleep(outage === 0 ? 400 : 500);
      const before = await states();
      expect(before.completed ?? 0, 'orders must still be in flight when the database goes').toBeLessThan(ORDERS);
      const downAt = Date.now();
      await server.stop();
      const stopMs = Date.now() - downAt;
      await sleep(OUTAGE_MS);
      // Still here (a pg 'error' event without a listener would have killed this process), and not ready.
      const health = rt.health();
      expect(health.ready).toBe(false);
      expect(health.lastError).toBeTruthy();
      expect(health.since).toBeTruthy();
      await expect(rt.store.query('SELECT 1')).rejects.toThrow();
      await server.start();
      const upAt = Date.now();
      await waitFor('the runtime to be ready again', 15_000, () => (rt.health().ready ? true : undefined));
      outages.push({ stopMs, upAt, readyAfterMs: Date.now() - upAt, completedBefore: before.completed ?? 0 });
    }

    const finalStates = await waitFor('every order to complete', 30_000, async () => {
      const s = await states();
      return (s.completed ?? 0) + (s.failed ?? 0) >= ORDERS ? s : undefined;
    }).catch(async (error: Error) => { throw new Error(`${error.message}: ${JSON.stringify(await states())}`); });
    const doneAt = Date.now();
    console.log(`fault-db-restart: ${JSON.stringify({ outages: outages.map(({ upAt: _upAt, ...o }) => o), allCompletedAfterLastStartMs: doneAt - (outages.at(-1)?.upAt ?? doneAt) })}`);

    expect(finalStates).toEqual({ completed: ORDERS });
    const [fallouts] = await rt.store.query<{ n: string }>('SELECT count(*) AS n FROM fallout_case');
    expect(Number(fallouts?.n)).toBe(0);
    const [sagas] = await rt.store.query<{ sagas: string; items: string; keys: string }>(
      `SELECT (SELECT count(*) FROM saga) AS sagas, (SELECT count(*) FROM product_order_item) AS items,
              (SELECT count(DISTINCT (product_order_id, product_order_item_id)) FROM saga) AS keys`);
    expect(Number(sagas?.sagas)).toBe(ORDERS);
    expect(Number(sagas?.items)).toBe(ORDERS);
    expect(Number(sagas?.keys)).toBe(ORDERS);
    expect(rt.health().ready).toBe(true);
    // One warning when the database goes, one when it is back: per outage, whatever the number of loops.
    expect(warnings.filter((w) => /database unavailable/.test(w))).toHaveLength(2);
    expect(warnings.filter((w) => /database available again/.test(w))).toHaveLength(2);
    expect(warnings.filter((w) => /worker round failed/.test(w))).toEqual([]);
  }, 55_000);
});
