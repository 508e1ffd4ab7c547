// The aggregates one transaction works on: loaded together (the product order row is the lock),
// changed in memory through guarded transitions, written back in a few batched statements.
import { randomUUID } from 'node:crypto';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { WriteBatch, arrayLiteral, iso, parseJson, unnestRows, type Column, type ColumnType } from '../store/sql.js';
import type { Queryable } from '../store/store.js';
import type { AggregateCache } from './cache.js';
import { refsFor } from './envelope-refs.js';
import type { Envelope } from './messages.js';
import type { PlanRegistry } from './plans.js';
import type {
  ActivationCommandState, FalloutCaseState, ProductOrderItemState, ProductOrderState, ResourceState,
  SagaState, SagaStepState,
} from './states.js';

export interface ProductOrderRow {
  id: string; externalId: string | null; correlationId: string; customerId: string | null;
  /** The TMF622 body and the scenario: set on an order taken in this transaction, not loaded otherwise. */
  state: ProductOrderState; scenario: unknown; body: unknown; createdAt: string; updatedAt: string;
  /** The hash of what the body says (orders.ts, `orderBodyHash`): set with the body, not loaded otherwise. */
  bodyHash: string | null;
  /**
   * Why the intake rejected the order (`field: message` each, migration 009): set on an order
   * rejected in this transaction, null otherwise, not loaded.
   */
  rejectionReasons: string[] | null;
  /** Bumped by every transaction that changes what lies under the order (see AggregateCache). */
  version: number;
}

/** The product order columns a transaction locks and reads (the body stays in the database). */
export const ORDER_COLUMNS = 'id, external_id, correlation_id, customer_id, state, created_at, updated_at, version';

/**
 * True for the failure of an intake whose order insert met an order of the same id that another
 * transaction took meanwhile (a unique violation on product_order's key; see `flush`).
 */
export function isOrderIdTaken(error: unknown): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'product_order_pkey';
}
export interface ProductOrderItemRow {
  productOrderId: string; id: string; parentItemId: string | null; offeringId: string; action: string;
  characteristics: Record<string, string | number | boolean>; planHash: string | null;
  state: ProductOrderItemState; updatedAt: string;
}
export interface SagaRow {
  id: string; productOrderId: string; productOrderItemId: string; planHash: string; correlationId: string;
  state: SagaState; heldStepId: string | null; createdAt: string; updatedAt: string;
  /** The cancellation the saga is under (migration 011); null when none. */
  compensation: SagaCompensation | null;
  /** Signals received (migration 012): `customer-accepted`, `first-usage`, with when. */
  signals: Record<string, string> | null;
  /** The amendment the saga is under, or last had (migration 013); null when none. */
  amendment?: SagaAmendment | null;
}
/** An amendment of a saga's item: the steps it replans and the delta their commands carry. */
export interface SagaAmendment {
  requestId: string;
  change: string;
  /**
   * `replanning`: earlier attempts being awaited or undone; `replanned`: the steps run again;
   * `cancelled`: the item was cancelled while replanning.
   */
  phase: 'replanning' | 'replanned' | 'cancelled';
  replan: string[];
  delta: Record<string, { old: unknown; new: unknown }>;
  /** Steps whose commands carry the delta, with the generation (`resumes`) they carry it in. */
  steps: Record<string, number>;
}
/** What a cancellation decided for a saga, and the approval it waits for when its rule requires one. */
export interface SagaCompensation {
  cancelRequestId: string;
  /** The cancel rule that applied (`after ont`), or `default` when the plan has none for the phase. */
  rule: string;
  action: 'stop' | 'compensate';
  approval: { id: string; state: 'PENDING' | 'APPROVED' | 'REFUSED'; by: string | null; at: string | null; stepId?: string } | null;
  /** The item the request names (null: the whole order): the request is done when that is cancelled. */
  scope?: string | null;
  /** Steps whose own compensation needed an approval that was refused: reported, left as they are. */
  refusedSteps?: string[];
}
export interface SagaStepRow {
  sagaId: string; stepId: string; kind: string; owner: string; state: SagaStepState; attempt: number;
  deliveries: number; resumes: number; idempotencyKey: string | null; externalRef: string | null; outcome: string | null;
  evidence: Record<string, string> | null; startedAt: string | null; completedAt: string | null; updatedAt: string;
  /** Compensating commands sent for the step (migration 011). */
  compensations: number;
}
export interface ActivationCommandRow {
  id: string; sagaId: string; stepId: string; target: string | null; idempotencyKey: string;
  state: ActivationCommandState; attempts: number; createdAt: string; updatedAt: string;
}
export interface ResourceReservationRow {
  id: string; sagaId: string; stepId: string; resourceSpec: string | null; resourceId: string | null;
  state: ResourceState; createdAt: string; updatedAt: string;
}
export interface FalloutCaseRow {
  id: string; sagaId: string; failedStepId: string; productOrderId: string; productOrderItemId: string;
  correlationId: string; failureReason: string; suggestedRepair: string; safeRetry: Record<string, unknown>;
  affected: Record<string, unknown>; slaImpact: string; ownerGroup: string; party: 'customer' | 'provider';
  resumeCommand: Record<string, unknown>; state: FalloutCaseState; createdAt: string; resolvedAt: string | null;
}
export interface TimerRow { sagaId: string; stepId: string; kind: TimerKind; attempt: number; dueAt: string }
/** `billing`: a billing trigger's scheduled date (§17). */
export type TimerKind = 'step_timeout' | 'retry' | 'billing';
export interface LogRow {
  productOrderId: string; correlationId: string; messageId: string; causationId: string | null;
  direction: 'in' | 'out' | 'state'; type: string; sagaId: string | null; stepId: string | null;
  payload: Record<string, unknown>; occurredAt: string;
}

