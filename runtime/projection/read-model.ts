// The §32 read model: an operational projection rebuilt from the audit trail (audit_trail over event_log), never
// the system of record. Customer status comes from the plan's status mapping, never the internal state.
// `customerVisibleStatus` is the only field meant for the customer (§23); everything else in the
// view is for the operator: the internal state, steps, fallout, and why an order was rejected.
import type { CompiledBundle, CompiledPlan, CompiledSinglePlan } from '../../compiler/emit/schema.js';
import type { PlanRegistry } from '../engine/plans.js';
import { iso, parseJson } from '../store/sql.js';
import type { Queryable } from '../store/store.js';

export interface TrailEntry {
  /** The audit row (event_log.seq) and the entry's place in it (0: the row's own columns). */
  seq: number;
  pos: number;
  occurredAt: string;
  direction: 'in' | 'out' | 'state';
  type: string;
  messageId: string;
  causationId: string | null;
  correlationId: string;
  sagaId: string | null;
  stepId: string | null;
  payload: Record<string, unknown>;
}

export interface StepView {
  id: string;
  itemId: string;
  state: string;
  attempt: number;
  lastUpdated: string;
}

/** Why the intake rejected an order: the field at fault (as validation problems name it) and what is wrong with it. */
export interface RejectionReason {
  /**
   * `productOrderItem.0.productOffering.id`; null when the reason names no field. (Orders rejected
   * before migration 009 name the order item instead: `productOrderItem 1`.)
   */
  field: string | null;
  message: string;
}

/** Why an item's fulfillment failed. */
export interface FailureReason {
  itemId: string;
  sagaId: string;
  stepId: string;
  outcome: string | null;
  reason: string | null;
}

/**
 * Where an item's billing readiness is (its billing step): `awaiting-trigger` (the plan's trigger
 * has not come), `requested` (sent to billing), `retrying` (it failed, a retry is due), `failed`
 * (retries spent: reconciliation tries again), `confirmed`, `cancelled` (compensated), or
 * `not-started`.
 */
export type BillingReadiness = 'not-started' | 'awaiting-trigger' | 'requested' | 'retrying' | 'failed' | 'confirmed' | 'cancelled';

export interface OrderReadModel {
  correlationId: string;
  productOrderId: string;
  /** For the customer: the plan's status text (or a default), never an internal state nor a reason. */
  customerVisibleStatus: string;
  /** For the operator, as everything below. */
  internalState: string;
  /**
   * An order rejected at intake: why, from the audit entry of its rejection (else the reasons kept
   * with the order's row). When neither has them (rejected before migration 009, its rejection
   * event gone from the outbox) one entry without a field says they were not recorded. Null for
   * an order that was not rejected.
   */
  rejectionReasons: RejectionReason[] | null;
  /**
   * Why items failed, where the plan says plainly that a step's outcome fails the item (`on
   * <outcome> fail`, `on timeout fail`): the step, the outcome and the reason it was given, per
   * failed item. Null when no item failed.
   */
  failureReasons: FailureReason[] | null;
  /**
   * §28, for the operator: an order technically complete (`completed`, `partial`) is commercially
   * `complete` once billing readiness is confirmed for every completed item that has a billing step,
   * `pending` while one is not (awaiting its trigger, retried after a failure, failed and left to
   * reconciliation); null while the order is not technically complete.
   */
  commercialState: 'complete' | 'pending' | null;
  /**
   * Each item with its own customer status (§20, §23: customer communication is item-aware) and
   * its billing readiness (§20: billing is item-aware; null: no billing step, or a bundle item).
   */
  items: {
    id: string; state: string; sagaId: string | null; sagaState: string | null; planId: string | null; customerStatus: string;
    billingReadiness: BillingReadiness | null;
    /** The TMF622 action of the item (add, modify, delete, noChange): it chose the plan. */
    action: string;
  }[];
  currentBlockingStep: string | null;
  steps: StepView[];
  customerActionRequired: boolean;
  providerActionRequired: boolean;
  falloutCaseId: string | null;
  estimatedNextAction: string | null;
  /** What reconciliation (§22) found about the order and did: repaired, retried or alerted; oldest first. */
  reconciliation: { kind: string; action: string; foundAt: string; stepId: string | null }[];
}

