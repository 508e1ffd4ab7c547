// What operations read (§32, §21, §22): orders by state, orders whose steps wait beyond what their
// plan expects, fallout cases. Read-only SQL, every value a parameter; the read model, the trail,
// approvals and reconciliation findings come from the runtime's own readers.
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { PlanRegistry } from '../../runtime/engine/plans.js';
import { FALLOUT_CASE_STATES, PRODUCT_ORDER_STATES, type FalloutCaseState } from '../../runtime/engine/states.js';
import { falloutFromRow, type FalloutCaseRow } from '../../runtime/engine/unit-of-work.js';
import { orderTrail, type TrailEntry } from '../../runtime/projection/read-model.js';
import { iso } from '../../runtime/store/sql.js';
import type { Queryable } from '../../runtime/store/store.js';

export { FALLOUT_CASE_STATES, PRODUCT_ORDER_STATES };

export interface StateCount {
  state: string;
  count: number;
}

/** How many orders are in each state (states with none are left out). */
export async function ordersByState(db: Queryable): Promise<StateCount[]> {
  const rows = await db.query<{ state: string; n: string | number }>(
    'SELECT state, count(*) AS n FROM product_order GROUP BY state ORDER BY state');
  return rows.map((r) => ({ state: r.state, count: Number(r.n) }));
}

export interface OrderSummary {
  id: string;
  externalId: string | null;
  correlationId: string;
  state: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrderFilter {
  state?: string;
  correlationId?: string;
  limit: number;
  offset: number;
}

/** Orders matching the filter, the latest changed first, and how many match in all. */
export async function listOrders(db: Queryable, filter: OrderFilter): Promise<{ total: number; orders: OrderSummary[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.state !== undefined) { params.push(filter.state); where.push(`state = $${params.length}`); }
  if (filter.correlationId !== undefined) { params.push(filter.correlationId); where.push(`correlation_id = $${params.length}`); }
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const [count] = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM product_order ${clause}`, params);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, external_id, correlation_id, state, created_at, updated_at FROM product_order ${clause}
      ORDER BY updated_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, filter.limit, filter.offset]);
  return { total: Number(count?.n ?? 0), orders: rows.map(orderSummary) };
}

function orderSummary(r: Record<string, unknown>): OrderSummary {
  return {
    id: String(r.id), externalId: (r.external_id as string | null) ?? null, correlationId: String(r.correlation_id),
    state: String(r.state), createdAt: iso(r.created_at) as string, updatedAt: iso(r.updated_at) as string,
  };
}

/**
 * What an operator may type in one search box: an order id, an order's external id, or a
 * correlation id. The orders it names (at most `limit`), whichever of the three matched.
 */
export async function findOrders(db: Queryable, text: string, limit = 20): Promise<OrderSummary[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, external_id, correlation_id, state, created_at, updated_at FROM product_order
      WHERE id = $1 OR external_id = $1 OR correlation_id = $1 ORDER BY updated_at DESC, id LIMIT $2`, [text, limit]);
  return rows.map(orderSummary);
}

export type CorrelatedEntry = TrailEntry & { productOrderId: string };

/** The event trail of every order sharing a correlation id, in the order it was written. */
export async function trailByCorrelation(db: Queryable, correlationId: string): Promise<{ orders: string[]; trail: CorrelatedEntry[] }> {
  const rows = await db.query<{ id: string }>('SELECT id FROM product_order WHERE correlation_id = $1 ORDER BY created_at, id', [correlationId]);
  const orders = rows.map((r) => r.id);
  const trail: CorrelatedEntry[] = [];
  for (const id of orders) for (const entry of await orderTrail(db, id)) trail.push({ productOrderId: id, ...entry });
  trail.sort((a, b) => a.seq - b.seq || a.pos - b.pos);
  return { orders, trail };
}

/** The step states in which a step waits for somebody else: its owner's answer, a retry, a read-back. */
export const WAITING_STEP_STATES = ['STARTED', 'WAITING', 'UNKNOWN'] as const;

export interface StuckStep {
  productOrderId: string;
  correlationId: string;
  itemId: string;
  sagaId: string;
  stepId: string;
  kind: string;
  owner: string;
  state: string;
  attempt: number;
  /** When the step entered the state it is in. */
  since: string;
  waitingMs: number;
  /** What it was expected to take at most: its plan's timeout, or the `olderThanMs` asked for. */
  expectedMs: number;
}

export interface StuckGroup {
  stepId: string;
  kind: string;
  owner: string;
  count: number;
  oldestSince: string;
  orders: StuckStep[];
}

export interface StuckOptions {
  /** Count a step as stuck once it has waited this long, whatever its plan's timeout (0: every waiting step). */
  olderThanMs?: number;
  /** At most this many waiting steps are looked at, the longest waiting first. */
  scanLimit?: number;
}

/**
 * Orders whose steps wait beyond expectation, grouped by step (the step id and its kind): a step
 * in STARTED, WAITING or UNKNOWN, of a saga still going, that has been so for longer than its
 * plan's timeout (the timer should have moved it by then: a timer or a reply lost) or than
 * `olderThanMs` when given. Groups with the most orders first; in a group the longest waiting first.
 */