/** Columns as `name` (text) or `name:type`. */
function columns(spec: string): Column[] {
  return spec.trim().split(/\s+/).map((c) => {
    const [name, type] = c.split(':');
    return [name as string, (type ?? 'text') as ColumnType];
  });
}

/** The columns each table is written with, in the order the rows list their values. */
const COLUMNS = {
  order: columns(`id external_id correlation_id customer_id state scenario:jsonb body:jsonb body_hash rejection_reasons:jsonb
    created_at:timestamptz updated_at:timestamptz version:integer`),
  orderVersion: columns('id state updated_at:timestamptz version:integer'),
  item: columns('product_order_id id parent_item_id offering_id action characteristics:jsonb plan_hash state updated_at:timestamptz'),
  saga: columns(`id product_order_id product_order_item_id plan_hash correlation_id state held_step_id created_at:timestamptz updated_at:timestamptz
    compensation:jsonb signals:jsonb amendment:jsonb`),
  step: columns(`saga_id step_id kind owner state attempt:integer deliveries:integer resumes:integer idempotency_key external_ref outcome
    evidence:jsonb started_at:timestamptz completed_at:timestamptz updated_at:timestamptz compensations:integer`),
  activation: columns('id saga_id step_id target idempotency_key state attempts:integer created_at:timestamptz updated_at:timestamptz'),
  reservation: columns('id saga_id step_id resource_spec resource_id state created_at:timestamptz updated_at:timestamptz'),
  fallout: columns(`id saga_id failed_step_id product_order_id product_order_item_id correlation_id failure_reason suggested_repair
    safe_retry:jsonb affected:jsonb sla_impact owner_group party resume_command:jsonb state created_at:timestamptz resolved_at:timestamptz`),
  timer: columns('saga_id step_id kind attempt:integer due_at:timestamptz'),
  outbox: columns(`message_id kind type schema_version:integer destination ordering_key correlation_id causation_id product_order_id
    product_order_item_id saga_id step_id idempotency_key payload:jsonb created_at:timestamptz refs:jsonb`),
  log: columns('product_order_id correlation_id message_id causation_id direction type saga_id step_id payload:jsonb occurred_at:timestamptz more:json'),
} as const;

/**
 * What a relay gives the transactions that write outbox rows: its name, a lease end, the
 * unpublished rows it holds, and its epoch (which tells it later whether it let go of any of
 * those rows before the transaction committed).
 */
export interface OutboxLease { owner: string; until: string; held: string[]; epoch?: number }
/** An outbox row as stored: the envelope, its sequence number, and its lease (and the lease's epoch) when written leased. */
export interface StoredMessage extends Envelope { seq: string; leaseUntil: string | null; leaseEpoch?: number }

const key = (a: string, b: string) => `${a}\u0000${b}`;

/** A row of `group` (a saga) by its key there, in a map of such groups. */
function setIn<T>(groups: Map<string, Map<string, T>>, group: string, member: string, row: T): void {
  let rows = groups.get(group);
  if (!rows) { rows = new Map(); groups.set(group, rows); }
  rows.set(member, row);
}

/** An order's sagas up to this many are indexed by each unit of work that takes the order's rows. */
const INDEXED_SAGAS = 32;

/**
 * Every row under one product order, by the keys the engine finds them by. A unit of work holds one
 * for each order it locked; the aggregate cache keeps it between transactions, and the next unit of
 * work on the order takes it over as it is (by reference: nothing copied), so a transaction costs
 * what it changes, not what the order holds. Only one transaction at a time has it: the cache hands
 * it out once, and takes it back only from the transaction that committed its changes.
 */
export class OrderRows {
  readonly items = new Map<string, ProductOrderItemRow>();
  /** Item ids by their parent item's id (the items of a bundle). */
  readonly children = new Map<string, string[]>();
  /** Each item's place in the order (the order items were added or loaded in). */
  readonly place = new Map<string, number>();
  readonly sagas = new Map<string, SagaRow>();
  /** One saga per item: the last one set for it. */
  readonly sagaOfItem = new Map<string, SagaRow>();
  /** By saga, then step id. */
  readonly steps = new Map<string, Map<string, SagaStepRow>>();
  /** By saga, then id. */
  readonly activations = new Map<string, Map<string, ActivationCommandRow>>();
  readonly reservations = new Map<string, Map<string, ResourceReservationRow>>();
  /** Open fallout cases (and ones resolved in the transaction holding these rows), by saga, then id. */
  readonly fallouts = new Map<string, Map<string, FalloutCaseRow>>();
  /** The plans the items and sagas run on. */
  readonly planHashes = new Set<string>();
  /**
   * What the order's state is recomputed from (Engine.recomputeOrder), kept between transactions:
   * the items whose derived state may have changed since the last recompute (`stale`), and the
   * derived state of each top-level item (`top`) with the count of each state among them.
   */
  readonly stale = new Set<string>();
  readonly top = new Map<string, string>();
  readonly topCounts = new Map<string, number>();
  /** Set while the order's item states are being recomputed: those changes mark nothing stale. */
  deriving = false;

  constructor(public order: ProductOrderRow) {}

  addItem(row: ProductOrderItemRow): void {
    if (!this.items.has(row.id)) {
      this.place.set(row.id, this.place.size);
      if (row.parentItemId !== null) {
        const kids = this.children.get(row.parentItemId);
        if (kids) kids.push(row.id); else this.children.set(row.parentItemId, [row.id]);
      }
    }
    this.items.set(row.id, row);
    if (row.planHash) this.planHashes.add(row.planHash);
    this.stale.add(row.id);
  }