export async function orderTrail(db: Queryable, productOrderId: string): Promise<TrailEntry[]> {
  const rows = await db.query<Record<string, unknown>>(
    'SELECT * FROM audit_trail WHERE product_order_id = $1 ORDER BY seq, pos', [productOrderId]);
  return rows.map((r) => ({
    seq: Number(r.seq), pos: Number(r.pos), occurredAt: iso(r.occurred_at) as string, direction: r.direction as TrailEntry['direction'],
    type: String(r.type), messageId: String(r.message_id), causationId: (r.causation_id as string | null) ?? null,
    correlationId: String(r.correlation_id), sagaId: (r.saga_id as string | null) ?? null, stepId: (r.step_id as string | null) ?? null,
    payload: parseJson(r.payload) as Record<string, unknown>,
  }));
}

/**
 * The order a §9 id belongs to (a service order, service order item, reservation, activation
 * command, work order, appointment or customer id a message carried, migration 016), and which
 * id it is; null when no message carried it. A scan of the outbox: for operations, not the hot path.
 */
export async function orderOfRef(db: Queryable, id: string): Promise<{ productOrderId: string; name: string } | null> {
  if (typeof id !== 'string' || id === '') return null;
  const rows = await db.query<{ product_order_id: string; name: string }>(
    `SELECT o.product_order_id, r.key AS name FROM outbox o CROSS JOIN LATERAL jsonb_each_text(o.refs) r
      WHERE o.refs IS NOT NULL AND r.value = $1 ORDER BY o.seq DESC LIMIT 1`, [id]);
  const row = rows[0];
  if (row) return { productOrderId: row.product_order_id, name: row.name };
  // An id no message carried yet: the records that hold it (a work order or appointment the owner
  // answered with: the step's external reference; a reservation; an activation command; a saga).
  const held = await db.query<{ product_order_id: string; name: string }>(
    `SELECT s.product_order_id, CASE st.kind WHEN 'work_order' THEN 'workOrderId' WHEN 'appointment' THEN 'appointmentId' ELSE 'externalRef' END AS name
       FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE st.external_ref = $1
     UNION ALL SELECT s.product_order_id, 'resourceReservationId' FROM resource_reservation r JOIN saga s ON s.id = r.saga_id WHERE r.id = $1
     UNION ALL SELECT s.product_order_id, 'activationCommandId' FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE a.id = $1
     UNION ALL SELECT s.product_order_id, 'sagaId' FROM saga s WHERE s.id = $1
     LIMIT 1`, [id]);
  return held[0] ? { productOrderId: held[0].product_order_id, name: held[0].name } : null;
}

interface SagaFold {
  id: string;
  itemId: string;
  planHash: string;
  state: string;
  steps: Map<string, StepView>;
  heldStep: string | null;
  party: 'customer' | 'provider' | null;
  falloutCaseId: string | null;
  repair: string | null;
  failed: { stepId: string; outcome: string | null; reason: string | null } | null;
  /** Steps whose billing trigger the saga was told to wait for. */
  awaitingTrigger: Set<string>;
}

