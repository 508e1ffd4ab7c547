// Runs runtime tests on every store: PGlite always (one instance per test file, a schema per test),
// the local PostgreSQL when reachable (a schema per test in the `test` database).
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { expect } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import { PlanRegistry } from '../../runtime/engine/plans.js';
import {
  ACTIVATION_COMMAND_STATES, FALLOUT_CASE_STATES, PRODUCT_ORDER_ITEM_STATES, PRODUCT_ORDER_STATES, RESOURCE_STATES, SAGA_STATES,
  SAGA_STEP_STATES,
} from '../../runtime/engine/states.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import { openPgStore } from '../../runtime/store/pg-store.js';
import { pgliteStoreOn, startPglite } from '../../runtime/store/pglite-store.js';
import type { Store } from '../../runtime/store/store.js';
import { compileSamplePlans } from '../../runtime/cli-commands.js';

export const PG_URL = process.env.O2A_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface StoreUnderTest {
  name: 'pglite' | 'postgres';
  open(): Promise<Store>;
}

/** The file's PGlite, started as the CLI starts it (a new cluster from the cached template: pglite-template.ts). */
let sharedPglite: Promise<PGlite> | null = null;

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
      sharedPglite ??= startPglite();
      return pgliteStoreOn(await sharedPglite, `t_${randomUUID().slice(0, 8)}`);
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

/** A runtime on a fresh store (migrated), with `plans` registered when given. */
export async function newRuntime(
  store: StoreUnderTest, options: { pools?: Record<string, number>; leaseMs?: number; batchSize?: number; plans?: CompiledPlan[] } = {},
): Promise<{ runtime: Runtime; clock: ManualClock; store: Store }> {
  const { plans, ...runtimeOptions } = options;
  const opened = await store.open();
  await migrate(opened);
  const clock = new ManualClock();
  const runtime = new Runtime({ store: opened, clock, workerId: 'worker-a', ...runtimeOptions });
  if (plans !== undefined) await runtime.registerPlans(plans);
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

/** A Family Pack order with its optional streaming item ordered explicitly. */
export function familyOrder(id: string): unknown {
  return {
    id, relatedParty: [{ id: 'cust-9', role: 'customer' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }, { name: 'simType', value: 'physical' }] },
      productOrderItem: [{ id: '1.tv', action: 'add', productOffering: { id: 'OTT_STREAMING' } }],
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

/**
 * Every internal state name of the runtime's aggregates (product order and items, saga, step,
 * activation command, resource, fallout case; cancel and amendment requests, approvals), and the
 * noisy internal names §23 gives as examples: none may reach a customer-facing text.
 */
export const INTERNAL_STATE_NAMES: ReadonlySet<string> = new Set<string>([
  ...PRODUCT_ORDER_STATES, ...PRODUCT_ORDER_ITEM_STATES, ...SAGA_STATES, ...SAGA_STEP_STATES, ...ACTIVATION_COMMAND_STATES,
  ...RESOURCE_STATES, ...FALLOUT_CASE_STATES,
  // Cancel and amendment requests (TMF622), approvals.
  'acknowledged', 'inProgress', 'done', 'terminatedWithError', 'PENDING', 'APPROVED', 'REFUSED',
  // §23's examples of internal states.
  'RESOURCE_RESERVED', 'WORK_ORDER_DISPATCHED', 'ACTIVATION_SENT', 'VERIFICATION_PENDING', 'SERVICE_ORDER_ITEM_WAITING_ACTIVATION_CALLBACK',
]);

/**
 * Whether a customer-facing text leaks an internal state name: it is one (`completed`,
 * `inProgress`), or it holds, as a word, one that no sentence would use (upper case or underscored
 * like `NOT_STARTED`, camel case like `pendingCancellation`). A plain word in a sentence ("Partly
 * completed", "Cancelled") is English, not a state name.
 */
export function leaksInternalState(text: string): string | null {
  if (INTERNAL_STATE_NAMES.has(text.trim())) return text.trim();
  for (const word of text.split(/[^A-Za-z0-9_]+/)) {
    if (word !== '' && INTERNAL_STATE_NAMES.has(word) && /[A-Z_]/.test(word)) return word;
  }
  return null;
}

/** The fields of a notification's payload meant for the customer (the rest is addressing). */
const CUSTOMER_FIELDS = new Set(['message', 'text', 'subject', 'body', 'title', 'status', 'customerStatus']);

function customerTexts(value: unknown, into: string[], key?: string): void {
  if (typeof value === 'string') { if (key !== undefined && CUSTOMER_FIELDS.has(key)) into.push(value); return; }
  if (Array.isArray(value)) { for (const v of value) customerTexts(v, into, key); return; }
  if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) customerTexts(v, into, k);
}

/**
 * Asserts that no customer-facing text of an order is an internal state name (§23): the read
 * model's customer status of the order and of each item, what the notification component was
 * asked to tell the customer (the template, and any message text of the command), what customer
 * care is to tell the customer (fallout cases waiting for the customer), and the answers given to
 * the channel for a cancel request. Returns the texts it checked.
 */
export async function expectCustomerFacingClean(store: Store, orderId: string): Promise<string[]> {
  const view = await projectOrder(store, new PlanRegistry(), orderId);
  expect(view, `order ${orderId} has a read model`).not.toBeNull();
  const texts: { where: string; text: string }[] = [{ where: 'customerVisibleStatus', text: String(view?.customerVisibleStatus) }];
  for (const item of view?.items ?? []) texts.push({ where: `items[${item.id}].customerStatus`, text: item.customerStatus });
  const notifications = await store.query<{ payload: unknown }>(
    `SELECT o.payload FROM outbox o WHERE o.product_order_id = $1 AND o.kind = 'command'
        AND (o.payload->>'kind' = 'notification' OR o.type = 'NotifyCustomer')`, [orderId]);
  for (const n of notifications) {
    const payload = (typeof n.payload === 'string' ? JSON.parse(n.payload) : n.payload) as { ref?: { id?: string } | null };
    if (payload.ref?.id) texts.push({ where: 'notification template', text: payload.ref.id });
    const found: string[] = [];
    customerTexts(payload, found);
    for (const text of found) texts.push({ where: 'notification', text });
  }
  const careTexts = await store.query<{ suggested_repair: string | null }>(
    `SELECT suggested_repair FROM fallout_case WHERE product_order_id = $1 AND party = 'customer'`, [orderId]);
  for (const c of careTexts) if (c.suggested_repair) texts.push({ where: 'fallout case for the customer', text: c.suggested_repair });
  const answers = await store.query<{ message: string | null }>('SELECT message FROM cancel_request WHERE product_order_id = $1', [orderId]);
  for (const a of answers) if (a.message) texts.push({ where: 'cancel request answer', text: a.message });
  const leaks = texts.map((t) => ({ ...t, leak: leaksInternalState(t.text) })).filter((t) => t.leak !== null);
  const named = leaks.map((l) => `${l.where}: ${JSON.stringify(l.text)} (${String(l.leak)})`).join('; ');
  expect(leaks, `customer-facing texts of ${orderId} naming internal states: ${named}`).toEqual([]);
  return texts.map((t) => t.text);
}