  addSaga(row: SagaRow): void {
    this.sagas.set(row.id, row);
    this.sagaOfItem.set(row.productOrderItemId, row);
    this.planHashes.add(row.planHash);
    this.stale.add(row.productOrderItemId);
  }
}

export class UnitOfWork {
  readonly orders = new Map<string, ProductOrderRow>();
  /** The rows under each order locked here. */
  private readonly rows = new Map<string, OrderRows>();
  /** Saga id to the rows of its order, for the sagas loaded or created here and those of small orders taken over. */
  private readonly home = new Map<string, OrderRows>();
  /** Orders taken over from the cache whose sagas are not in `home` (found there on first use). */
  private readonly unindexed: OrderRows[] = [];
  /** A saga by its id, among the orders locked here. */
  readonly sagas = { get: (id: string): SagaRow | undefined => this.rowsOfSaga(id)?.sagas.get(id) };
  /** An open fallout case by its id, among the orders locked here. */
  readonly fallouts = {
    get: (id: string): FalloutCaseRow | undefined => {
      for (const rows of this.rows.values()) {
        for (const ofSaga of rows.fallouts.values()) {
          const found = ofSaga.get(id);
          if (found) return found;
        }
      }
      return undefined;
    },
  };
  readonly plans = new Map<string, CompiledPlan>();

  /** Orders taken in this transaction (inserted), as opposed to loaded ones (updated). */
  private readonly created = new Set<string>();
  // The rows changed here, by key: a row set again under its key is written once, as last set.
  private readonly dirty = {
    orders: new Set<string>(), items: new Map<string, ProductOrderItemRow>(), sagas: new Map<string, SagaRow>(),
    steps: new Map<string, SagaStepRow>(), activations: new Map<string, ActivationCommandRow>(),
    reservations: new Map<string, ResourceReservationRow>(), fallouts: new Map<string, FalloutCaseRow>(),
  };
  readonly outbox: Envelope[] = [];
  /** The outbox rows as stored by `flush` (sequence number, and the lease they were written with). */
  stored: StoredMessage[] = [];
  readonly log: LogRow[] = [];
  private readonly writes: { sql: string; params: unknown[] }[] = [];
  private readonly timersSet = new Map<string, TimerRow>();
  private readonly timersDeleted = new Map<string, { sagaId: string; stepId: string; kind: TimerKind }>();

  /** `now` as stored (ISO 8601, UTC). */
  readonly at: string;

  /**
   * What this unit of work went through beside what it changed: rows read from the database,
   * orders taken over from the cache, sagas indexed when taking one over, items whose state was
   * derived again (Engine.recomputeOrder); and the rows it wrote (`flush`). On a large order
   * taken over from the cache, all but the last are in proportion to the changes, not the order.
   */
  readonly stats = { rowsLoaded: 0, ordersTakenOver: 0, sagasIndexed: 0, itemsDerived: 0, rowsWritten: 0 };

  constructor(readonly now: Date) {
    this.at = now.toISOString();
  }

  // --- access -------------------------------------------------------------------------------
  /** @internal The rows under an order locked here. */
  rowsOf(orderId: string): OrderRows | undefined {
    return this.rows.get(orderId);
  }
  private rowsOfSaga(sagaId: string): OrderRows | undefined {
    const found = this.home.get(sagaId);
    if (found) return found;
    for (const rows of this.unindexed) {
      if (rows.sagas.has(sagaId)) { this.home.set(sagaId, rows); return rows; }
    }
    return undefined;
  }
  private sagaRows(sagaId: string, what: string): OrderRows {
    const rows = this.rowsOfSaga(sagaId);
    if (!rows) throw new Error(`unit of work: ${what} of saga ${sagaId}, whose order is not locked here`);
    return rows;
  }
  private orderRows(orderId: string, what: string): OrderRows {
    const rows = this.rows.get(orderId);
    if (!rows) throw new Error(`unit of work: ${what} of product order ${orderId}, which is not locked here`);
    return rows;
  }
  /** Takes an order's rows as they are (locked, loaded or taken over from the cache). */
  private adopt(rows: OrderRows, indexSagas: boolean): void {
    this.orders.set(rows.order.id, rows.order);
    this.rows.set(rows.order.id, rows);
    if (indexSagas) {
      for (const id of rows.sagas.keys()) this.home.set(id, rows);
      this.stats.sagasIndexed += rows.sagas.size;
    } else {
      this.unindexed.push(rows);
    }
  }