/** Folds the trail of one order into its read model; null when the order is unknown. */
export async function projectOrder(db: Queryable, registry: PlanRegistry, productOrderId: string): Promise<OrderReadModel | null> {
  const trail = await orderTrail(db, productOrderId);
  if (trail.length === 0) return null;
  let orderState = 'acknowledged';
  let reasons: unknown[] | null = null;
  const items = new Map<string, string>();
  const sagas = new Map<string, SagaFold>();
  const reconciliation: OrderReadModel['reconciliation'] = [];
  for (const e of trail) {
    const p = e.payload;
    if (e.type === 'ReconciliationFinding') {
      reconciliation.push({ kind: String(p.kind), action: String(p.action), foundAt: String(p.foundAt ?? e.occurredAt), stepId: e.stepId });
    } else if (e.type === 'ProductOrderStateChanged') {
      orderState = String(p.to);
      reasons = orderState === 'rejected' && Array.isArray(p.reasons) ? p.reasons : null;
    }
    else if (e.type === 'ProductOrderCreated') orderState = String(p.state);
    else if (e.type === 'ProductOrderItemStateChanged') items.set(String(p.productOrderItemId), String(p.to));
    else if (e.type === 'SagaStarted' && e.sagaId) {
      sagas.set(e.sagaId, {
        id: e.sagaId, itemId: String(p.productOrderItemId), planHash: String(p.planHash), state: 'STARTED',
        steps: new Map(), heldStep: null, party: null, falloutCaseId: null, repair: null, failed: null, awaitingTrigger: new Set(),
      });
      if (!items.has(String(p.productOrderItemId))) items.set(String(p.productOrderItemId), 'acknowledged');
    } else if (e.sagaId && sagas.has(e.sagaId)) {
      const saga = sagas.get(e.sagaId) as SagaFold;
      if (e.type === 'StepStateChanged' && e.stepId) {
        const previous = saga.steps.get(e.stepId);
        saga.steps.set(e.stepId, {
          id: e.stepId, itemId: saga.itemId, state: String(p.to),
          attempt: typeof p.attempt === 'number' ? p.attempt : previous?.attempt ?? 0, lastUpdated: e.occurredAt,
        });
        if (p.to === 'FAILED') {
          saga.failed = { stepId: e.stepId, outcome: typeof p.outcome === 'string' ? p.outcome : null, reason: typeof p.reason === 'string' ? p.reason : null };
        }
      } else if (e.type === 'BillingAwaitingTrigger' && e.stepId) {
        saga.awaitingTrigger.add(e.stepId);
      } else if (e.type === 'SagaPlanMigrated') {
        // `o2a sagas migrate` moved the saga to a new plan version: show that version's steps.
        saga.planHash = String(p.planHash);
      } else if (e.type === 'SagaStateChanged') {
        saga.state = String(p.to);
        if (p.to !== 'HELD') { saga.heldStep = null; saga.party = null; saga.falloutCaseId = null; saga.repair = null; }
      } else if (e.type === 'FalloutCaseRaised') {
        saga.heldStep = e.stepId; saga.party = p.party as 'customer' | 'provider';
        saga.falloutCaseId = String(p.caseId); saga.repair = String(p.suggestedRepair);
      }
    }
  }
  const plans = new Map<string, CompiledPlan>();
  for (const saga of sagas.values()) plans.set(saga.planHash, await registry.get(db, saga.planHash));

  const steps: StepView[] = [];
  let blocking: { saga: SagaFold; step: StepView; plan: CompiledSinglePlan } | null = null;
  const heldFirst = [...sagas.values()].sort((a, b) => Number(b.state === 'HELD') - Number(a.state === 'HELD'));
  for (const saga of heldFirst) {
    const plan = plans.get(saga.planHash);
    if (!plan || plan.kind !== 'plan') continue;
    for (const planStep of plan.steps) {
      const view = saga.steps.get(planStep.id) ?? { id: planStep.id, itemId: saga.itemId, state: 'NOT_STARTED', attempt: 0, lastUpdated: '' };
      steps.push(view);
      const blocks = saga.heldStep ? saga.heldStep === planStep.id : ['STARTED', 'WAITING', 'UNKNOWN'].includes(view.state);
      if (blocks && !blocking) blocking = { saga, step: view, plan };
    }
  }

  const heldSaga = [...sagas.values()].find((s) => s.state === 'HELD');
  const firstPlan = [...plans.values()].find((p): p is CompiledSinglePlan => p.kind === 'plan');
  const statusPlan = blocking?.plan ?? firstPlan;
  const bundles = await bundlesOf(db, registry, productOrderId);
  const customerVisibleStatus = orderBundleStatus(bundles, orderState, heldSaga?.itemId ?? null)
    ?? customerStatus(statusPlan, orderState, blocking, heldSaga);
  const rejectionReasons = orderState === 'rejected' ? await reasonsOf(db, productOrderId, reasons) : null;
  const failures = [...sagas.values()].filter((s) => s.state === 'FAILED' && s.failed !== null)
    .map((s) => ({ itemId: s.itemId, sagaId: s.id, ...(s.failed as NonNullable<SagaFold['failed']>) }));
  const ownViews = [...items].map(([id, state]) => {
    const saga = [...sagas.values()].find((s) => s.itemId === id);
    const plan = saga ? plans.get(saga.planHash) : undefined;
    // An item of a bundle: the bundle's `<item> <state>` text first; a bundle item: the bundle's own.
    const bundleText = bundles.itemStatus(id, state);
    return {
      id, state, sagaId: saga?.id ?? null, sagaState: saga?.state ?? null, planId: plan?.planId ?? null,
      customerStatus: bundleText ?? itemCustomerStatus(saga, plan, state), billingReadiness: billingReadiness(saga, plan),
      action: bundles.actionOf(id),
    };
  });
  // A bundle item's billing readiness: that of the items under it (§20: billing is item-aware).
  const itemViews = ownViews.map((view) => (bundles.isBundle(view.id)
    ? { ...view, billingReadiness: bundleReadiness(bundles.descendants(view.id).map((id) => ownViews.find((v) => v.id === id)?.billingReadiness ?? null)) }
    : view));
  return {
    correlationId: trail[0]?.correlationId ?? '',
    productOrderId,
    customerVisibleStatus,
    internalState: orderState,
    rejectionReasons,
    failureReasons: failures.length > 0 ? failures : null,
    commercialState: commercialState(orderState, itemViews),
    items: itemViews,
    currentBlockingStep: blocking?.step.id ?? null,
    steps,
    customerActionRequired: heldSaga?.party === 'customer',
    providerActionRequired: heldSaga?.party === 'provider' || blocking?.step.state === 'UNKNOWN',
    falloutCaseId: heldSaga?.falloutCaseId ?? null,
    estimatedNextAction: nextAction(orderState, blocking, heldSaga),
    reconciliation,
  };
}