export async function stuckOrders(db: Queryable, registry: PlanRegistry, now: Date, options: StuckOptions = {}): Promise<StuckGroup[]> {
  const floorMs = options.olderThanMs ?? 0;
  const rows = await db.query<Record<string, unknown>>(
    `SELECT s.product_order_id, s.correlation_id, s.product_order_item_id, s.id AS saga_id, s.plan_hash,
            st.step_id, st.kind, st.owner, st.state, st.attempt, st.updated_at
       FROM saga_step st JOIN saga s ON s.id = st.saga_id
      WHERE st.state = ANY($1::text[]) AND s.state IN ('STARTED', 'HELD', 'COMPENSATING') AND st.updated_at <= $2
      ORDER BY st.updated_at, s.id, st.step_id LIMIT $3`,
    [[...WAITING_STEP_STATES], new Date(now.getTime() - floorMs).toISOString(), options.scanLimit ?? 5000]);
  const plans = new Map<string, CompiledPlan | null>();
  const groups = new Map<string, StuckGroup>();
  for (const r of rows) {
    const hash = String(r.plan_hash);
    if (!plans.has(hash)) plans.set(hash, await registry.get(db, hash).catch(() => null));
    const plan = plans.get(hash);
    const stepId = String(r.step_id);
    const planStep = plan?.kind === 'plan' ? plan.steps.find((s) => s.id === stepId) : undefined;
    const expectedMs = options.olderThanMs ?? planStep?.timeout.ms;
    // A step its plan does not know (a plan gone from the registry) counts as stuck once it waits at all.
    const since = iso(r.updated_at) as string;
    const waitingMs = Math.max(0, now.getTime() - Date.parse(since));
    if (expectedMs !== undefined && waitingMs < expectedMs) continue;
    const stuck: StuckStep = {
      productOrderId: String(r.product_order_id), correlationId: String(r.correlation_id), itemId: String(r.product_order_item_id),
      sagaId: String(r.saga_id), stepId, kind: String(r.kind), owner: String(r.owner), state: String(r.state),
      attempt: Number(r.attempt), since, waitingMs, expectedMs: expectedMs ?? 0,
    };
    const key = `${stuck.stepId}\u0000${stuck.kind}`;
    const group = groups.get(key) ?? { stepId: stuck.stepId, kind: stuck.kind, owner: stuck.owner, count: 0, oldestSince: since, orders: [] };
    group.orders.push(stuck);
    group.count += 1;
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.oldestSince.localeCompare(b.oldestSince) || a.stepId.localeCompare(b.stepId));
}

/** Fallout cases (§21) in a state (every state when absent), the oldest first. */
export async function falloutCases(
  db: Queryable, filter: { state?: FalloutCaseState; productOrderId?: string; limit: number; offset: number },
): Promise<{ total: number; cases: FalloutCaseRow[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.state !== undefined) { params.push(filter.state); where.push(`state = $${params.length}`); }
  if (filter.productOrderId !== undefined) { params.push(filter.productOrderId); where.push(`product_order_id = $${params.length}`); }
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const [count] = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM fallout_case ${clause}`, params);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM fallout_case ${clause} ORDER BY created_at, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
    [...params, filter.limit, filter.offset]);
  return { total: Number(count?.n ?? 0), cases: rows.map(falloutFromRow) };
}

export async function falloutCase(db: Queryable, id: string): Promise<FalloutCaseRow | null> {
  const [row] = await db.query<Record<string, unknown>>('SELECT * FROM fallout_case WHERE id = $1', [id]);
  return row ? falloutFromRow(row) : null;
}

/** An order item with the plan it runs: its saga's (a saga may have moved to a newer version), else the item's own (a bundle item has no saga). */
export interface ItemPlan {
  itemId: string;
  parentItemId: string | null;
  sagaId: string | null;
  sagaState: string | null;
  plan: CompiledPlan | null;
}

/** The items of an order with their plans (for their step graphs), in item id order. */
export async function orderPlans(db: Queryable, registry: PlanRegistry, productOrderId: string): Promise<ItemPlan[]> {
  const rows = await db.query<{ id: string; parent_item_id: string | null; plan_hash: string | null; saga_id: string | null; saga_state: string | null }>(
    `SELECT i.id, i.parent_item_id, coalesce(s.plan_hash, i.plan_hash) AS plan_hash, s.id AS saga_id, s.state AS saga_state
       FROM product_order_item i LEFT JOIN saga s ON s.product_order_id = i.product_order_id AND s.product_order_item_id = i.id
      WHERE i.product_order_id = $1 ORDER BY i.id`, [productOrderId]);
  const out: ItemPlan[] = [];
  for (const r of rows) {
    out.push({
      itemId: r.id, parentItemId: r.parent_item_id, sagaId: r.saga_id, sagaState: r.saga_state,
      plan: r.plan_hash ? await registry.get(db, r.plan_hash).catch(() => null) : null,
    });
  }
  return out;
}