  item(orderId: string, itemId: string): ProductOrderItemRow | undefined {
    return this.rows.get(orderId)?.items.get(itemId);
  }
  itemsOf(orderId: string): ProductOrderItemRow[] {
    const rows = this.rows.get(orderId);
    return rows ? [...rows.items.values()] : [];
  }
  sagasOf(orderId: string): SagaRow[] {
    const rows = this.rows.get(orderId);
    return rows ? [...rows.sagaOfItem.values()] : [];
  }
  sagaOfItem(orderId: string, itemId: string): SagaRow | undefined {
    return this.rows.get(orderId)?.sagaOfItem.get(itemId);
  }
  step(sagaId: string, stepId: string): SagaStepRow | undefined {
    return this.rowsOfSaga(sagaId)?.steps.get(sagaId)?.get(stepId);
  }
  stepsOf(sagaId: string): SagaStepRow[] {
    const steps = this.rowsOfSaga(sagaId)?.steps.get(sagaId);
    return steps ? [...steps.values()] : [];
  }
  activationFor(sagaId: string, stepId: string, idempotencyKey: string | null): ActivationCommandRow | undefined {
    const commands = this.rowsOfSaga(sagaId)?.activations.get(sagaId);
    if (!commands) return undefined;
    for (const a of commands.values()) if (a.stepId === stepId && a.idempotencyKey === idempotencyKey) return a;
    return undefined;
  }
  reservationsOf(sagaId: string): ResourceReservationRow[] {
    const reservations = this.rowsOfSaga(sagaId)?.reservations.get(sagaId);
    return reservations ? [...reservations.values()] : [];
  }
  openFalloutOf(sagaId: string): FalloutCaseRow | undefined {
    const fallouts = this.rowsOfSaga(sagaId)?.fallouts.get(sagaId);
    if (!fallouts) return undefined;
    for (const f of fallouts.values()) if (f.state === 'OPEN') return f;
    return undefined;
  }

  // --- changes ------------------------------------------------------------------------------
  addOrder(row: ProductOrderRow): void {
    this.adopt(new OrderRows(row), true);
    this.created.add(row.id); this.dirty.orders.add(row.id);
  }
  addItem(row: ProductOrderItemRow): void {
    this.orderRows(row.productOrderId, 'item').addItem(row);
    this.dirty.items.set(key(row.productOrderId, row.id), row);
  }
  touchOrder(row: ProductOrderRow): void { row.updatedAt = this.at; this.dirty.orders.add(row.id); }
  touchItem(row: ProductOrderItemRow): void {
    row.updatedAt = this.at;
    const rows = this.rows.get(row.productOrderId);
    if (rows && !rows.deriving) rows.stale.add(row.id);
    this.dirty.items.set(key(row.productOrderId, row.id), row);
  }
  putSaga(row: SagaRow): void {
    row.updatedAt = this.at;
    const rows = this.orderRows(row.productOrderId, 'saga');
    rows.addSaga(row);
    this.home.set(row.id, rows);
    this.dirty.sagas.set(row.id, row);
  }
  putStep(row: SagaStepRow): void {
    row.updatedAt = this.at;
    setIn(this.sagaRows(row.sagaId, 'step').steps, row.sagaId, row.stepId, row);
    this.dirty.steps.set(key(row.sagaId, row.stepId), row);
  }
  putActivation(row: ActivationCommandRow): void {
    row.updatedAt = this.at;
    setIn(this.sagaRows(row.sagaId, 'activation command').activations, row.sagaId, row.id, row);
    this.dirty.activations.set(row.id, row);
  }
  putReservation(row: ResourceReservationRow): void {
    row.updatedAt = this.at;
    setIn(this.sagaRows(row.sagaId, 'resource reservation').reservations, row.sagaId, row.id, row);
    this.dirty.reservations.set(row.id, row);
  }
  putFallout(row: FalloutCaseRow): void {
    setIn(this.orderRows(row.productOrderId, 'fallout case').fallouts, row.sagaId, row.id, row);
    this.dirty.fallouts.set(row.id, row);
  }

  /**
   * Timers of a held saga are parked, not dropped: kept with this due date until the saga goes on
   * (`unpark`), then due at once (§26: a timeout or retry that came while it was held still counts).
   */
  static readonly PARKED = '9999-12-31T00:00:00.000Z';

  /** The saga goes on after a hold: its parked timers are due now (those this unit of work set or cleared aside). */
  unpark(sagaId: string): void {
    this.unparked.add(sagaId);
  }
  private readonly unparked = new Set<string>();

  setTimer(timer: TimerRow): void {
    const k = `${key(timer.sagaId, timer.stepId)}\u0000${timer.kind}`;
    this.timersDeleted.delete(k);
    this.timersSet.set(k, timer);
  }
  clearTimer(sagaId: string, stepId: string, kind: TimerKind): void {
    const k = `${key(sagaId, stepId)}\u0000${kind}`;
    this.timersSet.delete(k);
    this.timersDeleted.set(k, { sagaId, stepId, kind });
  }
  clearTimers(sagaId: string, stepId: string): void {
    for (const kind of ['step_timeout', 'retry'] as const) {
      const k = `${key(sagaId, stepId)}\u0000${kind}`;
      this.timersSet.delete(k);
      this.timersDeleted.set(k, { sagaId, stepId, kind });
    }
  }

  /** A write to run with the flush (an UPDATE or INSERT without RETURNING, parameters numbered from 1). */
  write(sql: string, params: unknown[]): void {
    this.writes.push({ sql, params });
  }

  emit(message: Envelope): void {
    // §9's other ids, as far as they exist now (envelope-refs.ts); ones the caller gave are kept.
    message.refs ??= refsFor(this, message);
    if (message.refs === undefined) delete message.refs;
    this.outbox.push(message);
    this.record({
      productOrderId: message.productOrderId, correlationId: message.correlationId, messageId: message.messageId,
      causationId: message.causationId, direction: 'out', type: message.type, sagaId: message.sagaId,
      stepId: message.stepId,
      payload: { destination: message.destination, idempotencyKey: message.idempotencyKey, ...(message.refs ? { refs: message.refs } : {}) },
      occurredAt: this.at,
    });
  }

  record(row: LogRow): void {
    this.log.push(row);
  }

  /** A state change in the audit trail, caused by the message being handled. */
  recordState(
    order: ProductOrderRow, cause: string | null, type: string,
    where: { sagaId?: string | null; stepId?: string | null }, payload: Record<string, unknown>,
  ): void {
    this.record({
      productOrderId: order.id, correlationId: order.correlationId, messageId: randomUUID(), causationId: cause,
      direction: 'state', type, sagaId: where.sagaId ?? null, stepId: where.stepId ?? null, payload, occurredAt: this.at,
    });
  }