/**
 * The reasons of a rejected order: those of its rejection's audit entry, else those migration 009
 * kept with its row (orders rejected before the entry carried them), else one saying they are unknown.
 */
async function reasonsOf(db: Queryable, productOrderId: string, fromTrail: unknown[] | null): Promise<RejectionReason[]> {
  let reasons = fromTrail;
  if (reasons === null || reasons.length === 0) {
    const rows = await db.query<{ rejection_reasons: unknown }>('SELECT rejection_reasons FROM product_order WHERE id = $1', [productOrderId]);
    const kept = parseJson(rows[0]?.rejection_reasons ?? null);
    reasons = Array.isArray(kept) ? kept : null;
  }
  if (reasons === null || reasons.length === 0) {
    return [{ field: null, message: 'not recorded (the order was rejected at intake before migration 009, which keeps them)' }];
  }
  return reasons.map((r) => reasonOf(String(r)));
}

/**
 * `field: message` split (rejection reasons here; the CLI's intake problems, `problemOf`, too); a
 * text without a field, or one about the whole order or scenario, has none.
 */
export function reasonOf(text: string): RejectionReason {
  const match = /^(productOrderItem [^\s:]+|[^\s:]+): (.*)$/s.exec(text);
  if (!match || match[1] === '(order)' || match[1] === '(scenario)') return { field: null, message: match ? match[2] as string : text };
  return { field: match[1] as string, message: match[2] as string };
}

const READINESS_OF_STEP: Record<string, BillingReadiness> = {
  NOT_STARTED: 'not-started', STARTED: 'requested', UNKNOWN: 'requested', WAITING: 'retrying', FAILED: 'failed', SUCCEEDED: 'confirmed',
  COMPENSATING: 'cancelled', COMPENSATED: 'cancelled',
};

/** An item's billing readiness: its billing step's state (null: no billing step, skipped, or no saga). */
function billingReadiness(saga: SagaFold | undefined, plan: CompiledPlan | undefined): BillingReadiness | null {
  if (!saga || !plan || plan.kind !== 'plan') return null;
  const billing = plan.steps.find((s) => s.kind === 'billing_trigger');
  if (!billing) return null;
  const state = saga.steps.get(billing.id)?.state ?? 'NOT_STARTED';
  if (state === 'SKIPPED') return null;
  if (state === 'NOT_STARTED' && saga.awaitingTrigger.has(billing.id)) return 'awaiting-trigger';
  return READINESS_OF_STEP[state] ?? null;
}

/** §28: technically complete, commercially complete once every completed item's billing readiness is confirmed. */
function commercialState(orderState: string, items: { state: string; billingReadiness: BillingReadiness | null }[]): OrderReadModel['commercialState'] {
  if (orderState !== 'completed' && orderState !== 'partial') return null;
  const billed = items.filter((i) => i.state === 'completed' && i.billingReadiness !== null);
  return billed.every((i) => i.billingReadiness === 'confirmed') ? 'complete' : 'pending';
}

const STEP_STATUS: Record<string, string> = { STARTED: 'running', UNKNOWN: 'running', WAITING: 'waiting', FAILED: 'failed', SUCCEEDED: 'done' };
const ORDER_STATUS: Record<string, string> = {
  acknowledged: 'received', inProgress: 'received', completed: 'completed', held: 'held', failed: 'failed', cancelled: 'cancelled',
};
const DEFAULT_TEXT: Record<string, string> = {
  acknowledged: 'Order received', inProgress: 'In progress', held: 'On hold: we will contact you', completed: 'Completed',
  partial: 'Partly completed', failed: 'We could not complete your order', rejected: 'Order not accepted', cancelled: 'Cancelled',
  assessingCancellation: 'Cancellation requested', pendingCancellation: 'Cancelling your order',
};

