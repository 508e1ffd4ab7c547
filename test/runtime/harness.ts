// Runs runtime tests on every store: PGlite always (one instance per test file, a schema per test),
// the local PostgreSQL when reachable (a schema per test in the `test` database).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import { openPgStore } from '../../runtime/store/pg-store.js';
import { pgliteStoreOn } from '../../runtime/store/pglite-store.js';
import type { Store } from '../../runtime/store/store.js';
import { compileSamplePlans } from '../../runtime/cli-commands.js';

export const PG_URL = process.env.O2A_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface StoreUnderTest {
  name: 'pglite' | 'postgres';
  open(): Promise<Store>;
}

let sharedPglite: PGlite | null = null;

async function postgresReachable(): Promise<string | null> {
  const url = new URL(PG_URL);
  const database = url.pathname.slice(1) || 'test';
  try {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
    await client.connect();
    await client.end();
    return null;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') return (error as Error).message;
  }
  try {
    url.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`).catch(() => undefined);
    await admin.end();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export async function storesUnderTest(): Promise<StoreUnderTest[]> {
  const stores: StoreUnderTest[] = [{
    name: 'pglite',
    open: async () => {
      sharedPglite ??= new PGlite();
      return pgliteStoreOn(sharedPglite, `t_${randomUUID().slice(0, 8)}`);
    },
  }];
  const why = await postgresReachable();
  if (why === null) {
    stores.push({ name: 'postgres', open: () => openPgStore(PG_URL, `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`, 4) });
  } else {
    console.warn(`runtime tests: skipping PostgreSQL (${PG_URL}): ${why}`);
  }
  return stores;
}

export async function newRuntime(
  store: StoreUnderTest, options: { pools?: Record<string, number>; leaseMs?: number } = {},
): Promise<{ runtime: Runtime; clock: ManualClock; store: Store }> {
  const opened = await store.open();
  await migrate(opened);
  const clock = new ManualClock();
  const runtime = new Runtime({ store: opened, clock, workerId: 'worker-a', ...options });
  return { runtime, clock, store: opened };
}

/** Drops a test's schema (PostgreSQL) and closes its pool; PGlite schemas go with the instance. */
export async function disposeRuntime(runtime: Runtime): Promise<void> {
  await runtime.stop();
  if (runtime.store.kind === 'postgres') {
    await runtime.store.exec(`DROP SCHEMA "${runtime.store.schema}" CASCADE`).catch(() => undefined);
    await runtime.store.close();
  }
}

let compiled: CompiledPlan[] | null = null;

/** The sample plans, compiled from plans/ against catalogs/2026.11. */
export async function samplePlans(): Promise<CompiledPlan[]> {
  if (compiled) return compiled;
  const loaded = await compileSamplePlans();
  for (const id of ['HomeFiber1G', 'MobilePostpaid']) {
    if (!loaded.plans.some((p) => p.planId === id)) throw new Error(`sample plan ${id} does not compile: ${loaded.problems.join('; ')}`);
  }
  compiled = loaded.plans;
  return compiled;
}

export function homeFiberOrder(id: string, characteristics: Record<string, string | number | boolean> = {}): unknown {
  return {
    id, externalId: `crm-${id}`, relatedParty: [{ id: 'cust-42', role: 'customer' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G', name: 'Home Fiber 1G' },
      product: { productCharacteristic: Object.entries({ installation: 'technician', ...characteristics }).map(([name, value]) => ({ name, value })) },
    }],
  };
}

export function mobileOrder(id: string, characteristics: Record<string, string | number | boolean> = {}): unknown {
  return {
    id, relatedParty: [{ id: 'cust-7', role: 'customer' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'MOBILE_POSTPAID' },
      product: { productCharacteristic: Object.entries({ simType: 'physical', ...characteristics }).map(([name, value]) => ({ name, value })) },
    }],
  };
}

export interface OutboxView {
  seq: number; messageId: string; kind: string; type: string; destination: string; causationId: string | null;
  correlationId: string; sagaId: string | null; stepId: string | null; idempotencyKey: string | null; published: boolean;
}

export async function outboxOf(store: Store, orderId: string): Promise<OutboxView[]> {
  const rows = await store.query<Record<string, unknown>>(
    `SELECT o.*, NOT EXISTS (SELECT 1 FROM outbox_pending p WHERE p.seq = o.seq) AS published
       FROM outbox o WHERE o.product_order_id = $1 ORDER BY o.seq`, [orderId]);
  return rows.map((r) => ({
    seq: Number(r.seq), messageId: String(r.message_id), kind: String(r.kind), type: String(r.type), destination: String(r.destination),
    causationId: (r.causation_id as string | null) ?? null, correlationId: String(r.correlation_id), sagaId: (r.saga_id as string | null) ?? null,
    stepId: (r.step_id as string | null) ?? null, idempotencyKey: (r.idempotency_key as string | null) ?? null, published: r.published === true,
  }));
}

export async function stepStates(store: Store, orderId: string): Promise<Record<string, string>> {
  const rows = await store.query<{ step_id: string; state: string }>(
    'SELECT st.step_id, st.state FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = $1', [orderId]);
  return Object.fromEntries(rows.map((r) => [r.step_id, r.state]));
}

export async function one<T = Record<string, unknown>>(store: Store, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await store.query<T>(sql, params);
  if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}: ${sql}`);
  return rows[0] as T;
}

/**
 * Runs `start` while another connection to `url` holds a lock (taken by `lock`, in an open
 * transaction), waits until `waiters` statements wait on that connection, then lets them go: two
 * transactions doing the same thing at once, for real.
 */
export async function releasedTogetherOn<T>(
  url: string, store: Pick<Store, 'schema'>, lock: string, params: unknown[], waiters: number, start: () => Promise<T>[],
): Promise<PromiseSettledResult<T>[]> {
  const other = new pg.Client({ connectionString: url });
  await other.connect();
  try {
    await other.query(`SET search_path TO "${store.schema}"`);
    await other.query('BEGIN');
    await other.query(lock, params);
    const [{ pid }] = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
    const started = start().map((p) => p.then((v) => v));
    const settled = Promise.allSettled(started);
    for (let i = 0; i < 250; i++) {
      // Waiting on this connection, or on one that waits on it (a row lock's second waiter).
      // (pg_locks, not pg_stat_activity: the latter is read once per transaction.)
      const { rows } = await other.query<{ n: string }>(
        `WITH RECURSIVE w(pid) AS (
           SELECT pid FROM pg_locks WHERE NOT granted AND $1 = ANY(pg_blocking_pids(pid))
           UNION SELECT l.pid FROM pg_locks l JOIN w ON w.pid = ANY(pg_blocking_pids(l.pid)) WHERE NOT l.granted)
         SELECT count(*) AS n FROM w`, [pid]);
      if (Number(rows[0]?.n) >= waiters) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await other.query('COMMIT');
    return await settled;
  } finally {
    await other.end();
  }
}

/** An output stream that keeps what a CLI command wrote, for the tests to read. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}