  // --- load and flush -----------------------------------------------------------------------
  /**
   * Locks the product orders (sorted, so two transactions never wait on each other in a cycle) and
   * loads every aggregate under them. With `skipLocked`, orders another transaction holds are left out.
   */
  async load(tx: Queryable, orderIds: string[], registry: PlanRegistry, skipLocked = false, cache?: AggregateCache): Promise<Set<string>> {
    const ids = [...new Set(orderIds)].sort();
    if (ids.length === 0) return new Set();
    const orders = await tx.query<Record<string, unknown>>(
      `SELECT ${ORDER_COLUMNS} FROM product_order WHERE id = ANY($1) ORDER BY id FOR UPDATE${skipLocked ? ' SKIP LOCKED' : ''}`, [ids],
    );
    return this.loadUnder(tx, orders, registry, cache);
  }

  /**
   * Loads every aggregate under product orders this transaction has already locked, in one
   * statement (one JSON document per table). It must be a statement of its own, after the lock:
   * a statement reads with the snapshot it started with, which may predate the lock wait.
   */
  async loadUnder(tx: Queryable, orders: Record<string, unknown>[], registry: PlanRegistry, cache?: AggregateCache): Promise<Set<string>> {
    const locked = orders.map((o) => String(o.id));
    if (locked.length === 0) return new Set();
    // What the cache holds at the version just locked is what the database holds: no reload. Its
    // rows are taken over as they are, not copied (OrderRows).
    const missing: Record<string, unknown>[] = [];
    for (const o of orders) {
      // Already held here: what this unit of work has (with its changes) stays.
      if (this.rows.has(String(o.id))) continue;
      const hit = cache?.take(String(o.id), Number(o.version));
      if (!hit) { missing.push(o); continue; }
      this.adopt(hit, hit.sagas.size <= INDEXED_SAGAS);
      this.stats.ordersTakenOver++;
      for (const hash of hit.planHashes) {
        if (!this.plans.has(hash)) this.plans.set(hash, await registry.get(tx, hash));
      }
    }
    if (missing.length > 0) await this.loadFromDatabase(tx, missing, registry);
    return new Set(locked);
  }