function customerStatus(
  plan: CompiledSinglePlan | undefined, orderState: string,
  blocking: { saga: SagaFold; step: StepView } | null, held: SagaFold | undefined,
): string {
  const mapping = plan?.statusMapping ?? [];
  const find = (step: string | null, state: string) => mapping.find((m) => m.step === step && m.state === state)?.text;
  if (orderState === 'completed' || orderState === 'failed' || orderState === 'cancelled' || orderState === 'rejected' || orderState === 'partial') {
    return find(null, ORDER_STATUS[orderState] ?? orderState) ?? DEFAULT_TEXT[orderState] ?? 'In progress';
  }
  // Being cancelled: the plan's `cancelling` text, else a default; never where fulfillment stopped.
  if (orderState === 'assessingCancellation' || orderState === 'pendingCancellation') {
    return find(null, 'cancelling') ?? DEFAULT_TEXT[orderState] as string;
  }
  if (held?.heldStep) {
    // A hold (`on <outcome> hold <party>`: the step waits) shows the step's `held` text; a fallout
    // (the step failed, the provider repairs it) its `failed` text: a step's `held` text asks the
    // customer to act, which a provider's fallout on the same step must not.
    const failed = held.steps.get(held.heldStep)?.state === 'FAILED';
    return find(held.heldStep, failed ? 'failed' : 'held') ?? find(null, 'held') ?? DEFAULT_TEXT.held as string;
  }
  if (blocking) {
    const state = STEP_STATUS[blocking.step.state];
    const text = state ? find(blocking.step.id, state) : undefined;
    if (text) return text;
    // The latest mapped step already passed still describes where the order is.
    const passed = (plan?.steps ?? []).map((s) => s.id).filter((id) => blocking.saga.steps.get(id)?.state === 'SUCCEEDED');
    for (const id of passed.reverse()) {
      const earlier = find(id, 'running');
      if (earlier) return earlier;
    }
  }
  return find(null, 'received') ?? DEFAULT_TEXT[orderState] ?? 'In progress';
}

/** The order's bundles: which items are bundles, which bundle item each item under one is. */
interface OrderBundles {
  isBundle(itemId: string): boolean;
  /** The items under a bundle item (all levels). */
  descendants(itemId: string): string[];
  /** The bundle's `status` text for an item: a bundle item's own entries, an item's `<name> <state>` in its bundle; null: none. */
  itemStatus(itemId: string, state: string): string | null;
  /** The single bundle the order is (its only top item), and the name of an item in it. */
  top: CompiledBundle | null;
  /** The TMF622 action an item asks for. */
  actionOf(itemId: string): string;
  nameIn(itemId: string): string | null;
}

const BUNDLE_STATE: Record<string, string> = {
  acknowledged: 'received', pending: 'received', completed: 'completed', held: 'held', failed: 'failed', cancelled: 'cancelled',
  assessingCancellation: 'cancelling', pendingCancellation: 'cancelling',
};