  private async loadFromDatabase(tx: Queryable, orders: Record<string, unknown>[], registry: PlanRegistry): Promise<void> {
    const locked = orders.map((o) => String(o.id));
    // INDEX_ONLY: each table is read per order or saga through its index, whatever the planner
    // knows of the table (`OFFSET 0` keeps each lookup a parameterised index scan): a fresh table
    // without statistics (or not yet vacuumed) must not turn these into scans of every saga step
    // ever written. The writes below find their rows the same way.
    const [loaded] = await tx.query<Record<string, Record<string, unknown>[] | string | null>>(
      `WITH o AS (SELECT unnest($1::text[]) AS id),
            s AS MATERIALIZED (SELECT s.* FROM o CROSS JOIN LATERAL (SELECT * FROM saga s WHERE s.product_order_id = o.id OFFSET 0) s)
       SELECT
         (SELECT json_agg(i) FROM o CROSS JOIN LATERAL (SELECT * FROM product_order_item i WHERE i.product_order_id = o.id OFFSET 0) i) AS items,
         (SELECT json_agg(s) FROM s) AS sagas,
         (SELECT json_agg(st) FROM s CROSS JOIN LATERAL (SELECT * FROM saga_step st WHERE st.saga_id = s.id OFFSET 0) st) AS steps,
         (SELECT json_agg(a) FROM s CROSS JOIN LATERAL (SELECT * FROM activation_command a WHERE a.saga_id = s.id OFFSET 0) a) AS activations,
         (SELECT json_agg(r) FROM s CROSS JOIN LATERAL (SELECT * FROM resource_reservation r WHERE r.saga_id = s.id OFFSET 0) r) AS reservations,
         (SELECT json_agg(f) FROM o CROSS JOIN LATERAL (
            SELECT * FROM fallout_case f WHERE f.product_order_id = o.id AND f.state = 'OPEN' OFFSET 0) f) AS fallouts`,
      [locked]);
    const rows = (name: string): Record<string, unknown>[] => {
      const value = loaded?.[name];
      if (value === null || value === undefined) return [];
      return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>[];
    };
    const items = rows('items');
    const sagas = rows('sagas');
    const steps = rows('steps');
    const activations = rows('activations');
    const reservations = rows('reservations');
    const fallouts = rows('fallouts');
    this.stats.rowsLoaded += orders.length + items.length + sagas.length + steps.length + activations.length + reservations.length + fallouts.length;
    const loadedHere: OrderRows[] = [];
    for (const o of orders) {
      const rows = new OrderRows({
        id: String(o.id), externalId: nullable(o.external_id), correlationId: String(o.correlation_id),
        customerId: nullable(o.customer_id), state: o.state as ProductOrderState, scenario: null, body: null, bodyHash: null,
        rejectionReasons: null,
        createdAt: iso(o.created_at) as string, updatedAt: iso(o.updated_at) as string, version: Number(o.version),
      });
      this.adopt(rows, true);
      loadedHere.push(rows);
    }
    for (const i of items) {
      const hash = nullable(i.plan_hash);
      if (hash && !this.plans.has(hash)) this.plans.set(hash, await registry.get(tx, hash));
      this.rows.get(String(i.product_order_id))?.addItem({
        productOrderId: String(i.product_order_id), id: String(i.id), parentItemId: nullable(i.parent_item_id),
        offeringId: String(i.offering_id), action: String(i.action),
        characteristics: parseJson(i.characteristics) as ProductOrderItemRow['characteristics'],
        planHash: nullable(i.plan_hash), state: i.state as ProductOrderItemState, updatedAt: iso(i.updated_at) as string,
      });
    }
    for (const s of sagas) {
      const rows = this.rows.get(String(s.product_order_id));
      if (!rows) continue;
      rows.addSaga({
        id: String(s.id), productOrderId: String(s.product_order_id), productOrderItemId: String(s.product_order_item_id),
        planHash: String(s.plan_hash), correlationId: String(s.correlation_id), state: s.state as SagaState,
        heldStepId: nullable(s.held_step_id), createdAt: iso(s.created_at) as string, updatedAt: iso(s.updated_at) as string,
        compensation: (parseJson(s.compensation) as SagaCompensation | null) ?? null,
        signals: (parseJson(s.signals) as Record<string, string> | null) ?? null,
        amendment: (parseJson(s.amendment) as SagaAmendment | null) ?? null,
      });
      this.home.set(String(s.id), rows);
      if (!this.plans.has(String(s.plan_hash))) this.plans.set(String(s.plan_hash), await registry.get(tx, String(s.plan_hash)));
    }
    for (const s of steps) {
      const sagaId = String(s.saga_id);
      const rows = this.home.get(sagaId);
      if (!rows) continue;
      setIn(rows.steps, sagaId, String(s.step_id), {
        sagaId, stepId: String(s.step_id), kind: String(s.kind), owner: String(s.owner),
        state: s.state as SagaStepState, attempt: Number(s.attempt), deliveries: Number(s.deliveries), resumes: Number(s.resumes),
        idempotencyKey: nullable(s.idempotency_key), externalRef: nullable(s.external_ref), outcome: nullable(s.outcome),
        evidence: parseJson(s.evidence) as Record<string, string> | null, startedAt: iso(s.started_at),
        completedAt: iso(s.completed_at), updatedAt: iso(s.updated_at) as string, compensations: Number(s.compensations ?? 0),
      });
    }
    for (const a of activations) {
      const sagaId = String(a.saga_id);
      const rows = this.home.get(sagaId);
      if (!rows) continue;
      setIn(rows.activations, sagaId, String(a.id), {
        id: String(a.id), sagaId, stepId: String(a.step_id), target: nullable(a.target),
        idempotencyKey: String(a.idempotency_key), state: a.state as ActivationCommandState, attempts: Number(a.attempts),
        createdAt: iso(a.created_at) as string, updatedAt: iso(a.updated_at) as string,
      });
    }
    for (const r of reservations) {
      const sagaId = String(r.saga_id);
      const rows = this.home.get(sagaId);
      if (!rows) continue;
      setIn(rows.reservations, sagaId, String(r.id), {
        id: String(r.id), sagaId, stepId: String(r.step_id), resourceSpec: nullable(r.resource_spec),
        resourceId: nullable(r.resource_id), state: r.state as ResourceState,
        createdAt: iso(r.created_at) as string, updatedAt: iso(r.updated_at) as string,
      });
    }
    for (const f of fallouts) {
      const row = falloutFromRow(f);
      const rows = this.rows.get(row.productOrderId);
      if (rows) setIn(rows.fallouts, row.sagaId, row.id, row);
    }
  }

  /**
   * Every order's rows as this transaction leaves them (for the cache, once committed): the same
   * objects, nothing copied. Fallout cases resolved here leave them (the cache keeps open ones).
   */
  aggregates(): OrderRows[] {
    for (const f of this.dirty.fallouts.values()) {
      if (f.state === 'OPEN') continue;
      const ofSaga = this.rows.get(f.productOrderId)?.fallouts.get(f.sagaId);
      if (ofSaga?.get(f.id) === f) ofSaga.delete(f.id);
      if (ofSaga?.size === 0) this.rows.get(f.productOrderId)?.fallouts.delete(f.sagaId);
    }
    return [...this.rows.values()];
  }

  /**
   * Writes every change in one statement. `lease` grants the outbox rows written here to a relay
   * (the one of this process): see the outbox insert below.
   */
  async flush(tx: Queryable, lease?: (orderingKeys: string[]) => OutboxLease): Promise<void> {
    const batch = new WriteBatch();
    const d = this.dirty;
    this.stats.rowsWritten += d.orders.size + d.items.size + d.sagas.size + d.steps.size + d.activations.size
      + d.reservations.size + d.fallouts.size;
    const created = [...this.created].sort().map((id) => this.orders.get(id) as ProductOrderRow);
    if (created.length) {
      // A plain insert, never an upsert: an order another transaction took under this one (the
      // same id twice at once) is never overwritten. The statement fails on its key instead
      // (ORDER_ID_TAKEN) and the intake runs again, to find it a duplicate (the same body) or a
      // conflict (another body under the same id, refused; see Engine.intake). In id order, so two
      // intakes of overlapping batches wait on each other rather than deadlock.
      batch.insert('product_order', COLUMNS.order,
        created.map((o) => [o.id, o.externalId, o.correlationId, o.customerId, o.state, o.scenario, o.body, o.bodyHash, o.rejectionReasons,
          o.createdAt, o.updatedAt, o.version]));
    }
    // Every order loaded here gets a new version, changed or not (its state with it, when changed).
    const loaded = [...this.orders.values()].filter((o) => !this.created.has(o.id));
    if (loaded.length) {
      for (const o of loaded) o.version += 1;
      // The rows are locked by this transaction: found through the primary key, updated where they lie.
      const { from, params } = unnestRows(COLUMNS.orderVersion, loaded.map((o) => [o.id, o.state, o.updatedAt, o.version]), 1);
      batch.raw(
        `UPDATE product_order p SET state = r.state, updated_at = r.updated_at, version = r.version
           FROM ${from}
          WHERE p.ctid = ANY (ARRAY(
                  SELECT x.ctid FROM unnest($1::text[]) AS i(id) CROSS JOIN LATERAL (SELECT ctid FROM product_order x WHERE x.id = i.id OFFSET 0) x))
            AND p.id = r.id`,
        params);
    }
    const items = [...this.dirty.items.values()];
    if (items.length) {
      batch.insert('product_order_item', COLUMNS.item,
        items.map((i) => [i.productOrderId, i.id, i.parentItemId, i.offeringId, i.action, i.characteristics, i.planHash, i.state, i.updatedAt]),
        { key: ['product_order_id', 'id'], update: ['state', 'updated_at', 'characteristics'] });
    }
    const sagas = [...this.dirty.sagas.values()];
    if (sagas.length) {
      batch.insert('saga', COLUMNS.saga,
        sagas.map((s) => [s.id, s.productOrderId, s.productOrderItemId, s.planHash, s.correlationId, s.state, s.heldStepId, s.createdAt, s.updatedAt,
          s.compensation, s.signals, s.amendment ?? null]),
        { key: ['id'], update: ['state', 'held_step_id', 'updated_at', 'compensation', 'signals', 'amendment'] });
    }
    const steps = [...this.dirty.steps.values()];
    if (steps.length) {
      batch.insert('saga_step', COLUMNS.step,
        steps.map((s) => [s.sagaId, s.stepId, s.kind, s.owner, s.state, s.attempt, s.deliveries, s.resumes, s.idempotencyKey, s.externalRef,
          s.outcome, s.evidence, s.startedAt, s.completedAt, s.updatedAt, s.compensations]),
        { key: ['saga_id', 'step_id'], update: COLUMNS.step.slice(4).map(([name]) => name) });
    }
    const activations = [...this.dirty.activations.values()];
    if (activations.length) {
      batch.insert('activation_command', COLUMNS.activation,
        activations.map((a) => [a.id, a.sagaId, a.stepId, a.target, a.idempotencyKey, a.state, a.attempts, a.createdAt, a.updatedAt]),
        { key: ['id'], update: ['state', 'attempts', 'updated_at'] });
    }
    const reservations = [...this.dirty.reservations.values()];
    if (reservations.length) {
      batch.insert('resource_reservation', COLUMNS.reservation,
        reservations.map((r) => [r.id, r.sagaId, r.stepId, r.resourceSpec, r.resourceId, r.state, r.createdAt, r.updatedAt]),
        { key: ['id'], update: ['resource_id', 'state', 'updated_at'] });
    }
    const fallouts = [...this.dirty.fallouts.values()];
    if (fallouts.length) {
      batch.insert('fallout_case', COLUMNS.fallout,
        fallouts.map((f) => [f.id, f.sagaId, f.failedStepId, f.productOrderId, f.productOrderItemId, f.correlationId,
          f.failureReason, f.suggestedRepair, f.safeRetry, f.affected, f.slaImpact, f.ownerGroup, f.party,
          f.resumeCommand, f.state, f.createdAt, f.resolvedAt]),
        { key: ['id'], update: ['state', 'resolved_at'] });
    }
    // Writes of aggregates outside the unit of work (cancel requests, approvals), in the same statement.
    for (const write of this.writes) batch.raw(write.sql, write.params);
    if (this.timersDeleted.size) {
      const dels = [...this.timersDeleted.values()];
      batch.raw(
        // Each timer found through the primary key, then deleted where it lies (see INDEX_ONLY).
        `DELETE FROM timer WHERE ctid = ANY (ARRAY(
           SELECT t.ctid FROM unnest($1::text[], $2::text[], $3::text[]) AS d(saga_id, step_id, kind)
            CROSS JOIN LATERAL (SELECT ctid FROM timer t WHERE t.saga_id = d.saga_id AND t.step_id = d.step_id AND t.kind = d.kind OFFSET 0) t))`,
        [dels.map((d) => d.sagaId), dels.map((d) => d.stepId), dels.map((d) => d.kind)].map((values) => arrayLiteral(values, 'text')),
      );
    }
    if (this.unparked.size) {
      // Disjoint from the rows deleted or written above: a statement changes each row once.
      const touched = [...this.timersSet.values(), ...this.timersDeleted.values()];
      batch.raw(
        `UPDATE timer t SET due_at = $2 WHERE t.saga_id = ANY($1::text[]) AND t.due_at = $3::timestamptz
            AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[], $6::text[]) AS d(saga_id, step_id, kind)
                             WHERE d.saga_id = t.saga_id AND d.step_id = t.step_id AND d.kind = t.kind)`,
        [arrayLiteral([...this.unparked], 'text'), this.at, UnitOfWork.PARKED,
          ...[touched.map((d) => d.sagaId), touched.map((d) => d.stepId), touched.map((d) => d.kind)].map((values) => arrayLiteral(values, 'text'))],
      );
    }
    if (this.timersSet.size) {
      batch.insert('timer', COLUMNS.timer,
        [...this.timersSet.values()].map((t) => [t.sagaId, t.stepId, t.kind, t.attempt, t.dueAt]),
        { key: ['saga_id', 'step_id', 'kind'], update: ['attempt', 'due_at'] });
    }
    let granted: OutboxLease | undefined;
    if (this.outbox.length) {
      const columns = COLUMNS.outbox;
      const { from, select, params } = unnestRows(columns, this.outbox.map((m) => [m.messageId, m.kind, m.type, m.schemaVersion, m.destination,
        m.orderingKey, m.correlationId, m.causationId, m.productOrderId, m.productOrderItemId, m.sagaId, m.stepId, m.idempotencyKey,
        m.payload, m.createdAt, m.refs ?? null]), 1, { ordinality: 'ord' });
      const keys = [...new Set(this.outbox.map((m) => m.orderingKey))];
      granted = lease?.(keys);
      const list = columns.map(([name]) => name).join(', ');
      batch.raw(
        `INSERT INTO outbox (${list})
         SELECT ${select} FROM ${from} ORDER BY r.ord
         RETURNING seq, message_id, ordering_key`,
        params, 'outbox_rows');
      // Pending until published. The rows are leased to the relay of the process that writes them,
      // which publishes them right after the commit, unless an earlier message of the same key is
      // still pending and not held by that relay (another process's, or one left to the sweep):
      // then they are left unleased for the sweep, which takes every key's messages in order.
      batch.raw(
        `INSERT INTO outbox_pending (seq, ordering_key, lease_until, lease_owner)
         SELECT o.seq, o.ordering_key,
                CASE WHEN $2::text IS NOT NULL AND b.blocked IS NULL THEN $1::timestamptz END,
                CASE WHEN $2::text IS NOT NULL AND b.blocked IS NULL THEN $2::text END
           FROM outbox_rows o
           LEFT JOIN LATERAL (
             SELECT true AS blocked FROM outbox_pending p
              WHERE p.ordering_key = o.ordering_key AND p.seq <> ALL($3::bigint[]) LIMIT 1) b ON true
         RETURNING seq, lease_until`,
        [granted?.until ?? null, granted?.owner ?? null, arrayLiteral(granted?.held ?? [], 'bigint')], 'pending_rows');
    }
    if (this.log.length) {
      // One audit row per order: its first entry in the columns, the ones after it in `more`, in
      // the compact form of migration 007 (the view audit_trail lists every entry as a row).
      const byOrder = new Map<string, LogRow[]>();
      for (const l of this.log) {
        const group = byOrder.get(l.productOrderId);
        if (group) group.push(l); else byOrder.set(l.productOrderId, [l]);
      }
      const sent = new Set(this.outbox.map((m) => m.messageId));
      batch.insert('event_log', COLUMNS.log,
        [...byOrder.values()].map(([l, ...rest]) => {
          const head = l as LogRow;
          return [head.productOrderId, head.correlationId, head.messageId, head.causationId, head.direction, head.type, head.sagaId,
            head.stepId, head.payload, head.occurredAt, rest.length > 0 ? rest.map((entry) => entryAfter(head, entry, sent)) : null];
        }));
    }
    const stored = await batch.run<{ seq: string | number; message_id: string; lease_until: unknown }>(tx,
      this.outbox.length ? 'o.seq, o.message_id, p.lease_until FROM outbox_rows o JOIN pending_rows p ON p.seq = o.seq' : undefined);
    const byId = new Map(stored.map((row) => [row.message_id, row]));
    this.stored = this.outbox.map((m) => {
      const row = byId.get(m.messageId);
      if (!row) throw new Error(`outbox: message ${m.messageId} was not stored`);
      const leaseUntil = iso(row.lease_until);
      return { ...m, seq: String(row.seq), leaseUntil, ...(leaseUntil !== null && granted?.epoch !== undefined ? { leaseEpoch: granted.epoch } : {}) };
    });
  }
}