async function bundlesOf(db: Queryable, registry: PlanRegistry, productOrderId: string): Promise<OrderBundles> {
  const rows = await db.query<{ id: string; parent_item_id: string | null; plan_hash: string | null; action: string }>(
    'SELECT id, parent_item_id, plan_hash, action FROM product_order_item WHERE product_order_id = $1', [productOrderId]);
  const bundleOf = new Map<string, CompiledBundle>();
  for (const row of rows) {
    if (!row.plan_hash) continue;
    const plan = await registry.get(db, row.plan_hash).catch(() => null);
    if (plan?.kind === 'bundle') bundleOf.set(row.id, plan);
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  /** An item's name in the bundle right above it: the bundle entry its plan is pinned to. */
  const nameIn = (itemId: string): string | null => {
    const row = byId.get(itemId);
    const bundle = row?.parent_item_id ? bundleOf.get(row.parent_item_id) : undefined;
    return bundle?.items.find((e) => e.planHash === row?.plan_hash)?.name ?? null;
  };
  const descendants = (itemId: string): string[] => rows.filter((r) => r.parent_item_id === itemId).flatMap((r) => [r.id, ...descendants(r.id)]);
  const tops = rows.filter((r) => r.parent_item_id === null);
  return {
    isBundle: (itemId) => bundleOf.has(itemId),
    actionOf: (itemId) => byId.get(itemId)?.action ?? 'add',
    descendants,
    top: tops.length === 1 ? bundleOf.get(tops[0]?.id as string) ?? null : null,
    nameIn,
    itemStatus(itemId, state) {
      const own = bundleOf.get(itemId);
      if (own) {
        const text = own.statusMapping.find((m) => m.step === null && m.state === (BUNDLE_STATE[state] ?? (state === 'inProgress' ? 'received' : state)))?.text;
        return text ?? DEFAULT_TEXT[state] ?? 'In progress';
      }
      const parent = byId.get(itemId)?.parent_item_id;
      const bundle = parent ? bundleOf.get(parent) : undefined;
      const name = nameIn(itemId);
      const mapped = BUNDLE_STATE[state];
      if (!bundle || !name || !mapped) return null;
      return bundle.statusMapping.find((m) => m.step === name && m.state === mapped)?.text ?? null;
    },
  };
}

/**
 * An order of one bundle: the bundle's own `status` mapping for where the whole order is (received
 * before fulfillment starts, held: the held item's `<name> held` else `held`, completed, failed,
 * cancelled, being cancelled); null when it has no entry for that, or the order is no single
 * bundle (then the item's plan speaks, as for any order; in progress it always does).
 */
function orderBundleStatus(bundles: OrderBundles, orderState: string, heldItemId: string | null): string | null {
  const bundle = bundles.top;
  if (!bundle || orderState === 'inProgress') return null;
  const state = BUNDLE_STATE[orderState];
  if (!state) return null;
  const find = (step: string | null) => bundle.statusMapping.find((m) => m.step === step && m.state === state)?.text;
  if (state === 'held') {
    const name = heldItemId ? bundles.nameIn(heldItemId) : null;
    return (name ? find(name) : undefined) ?? find(null) ?? null;
  }
  return find(null) ?? null;
}

const READINESS_ORDER: BillingReadiness[] = ['failed', 'retrying', 'awaiting-trigger', 'not-started', 'requested', 'confirmed', 'cancelled'];

/**
 * A bundle item's billing readiness from its items': null when none has any; confirmed when every
 * one not cancelled is; else the one furthest from confirmed (failed first).
 */
function bundleReadiness(of: (BillingReadiness | null)[]): BillingReadiness | null {
  const known = of.filter((r): r is BillingReadiness => r !== null);
  if (known.length === 0) return null;
  return READINESS_ORDER.find((r) => known.includes(r)) ?? null;
}

/** An item's customer status: its plan's mapping for where its own saga is (a bundle item: the defaults). */
function itemCustomerStatus(saga: SagaFold | undefined, plan: CompiledPlan | undefined, state: string): string {
  if (!saga || !plan || plan.kind !== 'plan') return DEFAULT_TEXT[state] ?? 'In progress';
  let blocking: { saga: SagaFold; step: StepView } | null = null;
  for (const planStep of plan.steps) {
    const view = saga.steps.get(planStep.id) ?? { id: planStep.id, itemId: saga.itemId, state: 'NOT_STARTED', attempt: 0, lastUpdated: '' };
    if (saga.heldStep ? saga.heldStep === planStep.id : ['STARTED', 'WAITING', 'UNKNOWN'].includes(view.state)) { blocking = { saga, step: view }; break; }
  }
  return customerStatus(plan, state, blocking, saga.state === 'HELD' ? saga : undefined);
}

function nextAction(orderState: string, blocking: { saga: SagaFold; step: StepView; plan: CompiledSinglePlan } | null, held: SagaFold | undefined): string | null {
  if (['completed', 'failed', 'cancelled', 'rejected'].includes(orderState)) return null;
  if (orderState === 'assessingCancellation' || orderState === 'pendingCancellation') {
    return 'cancellation: compensations under way, or an approval awaited (o2a approvals)';
  }
  if (held?.heldStep) {
    return held.party === 'customer'
      ? `customer: ${held.repair ?? 'act'}, then resume ${held.falloutCaseId}`
      : `${held.falloutCaseId}: ${held.repair ?? 'repair'}, then resume`;
  }
  if (!blocking) return 'start fulfillment';
  const planStep = blocking.plan.steps.find((s) => s.id === blocking.step.id);
  switch (blocking.step.state) {
    case 'UNKNOWN': return `${planStep?.kind ?? 'step'} reconciliation: read back ${planStep?.ref?.id ?? blocking.step.id}`;
    case 'WAITING': return `retry ${blocking.step.id} with the same idempotency key`;
    default: return `await ${planStep?.succeededEvent ?? 'answer'} from ${planStep?.owner ?? 'owner'}`;
  }
}