/**
 * An audit entry after `head` in the same row, compact (migration 007): what it does not share
 * with the head; a message this transaction sent is named by its id only (the outbox has it).
 */
function entryAfter(head: LogRow, l: LogRow, sent: Set<string>): Record<string, unknown> {
  if (l.direction === 'out' && sent.has(l.messageId)) return { id: l.messageId, dir: 'out' };
  const entry: Record<string, unknown> = { id: l.messageId };
  if (l.direction !== 'state') entry.dir = l.direction;
  entry.type = l.type;
  entry.payload = l.payload;
  if (l.causationId !== head.messageId) entry.cause = l.causationId;
  if (l.sagaId !== head.sagaId) entry.saga = l.sagaId;
  if (l.stepId !== head.stepId) entry.step = l.stepId;
  if (l.correlationId !== head.correlationId) entry.corr = l.correlationId;
  if (l.occurredAt !== head.occurredAt) entry.at = l.occurredAt;
  return entry;
}

function nullable(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}


export function falloutFromRow(f: Record<string, unknown>): FalloutCaseRow {
  return {
    id: String(f.id), sagaId: String(f.saga_id), failedStepId: String(f.failed_step_id),
    productOrderId: String(f.product_order_id), productOrderItemId: String(f.product_order_item_id),
    correlationId: String(f.correlation_id), failureReason: String(f.failure_reason),
    suggestedRepair: String(f.suggested_repair), safeRetry: parseJson(f.safe_retry) as Record<string, unknown>,
    affected: parseJson(f.affected) as Record<string, unknown>, slaImpact: String(f.sla_impact),
    ownerGroup: String(f.owner_group), party: f.party as 'customer' | 'provider',
    resumeCommand: parseJson(f.resume_command) as Record<string, unknown>, state: f.state as FalloutCaseState,
    createdAt: iso(f.created_at) as string, resolvedAt: iso(f.resolved_at),
  };
}
