// The saga engine: the fulfillment orchestrator's handlers. Each handler follows §14 in one
// transaction: inbox check, load (the product order row is the lock), guarded transitions, save,
// outbox rows, commit. It never calls a component: commands leave through the outbox.
import { randomUUID } from 'node:crypto';
import type {
  CompiledPlan, CompiledSinglePlan, CompiledStep, OutcomeAction, RetryPolicy,
} from '../../compiler/emit/schema.js';
import { actionsOf } from '../../compiler/emit/schema.js';
import type { Clock } from '../clock.js';
import { AggregateCache } from './cache.js';
import type { Queryable, Store } from '../store/store.js';
import {
  ENGINE, EVENTS, MESSAGE_SCHEMA_VERSION, READ_TARGET_STATE, TARGET_STATE_READ, newMessageId,
  type Envelope, type StepCommandPayload, type StepReplyPayload,
} from './messages.js';
import {
  characteristicsOf, customerOf, firstDifference, orderBodyHash, parseProductOrder, type Tmf622OrderItem, type Tmf622ProductOrder,
} from './orders.js';
import type { PlanRegistry } from './plans.js';
import { stepApplies } from './rules.js';
import { Billing, type SignalInput, type SignalResult } from './billing.js';
import {
  Cancellations, compensating, type ApproveResult, type CancelInput, type CancelResult,
} from './cancellation.js';
import { Amendments, type AmendInput, type AmendResult } from './amendment.js';
import { releaseAnswered } from './reconciliation.js';
import {
  PLAN_ON_RETIRED_SNAPSHOT, retireCatalog, retirementIndex, staleSnapshotProblem, type CatalogRetirement, type RetireCatalogInput,
  type RetireCatalogResult,
} from './catalog-retirement.js';
import {
  activationCommandTransitions, falloutCaseTransitions, pathTo, productOrderItemTransitions,
  productOrderTransitions, resourceTransitions, sagaStepTransitions, sagaTransitions, transition,
  TransitionRefused, type ActivationCommandState, type ProductOrderItemState, type ProductOrderState, type ResourceState, type SagaState,
  type SagaStepState,
} from './states.js';
import {
  ORDER_COLUMNS, UnitOfWork, falloutFromRow, isOrderIdTaken, type OutboxLease, type StoredMessage, type ActivationCommandRow, type FalloutCaseRow, type LogRow, type ProductOrderItemRow, type ProductOrderRow,
  type ResourceReservationRow, type SagaRow, type SagaStepRow, type TimerKind,
} from './unit-of-work.js';

export const ORDER_ACCEPTED = 'ProductOrderAccepted';
/** The fact of a saga moved to another version of its plan (`Engine.sagaMoved`). */
export const PLAN_MIGRATED = 'FulfillmentPlanMigrated';

export interface EngineOptions {
  store: Store;
  clock: Clock;
  registry: PlanRegistry;
  /** Called after each commit with the audit rows it wrote (live progress, metrics). */
  onCommit?: (rows: LogRow[]) => void;
  /**
   * Leases the outbox rows a transaction writes to this process's relay (called inside the
   * transaction, with the ordering keys written); without it, rows wait for a relay's sweep.
   */
  outboxLease?: (orderingKeys: string[]) => OutboxLease;
  /** Called after each commit with the outbox rows it wrote, as stored. */
  onOutbox?: (messages: StoredMessage[]) => void;
  /** Product orders whose aggregates are kept between transactions (default 5000; 0: none). */
  cacheCapacity?: number;
  /**
   * How long a step timeout that found its command undelivered waits before it looks again
   * (default 30 s; the runtime passes its relay's lease).
   */
  transportGraceMs?: number;
}

export interface SubmitOptions {
  /** Plans to use for the order's offerings (registered first); otherwise the registry's newest per offering. */
  plans?: CompiledPlan[];
  /** Script for the simulated components (stored with the order). */
  scenario?: unknown;
  /**
   * false: an item without `productOffering` (TMF622 v4 allows one) is taken and the order
   * rejected naming it, as for an offering no plan covers (`o2a serve`, whose edge validates with
   * the TMF622 schema). Default true: such an order is refused as not valid, nothing recorded.
   */
  offeringRequired?: boolean;
}

/** An order taken: new (`duplicate: false`) or the same order again, answered as first taken (`duplicate: true`). */
export interface SubmitAccepted {
  ok: true;
  productOrderId: string;
  correlationId: string;
  state: ProductOrderState;
  duplicate: boolean;
}

/**
 * Not a valid TMF622 product order (or its scenario is not valid): nothing recorded. `problems`
 * name the field at fault (`productOrderItem.0.id: Required`; `scenario.steps: ...`).
 * `productOrderId` is the id the order gives, when it gives one.
 */
export interface SubmitInvalid {
  ok: false;
  code: 'invalid';
  productOrderId?: string;
  problems: string[];
}

/**
 * `rejected`: a valid order the intake rejected (no plan covers an offering), recorded as rejected
 * under `productOrderId` (the order's id, or the one generated for an order without one; the
 * order can be looked up under it). `problems` are the reasons, each naming its field
 * (`productOrderItem.0.productOffering.id: no fulfillment plan for offering X`); they are stored
 * with the order (product_order.rejection_reasons, and the audit entry of its rejection).
 * `rejected-before`: the same order again (same id, same body) after the intake rejected it:
 * nothing new recorded; `problems` are the stored reasons, or, for an order rejected before they
 * were stored (migration 009), one line saying they are unknown.
 */
export interface SubmitRejected {
  ok: false;
  code: 'rejected' | 'rejected-before';
  productOrderId: string;
  correlationId: string;
  problems: string[];
}

/**
 * A product order id already taken by an order that says something else (TMF622: 409 Conflict).
 * Nothing is written: the order of that id stays as it was. `field` is the first field that
 * differs, named as a validation problem names a field (`productOrderItem.0.action`); null when
 * the whole order differs. `problems` says it in one line, in the form of a validation problem.
 */
export interface SubmitConflict {
  ok: false;
  code: 'conflict';
  productOrderId: string;
  field: string | null;
  problems: string[];
}

/** Why an order was not taken: tell the cases apart by `code`. */
export type SubmitRefusal = SubmitInvalid | SubmitRejected | SubmitConflict;
export type SubmitRefusalCode = SubmitRefusal['code'];

export type SubmitResult = SubmitAccepted | SubmitRefusal;

export function isConflict(result: SubmitResult): result is SubmitConflict {
  return !result.ok && result.code === 'conflict';
}

/** A refusal of an order that is not valid, naming the order's id when it gives one. */
export function invalidOrder(order: unknown, problems: string[]): SubmitInvalid {
  const id = (order as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id !== '' ? { ok: false, code: 'invalid', productOrderId: id, problems } : { ok: false, code: 'invalid', problems };
}

export type ResumeResult =
  | { ok: true; caseId: string; sagaId: string; stepId: string; productOrderId: string }
  | { ok: false; problem: string };

/** @internal What a handler works with: the unit of work, the order (locked), the message being handled. */
export interface Ctx {
  uow: UnitOfWork;
  order: ProductOrderRow;
  cause: string | null;
}

export class Engine {
  /** Aggregates of the orders this process handled last, reused while their version holds. */
  readonly cache: AggregateCache;

  /** Cancellation and compensation (§18). */
  readonly cancellations: Cancellations;
  /** Billing triggers (§17). */
  readonly billing: Billing;
  /** Amendments of in-flight items (§19). */
  readonly amendments: Amendments;

  constructor(private readonly options: EngineOptions) {
    this.cache = new AggregateCache(options.cacheCapacity);
    this.cancellations = new Cancellations(this);
    this.billing = new Billing(this);
    this.amendments = new Amendments(this);
  }

  /**
   * @internal One transaction of a request from outside (a cancel, an amendment, a signal, a
   * decision): a unit of work of its own each time it runs (a retried transaction starts afresh),
   * handed to `committed` once it has committed.
   */
  async work<T>(fn: (tx: Queryable, uow: UnitOfWork) => Promise<T>): Promise<T> {
    const now = this.clock.now();
    let uow = new UnitOfWork(now);
    const result = await this.store.transaction(async (tx) => {
      uow = new UnitOfWork(now);
      return fn(tx, uow);
    });
    this.committed(uow);
    return result;
  }

  /**
   * @internal Locks and loads an order for a request naming it (and maybe one of its items):
   * the order and its items, or the refusal naming the field at fault.
   */
  async lockOrder(tx: Queryable, uow: UnitOfWork, productOrderId: string, itemId?: string): Promise<
    { ok: true; order: ProductOrderRow; items: ProductOrderItemRow[] } | { ok: false; code: 'not-found'; field: string; problem: string }> {
    const locked = await uow.load(tx, [productOrderId], this.registry, false, this.cache);
    if (!locked.has(productOrderId)) return { ok: false, code: 'not-found', field: 'productOrderId', problem: `productOrderId: no product order ${productOrderId}` };
    const order = uow.orders.get(productOrderId) as ProductOrderRow;
    const items = uow.itemsOf(order.id);
    if (itemId !== undefined && !uow.item(order.id, itemId)) {
      return {
        ok: false, code: 'not-found', field: 'item',
        problem: `item: product order ${order.id} has no item ${itemId} (its items: ${items.map((i) => i.id).join(', ')})`,
      };
    }
    return { ok: true, order, items };
  }

  /** A signal from outside (`customer-accepted` from the channel, `first-usage` from charging). */
  signal(input: SignalInput): Promise<SignalResult> {
    return this.billing.signal(input);
  }

  /** Cancels an order or one of its items as the plan's cancel rules say (TMF622 CancelProductOrder). */
  cancel(input: CancelInput): Promise<CancelResult> {
    return this.cancellations.cancel(input);
  }

  /** Amends an in-flight item as the plan's amend rules say: refused, or its steps replanned with the delta (§19). */
  amend(input: AmendInput): Promise<AmendResult> {
    return this.amendments.amend(input);
  }

  /**
   * Retires a catalog snapshot version for new orders (§31.4): plans compiled against it take no
   * new order; the sagas running on them finish.
   */
  retireCatalog(input: RetireCatalogInput): Promise<RetireCatalogResult> {
    return retireCatalog(this.store, input, this.options.clock.now());
  }

  /** Approves (or refuses) what waits for a decision: a compensation that requires approval. */
  approve(approvalId: string, decision: { by: string; note?: string; approve?: boolean }): Promise<ApproveResult> {
    return this.cancellations.decide(approvalId, { ...decision, approve: decision.approve ?? true });
  }

  /** @internal */
  get store(): Store { return this.options.store; }
  /** @internal */
  get registry(): PlanRegistry { return this.options.registry; }
  /** @internal */
  get clock(): Clock { return this.options.clock; }

  async registerPlans(plans: CompiledPlan[]): Promise<void> {
    const at = this.options.clock.now();
    await this.store.transaction(async (tx) => {
      for (const plan of plans) await this.registry.register(tx, plan, at);
    });
  }

  /**
   * What the committed transactions went through, summed (UnitOfWork.stats), with their count:
   * how the work per transaction relates to what it changed.
   */
  readonly stats = { transactions: 0, rowsLoaded: 0, ordersTakenOver: 0, sagasIndexed: 0, itemsDerived: 0, rowsWritten: 0 };
  /** After a transaction's commit: keeps its aggregates, hands its outbox and audit rows on. */
  committed(uow: UnitOfWork): void {
    this.stats.transactions++;
    for (const [k, v] of Object.entries(uow.stats) as [keyof UnitOfWork['stats'], number][]) this.stats[k] += v;
    for (const entry of uow.aggregates()) this.cache.put(entry);
    if (this.options.onOutbox && uow.stored.length > 0) this.options.onOutbox(uow.stored);
    if (this.options.onCommit && uow.log.length > 0) this.options.onCommit(uow.log);
  }

  /** @internal */
  flush(tx: Queryable, uow: UnitOfWork): Promise<void> {
    return uow.flush(tx, this.options.outboxLease);
  }

  // --- intake -------------------------------------------------------------------------------
  /** Product order management: records the TMF622 order and accepts it (or rejects it) through the outbox. */
  async submitOrder(input: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    const [result] = await this.submitOrders([{ order: input, scenario: options.scenario }], { plans: options.plans, offeringRequired: options.offeringRequired });
    return result as SubmitResult;
  }

  /**
   * Several orders taken in one transaction (one commit for the lot, as an intake that groups the
   * orders arriving together). Each order gets its own result, in the order given: an order that
   * is not valid is refused (`invalid`, nothing written); a valid one no plan covers is recorded as
   * rejected (`rejected`, with its reasons). An id already known, or given twice, with the same
   * body (`orderBodyHash`) is a duplicate: answered as the order taken first, nothing written
   * (`rejected-before` with the stored reasons when that order was rejected at intake). With
   * another body it is a conflict (`SubmitConflict`), refused, nothing written; the other orders of
   * the lot go on.
   */
  async submitOrders(
    entries: { order: unknown; scenario?: unknown }[], options: { plans?: CompiledPlan[]; offeringRequired?: boolean } = {},
  ): Promise<SubmitResult[]> {
    const results: SubmitResult[] = new Array(entries.length);
    const valid: Intake[] = [];
    entries.forEach((entry, index) => {
      const parsed = parseProductOrder(entry.order, { offeringRequired: options.offeringRequired });
      if (parsed.ok) valid.push({ index, order: parsed.order, bodyHash: orderBodyHash(parsed.order), scenario: entry.scenario });
      else results[index] = invalidOrder(entry.order, parsed.problems);
    });
    if (valid.length === 0) return results;
    const now = this.options.clock.now();
    // The duplicate check reads without a lock: an intake of the same id committed after it (two
    // intakes at once) makes this one's insert fail on the order's key, and the whole intake runs
    // again, to find the order there and answer as a duplicate, or as a conflict when its body
    // differs. Nothing of the other is overwritten.
    // Each run that fails so finds one more order committed: one run per order at most.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.intake(valid, results, now, options.plans ?? []);
      } catch (error) {
        if (!isOrderIdTaken(error) || attempt > valid.length) throw error;
      }
    }
  }

  private async intake(
    valid: Intake[], results: SubmitResult[], now: Date, plans: CompiledPlan[],
  ): Promise<SubmitResult[]> {
    const uow = await this.store.transaction(async (tx) => {
      const uow = new UnitOfWork(now);
      for (const plan of plans) await this.registry.register(tx, plan, uow.now);
      const ids = valid.map((v) => v.order.id ?? `po-${randomUUID()}`);
      // The duplicate check (with the reasons of an order rejected at intake), the newest plan of
      // every offering named for each action it fulfils (keyed `<offering> <action>`; one compiled
      // against a catalog snapshot in force first), and the retired snapshots, in one round trip.
      const [found] = await tx.query<{
        existing: Record<string, KnownOrder> | string | null; newest: Record<string, string> | string | null; retired: unknown;
      }>(
        `SELECT (SELECT json_object_agg(id, json_build_object('correlation_id', correlation_id, 'state', state, 'body_hash', body_hash,
                                                              'reasons', rejection_reasons))
                   FROM product_order WHERE id = ANY($1)) AS existing,
                (SELECT json_object_agg(k, hash) FROM (
                   SELECT DISTINCT ON (p.offering_id, a.action) p.offering_id || ' ' || a.action AS k, p.hash
                     FROM plan p CROSS JOIN LATERAL jsonb_array_elements_text(COALESCE(p.body->'actions', '["add"]'::jsonb)) AS a(action)
                    WHERE p.offering_id = ANY($2)
                    ORDER BY p.offering_id, a.action, ${PLAN_ON_RETIRED_SNAPSHOT}, p.plan_version DESC, p.registered_at DESC) p) AS newest,
                (SELECT json_agg(r) FROM catalog_retirement r) AS retired`,
        [ids, [...new Set(valid.flatMap((v) => offeringsOf(v.order.productOrderItem)))]]);
      const existing = parsedJson(found?.existing) as Record<string, KnownOrder>;
      const newest = parsedJson(found?.newest) as Record<string, string>;
      const retired = retirementIndex((typeof found?.retired === 'string' ? JSON.parse(found.retired) : found?.retired ?? []) as Record<string, unknown>[]);
      const taken = new Map<string, ProductOrderRow>();
      // Resubmissions under a known id with another body: answered once the bodies are read.
      const conflicts: { index: number; orderId: string; order: Tmf622ProductOrder; stored: unknown }[] = [];
      for (const [n, { index, order, bodyHash, scenario }] of valid.entries()) {
        const orderId = ids[n] as string;
        const prior = priorOrder(existing[orderId], taken.get(orderId));
        if (prior) {
          // The same id with the same body is the same order (a duplicate); with another body, a
          // conflict. An order taken before migration 008 has no stored hash: its resubmission is
          // answered as a duplicate whatever its body, as every resubmission was before.
          if (prior.bodyHash !== null && prior.bodyHash !== bodyHash) {
            conflicts.push({ index, orderId, order, stored: prior.body });
            continue;
          }
          const { correlationId, state, reasons } = prior;
          if (state === 'rejected') {
            // The same order again after the intake rejected it: refused again, with why.
            results[index] = {
              ok: false, code: 'rejected-before', productOrderId: orderId, correlationId,
              problems: Array.isArray(reasons) && reasons.length > 0 ? reasons.map(String) : [reasonsUnknown(orderId)],
            };
            continue;
          }
          results[index] = { ok: true, productOrderId: orderId, correlationId, state, duplicate: true };
          continue;
        }
        const row: ProductOrderRow = {
          id: orderId, externalId: order.externalId ?? null, correlationId: `ota-${randomUUID()}`, customerId: customerOf(order),
          state: 'acknowledged', scenario: scenario ?? null, body: order, bodyHash, rejectionReasons: null,
          createdAt: uow.at, updatedAt: uow.at, version: 0,
        };
        taken.set(orderId, row);
        uow.addOrder(row);
        const problems: string[] = [];
        for (const [i, item] of order.productOrderItem.entries()) {
          await this.addItem(tx, uow, row, item, `productOrderItem.${i}`, null, plans, problems, newest, retired);
        }
        const ctx: Ctx = { uow, order: row, cause: null };
        uow.recordState(row, null, 'ProductOrderCreated', {}, { state: 'acknowledged', items: uow.itemsOf(orderId).length });
        if (problems.length > 0) {
          // The reasons go with the order's row and the audit entry of the rejection (the read
          // side finds them there), and with the public fact.
          row.rejectionReasons = problems;
          this.setOrderState(ctx, 'rejected', { reasons: problems });
          for (const item of uow.itemsOf(orderId)) this.setItemState(ctx, item, 'rejected');
          this.emitFact(ctx, 'ProductOrderRejected', { reasons: problems });
          results[index] = { ok: false, code: 'rejected', productOrderId: orderId, correlationId: row.correlationId, problems };
        } else {
          uow.emit(this.envelope(row, {
            kind: 'event', type: ORDER_ACCEPTED, destination: ENGINE, orderingKey: row.id,
            payload: { productOrderId: row.id, items: uow.itemsOf(orderId).map((i) => i.id) },
          }, null));
          results[index] = { ok: true, productOrderId: orderId, correlationId: row.correlationId, state: row.state, duplicate: false };
        }
      }
      if (conflicts.length > 0) {
        // Rare: the stored bodies, read only to name the first field that differs.
        const unread = [...new Set(conflicts.filter((c) => c.stored === undefined).map((c) => c.orderId))];
        const rows = unread.length === 0 ? [] : await tx.query<{ id: string; body: unknown }>('SELECT id, body FROM product_order WHERE id = ANY($1)', [unread]);
        const bodies = new Map(rows.map((r) => [r.id, parsedJson(r.body)]));
        for (const c of conflicts) results[c.index] = conflictOf(c.orderId, c.stored ?? bodies.get(c.orderId), c.order);
      }
      await this.flush(tx, uow);
      return uow;
    });
    this.committed(uow);
    return results;
  }

  /**
   * Adds an order item (and, for a bundle, the items of its plan). `path` names the item in the
   * order as a validation problem names a field (`productOrderItem.0`, `productOrderItem.0.productOrderItem.1`);
   * an item a bundle adds without the order naming it takes its bundle's path. Reasons to reject
   * the order go to `problems`, each naming its field.
   */
  private async addItem(
    tx: Queryable, uow: UnitOfWork, order: ProductOrderRow, item: Tmf622OrderItem, path: string, parent: ProductOrderItemRow | null,
    explicit: CompiledPlan[], problems: string[], newest: Record<string, string>, retired: Map<string, CatalogRetirement>,
    pinned?: CompiledPlan,
  ): Promise<void> {
    // An item without one is not a valid order (parseProductOrder), unless the intake was told to
    // take it (`offeringRequired: false`): then no plan can fulfil it and the order is rejected.
    if (item.productOffering === undefined) {
      problems.push(`${path}.productOffering: no productOffering given: an item is fulfilled by the plan of its offering`);
      return;
    }
    const offeringId = item.productOffering.id;
    // The plan of the item's offering for the item's action: `noChange` runs nothing (the item is
    // in the order for context and completes when fulfilment starts).
    const action = item.action;
    let plan: CompiledPlan | null = null;
    if (action !== 'noChange') {
      const newestHash = newest[`${offeringId} ${action}`];
      plan = pinned
        ?? explicit.filter((p) => p.offeringId === offeringId && (actionsOf(p) as string[]).includes(action)).sort((a, b) => b.planVersion - a.planVersion)[0]
        ?? (newestHash ? await this.registry.get(tx, newestHash) : null);
      if (pinned && !(actionsOf(pinned) as string[]).includes(action)) {
        problems.push(`${path}.action: ${action} is not fulfilled by plan ${pinned.planId}, the bundle's plan for ${offeringId}, which fulfils ${actionsOf(pinned).join(', ')}`);
        plan = null;
      } else if (!plan) {
        const other = fulfilledFor(offeringId, explicit, newest);
        problems.push(other.length > 0
          ? `${path}.action: no fulfillment plan for ${action} of offering ${offeringId}; its plans fulfil ${other.join(', ')}`
          : `${path}.productOffering.id: no fulfillment plan for offering ${offeringId}`);
      }
    }
    // A plan compiled against a retired catalog snapshot takes no new order (§31.4).
    const stale = plan ? staleSnapshotProblem(plan, retired) : null;
    if (stale) problems.push(`${path}.productOffering.id: ${stale}`);
    const characteristics = { ...(parent?.characteristics ?? {}), ...characteristicsOf(item) };
    const row: ProductOrderItemRow = {
      productOrderId: order.id, id: item.id, parentItemId: parent?.id ?? null, offeringId, action: item.action,
      characteristics, planHash: plan?.hash ?? null, state: 'acknowledged', updatedAt: uow.at,
    };
    uow.addItem(row);
    if (plan?.kind !== 'bundle') return;
    for (const entry of plan.items) {
      let child: CompiledPlan;
      try { child = await this.registry.get(tx, entry.planHash); } catch {
        problems.push(`${path}: bundle item ${entry.name} needs plan ${entry.planId} (${entry.planHash.slice(0, 12)}), which is not registered`);
        continue;
      }
      const at = item.productOrderItem?.findIndex((n) => n.productOffering?.id === child.offeringId) ?? -1;
      const nested = at >= 0 ? item.productOrderItem?.[at] : undefined;
      if (!nested && entry.optional) continue;
      // A bundle change (`modify`) names the items it changes; the others stay as they are.
      if (!nested && item.action === 'modify') continue;
      const childItem: Tmf622OrderItem = nested ?? { id: `${item.id}.${entry.name}`, action: item.action, productOffering: { id: child.offeringId } };
      await this.addItem(tx, uow, order, childItem, nested ? `${path}.productOrderItem.${at}` : path, row, explicit, problems, newest, retired, child);
    }
  }

  // --- the engine's inbox -------------------------------------------------------------------
  /** Handles a batch of messages addressed to the engine in one transaction; duplicates are no-ops. */
  async handle(messages: Envelope[]): Promise<void> {
    if (messages.length === 0) return;
    const now = this.options.clock.now();
    const uow = await this.store.transaction(async (tx) => {
      const uow = new UnitOfWork(now);
      const { fresh, orders } = await inboxAcceptAndLock(tx, ENGINE, messages, now);
      const seen = new Set<string>();
      const todo = messages.filter((m) => fresh.has(m.messageId) && !seen.has(m.messageId) && seen.add(m.messageId));
      if (todo.length === 0) return uow;
      await uow.loadUnder(tx, orders, this.registry, this.cache);
      for (const message of todo) {
        const order = uow.orders.get(message.productOrderId);
        if (!order) continue;
        uow.record({
          productOrderId: order.id, correlationId: message.correlationId, messageId: message.messageId,
          causationId: message.causationId, direction: 'in', type: message.type, sagaId: message.sagaId,
          stepId: message.stepId, payload: message.payload, occurredAt: uow.at,
        });
        const ctx: Ctx = { uow, order, cause: message.messageId };
        if (message.type === ORDER_ACCEPTED) this.startFulfillment(ctx);
        // The answer to a release reconciliation sent for a unit no step uses: recorded, no step's.
        else if (releaseAnswered(ctx, message)) continue;
        else if (message.sagaId && message.stepId) this.onStepReply(ctx, message);
        else this.refuse(ctx, message, 'not addressed to a saga step');
      }
      await this.flush(tx, uow);
      return uow;
    });
    this.committed(uow);
  }

  // --- timers -------------------------------------------------------------------------------
  /**
   * Fires due timers. Claims them with FOR UPDATE SKIP LOCKED and handles them in the same
   * transaction, so a worker that dies mid-way releases them untouched for the next one.
   */
  async fireDueTimers(limit = 200): Promise<number> {
    const now = this.options.clock.now();
    // Most rounds find nothing due: a plain read says so without opening a transaction. The
    // earliest timer, read down the due_at index, whatever the planner knows of the table.
    const next = await this.nextTimerDue();
    if (next === null || next.getTime() > now.getTime()) return 0;
    let uow = new UnitOfWork(now);
    const fired = await this.store.transaction(async (tx) => {
      uow = new UnitOfWork(now);
      const due = await tx.query<{ saga_id: string; step_id: string; kind: TimerKind; attempt: number; product_order_id: string }>(
        `SELECT t.saga_id, t.step_id, t.kind, t.attempt, s.product_order_id
           FROM timer t JOIN saga s ON s.id = t.saga_id
          WHERE t.due_at <= $1 ORDER BY t.due_at LIMIT $2 FOR UPDATE OF t SKIP LOCKED`, [now.toISOString(), limit]);
      if (due.length === 0) return 0;
      const locked = await uow.load(tx, due.map((d) => d.product_order_id), this.registry, true, this.cache);
      // Steps whose command is still in the outbox: not delivered yet, or delivered to a consumer
      // that has not yet committed what it did with it (its process died, the database went
      // away). That is a transport matter, for the relay to redeliver: no business timeout.
      const timeouts = due.filter((d) => d.kind === 'step_timeout');
      const undelivered = new Set(timeouts.length === 0 ? [] : (await tx.query<{ saga_id: string; step_id: string }>(
        `SELECT DISTINCT o.saga_id, o.step_id FROM outbox_pending p JOIN outbox o ON o.seq = p.seq
          WHERE p.ordering_key = ANY($1::text[]) AND o.kind = 'command'`,
        [[...new Set(timeouts.map((d) => d.saga_id))]])).map((r) => `${r.saga_id}\u0000${r.step_id}`));
      let count = 0;
      for (const timer of due) {
        if (!locked.has(timer.product_order_id)) continue;
        const order = uow.orders.get(timer.product_order_id) as ProductOrderRow;
        const ctx: Ctx = { uow, order, cause: null };
        if (timer.kind === 'step_timeout' && undelivered.has(`${timer.saga_id}\u0000${timer.step_id}`)) {
          this.deferTimeout(ctx, timer.saga_id, timer.step_id, Number(timer.attempt));
          count++;
          continue;
        }
        this.onTimer(ctx, timer.saga_id, timer.step_id, timer.kind, Number(timer.attempt));
        count++;
      }
      await this.flush(tx, uow);
      return count;
    });
    this.committed(uow);
    return fired;
  }

  /** When the next timer is due, if any. */
  async nextTimerDue(): Promise<Date | null> {
    const rows = await this.store.query<{ due: unknown }>('SELECT due_at AS due FROM timer ORDER BY due_at LIMIT 1');
    const due = rows[0]?.due;
    return due ? new Date(due as string) : null;
  }

  // --- fallout ------------------------------------------------------------------------------
  async resume(caseId: string): Promise<ResumeResult> {
    const now = this.options.clock.now();
    let uow = new UnitOfWork(now);
    const result = await this.store.transaction(async (tx): Promise<ResumeResult> => {
      uow = new UnitOfWork(now);
      const rows = await tx.query<Record<string, unknown>>('SELECT * FROM fallout_case WHERE id = $1', [caseId]);
      if (!rows[0]) return { ok: false, problem: `no fallout case ${caseId}` };
      const found = falloutFromRow(rows[0]);
      if (found.state !== 'OPEN') return { ok: false, problem: `fallout case ${caseId} is ${found.state}, not OPEN` };
      await uow.load(tx, [found.productOrderId], this.registry, false, this.cache);
      // Checked again under the order's lock: a resume of the same case that held it first has
      // resolved it meanwhile (the load takes open cases only).
      const fallout = uow.fallouts.get(caseId);
      if (!fallout || fallout.state !== 'OPEN') {
        const [current] = await tx.query<{ state: string }>('SELECT state FROM fallout_case WHERE id = $1', [caseId]);
        if (!current) return { ok: false, problem: `no fallout case ${caseId}` };
        return { ok: false, problem: `fallout case ${caseId} is ${current.state}, not OPEN` };
      }
      const order = uow.orders.get(found.productOrderId) as ProductOrderRow;
      const saga = uow.sagas.get(fallout.sagaId) as SagaRow;
      const step = uow.step(saga.id, fallout.failedStepId) as SagaStepRow;
      const command = this.envelope(order, {
        kind: 'command', type: 'ResumeFulfillment', destination: ENGINE, orderingKey: saga.id,
        sagaId: saga.id, stepId: step.stepId, productOrderItemId: saga.productOrderItemId, payload: { caseId },
      }, null);
      uow.record({
        productOrderId: order.id, correlationId: order.correlationId, messageId: command.messageId, causationId: null,
        direction: 'in', type: command.type, sagaId: saga.id, stepId: step.stepId, payload: command.payload, occurredAt: uow.at,
      });
      const ctx: Ctx = { uow, order, cause: command.messageId };
      fallout.state = transition('fallout case', falloutCaseTransitions, fallout.state, 'RESUMED');
      fallout.resolvedAt = uow.at;
      uow.putFallout(fallout);
      uow.recordState(order, ctx.cause, 'FalloutCaseResumed', { sagaId: saga.id, stepId: step.stepId }, { caseId });
      if (fallout.resumeCommand.type === 'ResumeCompensation') {
        // A compensation repaired by hand: it is sent again (idempotent), and the cancellation goes on.
        this.cancellations.resumeCompensation(ctx, saga, step);
        this.emitFact(ctx, 'CompensationResumed', { caseId, stepId: step.stepId }, saga);
      } else {
        saga.heldStepId = null;
        this.setSagaState(ctx, saga, 'STARTED');
        this.startStep(ctx, saga, step, 'resume');
        this.emitFact(ctx, 'FulfillmentResumed', { caseId, stepId: step.stepId }, saga);
        this.advance(ctx, saga);
      }
      this.recomputeOrder(ctx);
      await this.flush(tx, uow);
      return { ok: true, caseId, sagaId: saga.id, stepId: step.stepId, productOrderId: order.id };
    });
    this.committed(uow);
    return result;
  }

  // --- plan migration -----------------------------------------------------------------------
  /**
   * After a saga moved to another version of its plan (`o2a sagas migrate`): in the mover's
   * transaction, under the order's lock it holds, once the saga's new plan hash and step rows are
   * written. Publishes the move as a fact and advances the saga as after any event: starts the
   * steps now ready (their commands through the outbox), or completes the saga, its item and the
   * order when nothing is left. `cause` is the id of the move's audit entry. Hand the unit of work
   * returned to `committed` once the transaction has committed.
   */
  async sagaMoved(
    tx: Queryable, move: { productOrderId: string; sagaId: string; cause: string; payload: Record<string, unknown> },
  ): Promise<UnitOfWork> {
    const uow = new UnitOfWork(this.options.clock.now());
    // From the database, never the cache: the mover changed rows under the order without it.
    await uow.load(tx, [move.productOrderId], this.registry, false);
    const order = uow.orders.get(move.productOrderId);
    const saga = uow.sagas.get(move.sagaId);
    if (!order || !saga) throw new Error(`saga ${move.sagaId} of product order ${move.productOrderId} is not there`);
    const ctx: Ctx = { uow, order, cause: move.cause };
    this.emitFact(ctx, PLAN_MIGRATED, move.payload, saga);
    this.advance(ctx, saga);
    await this.flush(tx, uow);
    return uow;
  }

  // --- handlers -----------------------------------------------------------------------------
  private startFulfillment(ctx: Ctx): void {
    const { uow, order } = ctx;
    if (order.state !== 'acknowledged' && order.state !== 'pending') {
      uow.recordState(order, ctx.cause, 'DuplicateIgnored', {}, { reason: `order is already ${order.state}` });
      return;
    }
    // An item with action noChange runs nothing: complete as fulfilment starts.
    for (const item of uow.itemsOf(order.id)) {
      if (item.action === 'noChange' && item.planHash === null && item.state !== 'cancelled') this.setItemState(ctx, item, 'completed');
    }
    const leaves = uow.itemsOf(order.id).filter((item) => {
      const plan = item.planHash ? uow.plans.get(item.planHash) : undefined;
      return item.planHash !== null && plan?.kind !== 'bundle';
    });
    for (const item of leaves) {
      // An item cancelled before its fulfillment started gets no saga.
      if (uow.sagaOfItem(order.id, item.id) || item.state === 'cancelled') continue;
      const plan = uow.plans.get(item.planHash as string);
      if (!plan || plan.kind !== 'plan') continue;
      const saga: SagaRow = {
        id: `saga-${randomUUID()}`, productOrderId: order.id, productOrderItemId: item.id, planHash: plan.hash,
        correlationId: order.correlationId, state: 'STARTED', heldStepId: null, createdAt: uow.at, updatedAt: uow.at, compensation: null,
        signals: null, amendment: null,
      };
      uow.putSaga(saga);
      uow.recordState(order, ctx.cause, 'SagaStarted', { sagaId: saga.id }, {
        productOrderItemId: item.id, planId: plan.planId, planVersion: plan.planVersion, planHash: plan.hash,
      });
      for (const planStep of plan.steps) {
        const applies = stepApplies(planStep, item.characteristics);
        const step: SagaStepRow = {
          sagaId: saga.id, stepId: planStep.id, kind: planStep.kind, owner: planStep.owner, state: 'NOT_STARTED',
          attempt: 0, deliveries: 0, resumes: 0, idempotencyKey: null, externalRef: null, outcome: null, evidence: null,
          startedAt: null, completedAt: null, updatedAt: uow.at, compensations: 0,
        };
        uow.putStep(step);
        if (!applies) this.setStepState(ctx, saga, step, 'SKIPPED', { rule: planStep.condition?.mode });
      }
      this.emitFact(ctx, 'FulfillmentPlanGenerated', {
        planId: plan.planId, planHash: plan.hash,
        steps: plan.steps.map((s) => ({ id: s.id, state: (uow.step(saga.id, s.id) as SagaStepRow).state })),
      }, saga);
      this.advance(ctx, saga);
    }
    this.recomputeOrder(ctx);
  }

  private onStepReply(ctx: Ctx, message: Envelope): void {
    const saga = ctx.uow.sagas.get(message.sagaId as string);
    const step = saga ? ctx.uow.step(saga.id, message.stepId as string) : undefined;
    if (!saga || !step) return this.refuse(ctx, message, 'unknown saga or step');
    if (this.cancellations.onReply(ctx, saga, step, message)) return;
    if (message.idempotencyKey !== step.idempotencyKey) {
      return this.refuse(ctx, message, `stale: idempotency key ${message.idempotencyKey} is not the step's current ${step.idempotencyKey}`);
    }
    const planStep = this.planStep(ctx, saga, step.stepId);
    const reply = message.payload as StepReplyPayload;
    if (message.type === planStep.succeededEvent) return this.succeed(ctx, saga, step, planStep, message, reply, true);
    if (message.type === planStep.failedEvent) {
      return this.fail(ctx, saga, step, planStep, message, reply.outcome ?? 'rejected', reply.reason ?? null);
    }
    if (message.type === TARGET_STATE_READ) return this.readBack(ctx, saga, step, planStep, message, reply.present === true);
    return this.refuse(ctx, message, `step ${step.stepId} expects ${planStep.succeededEvent} or ${planStep.failedEvent}`);
  }

  private isLive(saga: SagaRow, step: SagaStepRow): boolean {
    if (step.state === 'STARTED' || step.state === 'UNKNOWN') return true;
    return step.state === 'WAITING' && saga.heldStepId !== step.stepId;
  }

  private succeed(
    ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, message: Envelope, reply: StepReplyPayload, checkEvidence: boolean,
  ): void {
    if (!this.isLive(saga, step)) return this.refuse(ctx, message, `step ${step.stepId} is ${step.state}`);
    if (checkEvidence) {
      const missing = planStep.evidence.filter((name) => !reply.evidence?.[name]);
      if (missing.length > 0) return this.fail(ctx, saga, step, planStep, message, 'evidence_missing', `missing evidence: ${missing.join(', ')}`);
    }
    const { uow } = ctx;
    uow.clearTimers(saga.id, step.stepId);
    step.completedAt = uow.at;
    step.externalRef = reply.externalRef ?? step.externalRef;
    step.evidence = reply.evidence ?? step.evidence;
    step.outcome = 'success';
    this.setStepState(ctx, saga, step, 'SUCCEEDED', { externalRef: step.externalRef });
    if (step.kind === 'activation') {
      const command = uow.activationFor(saga.id, step.stepId, step.idempotencyKey);
      if (command) this.walkActivation(ctx, command, command.state === 'UNKNOWN' ? 'RECONCILED_SUCCEEDED' : 'SUCCEEDED');
      for (const r of uow.reservationsOf(saga.id)) this.walkReservation(ctx, r, 'ACTIVATING');
    } else if (step.kind === 'resource_reservation') {
      const reservation = {
        id: `rr-${randomUUID()}`, sagaId: saga.id, stepId: step.stepId, resourceSpec: planStep.ref?.id ?? null,
        resourceId: reply.resourceId ?? step.externalRef, state: 'AVAILABLE' as ResourceState, createdAt: uow.at, updatedAt: uow.at,
      };
      this.walkReservation(ctx, reservation, 'RESERVED');
    } else if (step.kind === 'inventory_commit') {
      for (const r of uow.reservationsOf(saga.id)) this.walkReservation(ctx, r, 'ACTIVE');
    }
    // A saga being cancelled: the step's outcome is known, its compensation can follow.
    if (saga.state === 'COMPENSATING') return this.cancellations.next(ctx, saga);
    // A step an amendment replans: its earlier attempt is undone, then it runs again.
    if (this.amendments.onOutcome(ctx, saga, step)) return;
    this.advance(ctx, saga);
  }

  private fail(
    ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, message: Envelope | null, outcome: string, reason: string | null,
  ): void {
    if (!this.isLive(saga, step)) {
      if (message) this.refuse(ctx, message, `step ${step.stepId} is ${step.state}`);
      return;
    }
    const { uow } = ctx;
    uow.clearTimers(saga.id, step.stepId);
    step.outcome = outcome;
    if (step.kind === 'activation') {
      const command = uow.activationFor(saga.id, step.stepId, step.idempotencyKey);
      if (command) this.walkActivation(ctx, command, command.state === 'UNKNOWN' ? 'RECONCILED_FAILED' : 'REJECTED');
    }
    if (compensating(saga)) {
      // A saga being cancelled: the step did nothing to undo (a timeout is compensated anyway).
      this.setStepState(ctx, saga, step, 'FAILED', { outcome, reason });
      return this.cancellations.next(ctx, saga);
    }
    if (this.amendments.replans(saga, step.stepId)) {
      // Replanned by an amendment: it runs again whatever this attempt did.
      this.setStepState(ctx, saga, step, 'FAILED', { outcome, reason });
      this.amendments.onOutcome(ctx, saga, step);
      return;
    }
    // Revenue assurance (§28): the service stays active, readiness is retried and reconciled.
    if (this.isNonBlockingBilling(ctx, saga, planStep)) return this.billing.readinessFailed(ctx, saga, step, planStep, outcome, reason);
    this.applyAction(ctx, saga, step, planStep, planStep.outcomes[outcome] ?? { action: 'fallout' }, outcome, reason);
  }

  private applyAction(
    ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, action: OutcomeAction, outcome: string, reason: string | null,
  ): void {
    const { uow } = ctx;
    uow.clearTimers(saga.id, step.stepId);
    if (action.action === 'fail') {
      this.setStepState(ctx, saga, step, 'FAILED', { outcome, reason });
      this.setSagaState(ctx, saga, 'FAILED');
      this.emitFact(ctx, 'FulfillmentFailed', { stepId: step.stepId, outcome, reason }, saga);
    } else if (action.action === 'hold') {
      // A hold is no technical failure (§27): the step waits for a party, nothing is rolled back.
      this.setStepState(ctx, saga, step, 'WAITING', { outcome, reason, party: action.party });
      saga.heldStepId = step.stepId;
      this.setSagaState(ctx, saga, 'HELD');
      const fallout = this.raiseFallout(ctx, saga, step, planStep, outcome, reason, action.party,
        action.party === 'customer' ? 'customer-care' : planStep.owner, action.message ?? null);
      this.emitFact(ctx, 'ServiceOrderHeld', { stepId: step.stepId, outcome, party: action.party, falloutCaseId: fallout.id }, saga);
    } else {
      this.setStepState(ctx, saga, step, 'FAILED', { outcome, reason });
      saga.heldStepId = step.stepId;
      this.setSagaState(ctx, saga, 'HELD');
      const fallout = this.raiseFallout(ctx, saga, step, planStep, outcome, reason, 'provider',
        action.action === 'fallout' && action.ownerGroup ? action.ownerGroup : planStep.owner, null);
      this.emitFact(ctx, 'ServiceOrderFalloutRaised', { stepId: step.stepId, outcome, falloutCaseId: fallout.id }, saga);
    }
    this.recomputeOrder(ctx);
  }

  /** @internal */
  raiseFallout(
    ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, outcome: string, reason: string | null,
    party: 'customer' | 'provider', ownerGroup: string, message: string | null,
  ): FalloutCaseRow {
    const { uow, order } = ctx;
    const id = `fc-${randomUUID()}`;
    const fallout: FalloutCaseRow = {
      id, sagaId: saga.id, failedStepId: step.stepId, productOrderId: order.id, productOrderItemId: saga.productOrderItemId,
      correlationId: order.correlationId,
      failureReason: `${planStep.kind} step ${step.stepId} reported ${outcome}${reason ? `: ${reason}` : ''}`,
      suggestedRepair: message ?? (party === 'customer'
        ? `ask the customer to act on ${step.stepId}, then resume`
        : `repair the ${outcome} at ${planStep.owner} for ${planStep.ref ? `${planStep.ref.type} ${planStep.ref.id}` : step.stepId}, then resume`),
      safeRetry: {
        idempotencyKey: step.idempotencyKey, attempts: step.attempt, sideEffecting: planStep.sideEffecting,
        idempotentAdapter: planStep.idempotentAdapter, compensation: planStep.compensation.kind,
        resumeRerunsStep: step.stepId, resumeUsesNewIdempotencyKey: true,
      },
      affected: {
        customerId: order.customerId, productOrderItemId: saga.productOrderItemId, ref: planStep.ref,
        resources: uow.reservationsOf(saga.id).map((r) => ({ id: r.id, spec: r.resourceSpec, resourceId: r.resourceId, state: r.state })),
      },
      slaImpact: party === 'customer' ? 'paused: waiting for the customer' : 'at risk: provider action required',
      ownerGroup, party,
      resumeCommand: { type: 'ResumeFulfillment', caseId: id, sagaId: saga.id, stepId: step.stepId, cli: `o2a resume ${id}` },
      state: 'OPEN', createdAt: uow.at, resolvedAt: null,
    };
    uow.putFallout(fallout);
    uow.recordState(order, ctx.cause, 'FalloutCaseRaised', { sagaId: saga.id, stepId: step.stepId }, {
      caseId: id, party, ownerGroup, failureReason: fallout.failureReason, suggestedRepair: fallout.suggestedRepair,
    });
    return fallout;
  }

  private readBack(ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, message: Envelope, present: boolean): void {
    if (step.state !== 'UNKNOWN') return this.refuse(ctx, message, `step ${step.stepId} is ${step.state}, not UNKNOWN`);
    if (present) return this.succeed(ctx, saga, step, planStep, message, message.payload as StepReplyPayload, false);
    const { uow } = ctx;
    uow.clearTimers(saga.id, step.stepId);
    if (saga.state === 'COMPENSATING' || this.amendments.replans(saga, step.stepId)) {
      return this.fail(ctx, saga, step, planStep, null, 'absent', 'read-back: absent, nothing to undo');
    }
    if (step.attempt <= planStep.retry.maxRetries) {
      // Absent: the side effect never happened, so sending the command again is safe.
      this.setStepState(ctx, saga, step, 'WAITING', { reason: 'read-back: absent, retrying' });
      uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'retry', attempt: step.attempt, dueAt: later(uow.now, backoffMs(planStep.retry, step.attempt)) });
      return;
    }
    this.fail(ctx, saga, step, planStep, null, 'timeout', `read-back absent after ${step.attempt} attempts`);
  }

  /**
   * A step timed out while its command is still undelivered: the timeout waits for the delivery
   * (checked again after `transportGraceMs`) instead of failing, retrying or reconciling a step
   * whose owner never had the command.
   */
  private deferTimeout(ctx: Ctx, sagaId: string, stepId: string, attempt: number): void {
    const { uow } = ctx;
    const saga = uow.sagas.get(sagaId);
    const step = saga ? uow.step(sagaId, stepId) : undefined;
    if (!saga || !step || saga.state !== 'STARTED' || step.state !== 'STARTED' || step.attempt !== attempt) {
      return this.onTimer(ctx, sagaId, stepId, 'step_timeout', attempt);
    }
    const graceMs = this.options.transportGraceMs ?? 30_000;
    uow.setTimer({ sagaId, stepId, kind: 'step_timeout', attempt, dueAt: later(uow.now, graceMs) });
    uow.recordState(ctx.order, null, 'StepTimeoutDeferred', { sagaId, stepId }, {
      attempt, reason: 'the command is not delivered yet', recheckInMs: graceMs,
    });
  }

  private onTimer(ctx: Ctx, sagaId: string, stepId: string, kind: TimerKind, attempt: number): void {
    const { uow } = ctx;
    const saga = uow.sagas.get(sagaId);
    const step = saga ? uow.step(sagaId, stepId) : undefined;
    ctx.cause = null;
    if (kind === 'billing') {
      // A billing trigger's scheduled date has come.
      uow.clearTimer(sagaId, stepId, 'billing');
      if (saga) this.billing.onTrigger(ctx, saga);
      return;
    }
    if (saga && step && saga.state === 'HELD' && (attempt === step.attempt || attempt === -step.compensations)) {
      // The saga waits for a person on another step: this step's timeout or retry is parked until
      // the saga goes on, then due at once (nothing is started or failed meanwhile, nothing lost).
      uow.setTimer({ sagaId, stepId, kind, attempt, dueAt: UnitOfWork.PARKED });
      uow.recordState(ctx.order, null, 'StepTimerParked', { sagaId, stepId }, { kind, attempt, reason: `the saga is held on ${saga.heldStepId ?? 'another step'}` });
      return;
    }
    uow.clearTimers(sagaId, stepId);
    if (saga && step && this.cancellations.onTimer(ctx, saga, step, kind, attempt)) return;
    if (saga && step && saga.state === 'COMPLETED' && step.kind === 'billing_trigger' && attempt === step.attempt) {
      // Billing that did not hold the saga's completion back (revenue assurance) runs after it.
      const planStep = this.planStep(ctx, saga, stepId);
      if (kind === 'retry') { if (step.state === 'WAITING') this.startStep(ctx, saga, step, 'retry'); return; }
      if (step.state !== 'STARTED') return;
      if (step.attempt <= planStep.retry.maxRetries) {
        this.setStepState(ctx, saga, step, 'WAITING', { reason: 'timeout, retrying' });
        uow.setTimer({ sagaId, stepId, kind: 'retry', attempt: step.attempt, dueAt: later(uow.now, backoffMs(planStep.retry, step.attempt)) });
        return;
      }
      return this.fail(ctx, saga, step, planStep, null, 'timeout', `no answer within ${planStep.timeout.ms} ms`);
    }
    // A saga being cancelled still learns its running steps' outcomes (timeouts included).
    if (!saga || !step || (saga.state !== 'STARTED' && saga.state !== 'COMPENSATING') || attempt !== step.attempt) return;
    const planStep = this.planStep(ctx, saga, stepId);
    if (kind === 'retry') {
      if (step.state === 'WAITING' || step.state === 'UNKNOWN') this.startStep(ctx, saga, step, 'retry');
      return;
    }
    if (step.state === 'UNKNOWN') return this.requestReadBack(ctx, saga, step, planStep);
    if (step.state !== 'STARTED') return;
    uow.recordState(ctx.order, null, 'StepTimedOut', { sagaId, stepId }, { attempt, timeoutMs: planStep.timeout.ms });
    const on = planStep.timeout.on;
    const undoing = compensating(saga) || this.amendments.replans(saga, stepId);
    if (undoing && on.action !== 'reconcile') {
      return this.fail(ctx, saga, step, planStep, null, 'timeout', `no answer within ${planStep.timeout.ms} ms`);
    }
    // Revenue assurance (§28): billing that does not block completion holds nothing on a timeout
    // either: retried by its policy, then reconciled, the service active meanwhile.
    if (this.isNonBlockingBilling(ctx, saga, planStep)) {
      return this.billing.readinessFailed(ctx, saga, step, planStep, 'timeout', `no answer within ${planStep.timeout.ms} ms`);
    }
    if (on.action === 'reconcile') {
      // Timeout is not failure (§26): the outcome is unknown until the target is read back.
      this.setStepState(ctx, saga, step, 'UNKNOWN', { reason: 'timeout' });
      const command = uow.activationFor(saga.id, step.stepId, step.idempotencyKey);
      if (command) {
        this.walkActivation(ctx, command, 'UNKNOWN');
        this.emitFact(ctx, 'ActivationCommandUnknown', { activationCommandId: command.id, stepId, idempotencyKey: step.idempotencyKey }, saga);
      }
      return this.requestReadBack(ctx, saga, step, planStep);
    }
    if (step.attempt <= planStep.retry.maxRetries) {
      this.setStepState(ctx, saga, step, 'WAITING', { reason: 'timeout, retrying' });
      uow.setTimer({ sagaId, stepId, kind: 'retry', attempt: step.attempt, dueAt: later(uow.now, backoffMs(planStep.retry, step.attempt)) });
      return;
    }
    this.applyAction(ctx, saga, step, planStep, on, 'timeout', `no answer within ${planStep.timeout.ms} ms`);
  }

  private requestReadBack(ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep): void {
    const { uow } = ctx;
    uow.emit(this.envelope(ctx.order, {
      kind: 'command', type: READ_TARGET_STATE, destination: planStep.owner, orderingKey: saga.id, sagaId: saga.id,
      stepId: step.stepId, productOrderItemId: saga.productOrderItemId, idempotencyKey: step.idempotencyKey,
      payload: { stepId: step.stepId, kind: step.kind, ref: planStep.ref, of: planStep.command, attempt: step.attempt },
    }, ctx.cause));
    uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'step_timeout', attempt: step.attempt, dueAt: later(uow.now, planStep.timeout.ms) });
  }

  // --- saga progress ------------------------------------------------------------------------
  /** @internal */
  advance(ctx: Ctx, saga: SagaRow): void {
    if (saga.state !== 'STARTED') return;
    const { uow } = ctx;
    const plan = this.planOf(ctx, saga);
    const satisfied = (stepId: string): boolean => {
      const dep = uow.step(saga.id, stepId);
      if (!dep) return false;
      if (dep.state === 'SUCCEEDED' || dep.state === 'SKIPPED') return true;
      // Billing that does not block completion holds nothing back: failed, retrying, or awaiting its trigger.
      const nonBlocking = this.isNonBlockingBilling(ctx, saga, this.planStep(ctx, saga, stepId));
      return nonBlocking && (dep.state === 'FAILED' || dep.state === 'WAITING' || (dep.state === 'NOT_STARTED' && dep.outcome === 'awaiting-trigger'));
    };
    // An amendment replanning steps: they and what follows them wait until it has undone them.
    const heldBack = this.amendments.heldBack(plan, saga);
    for (const planStep of plan.steps) {
      const step = uow.step(saga.id, planStep.id) as SagaStepRow;
      if (step.state !== 'NOT_STARTED' || !planStep.dependsOn.every(satisfied) || heldBack?.has(planStep.id)) continue;
      // Billing readiness is never confirmed before the plan's trigger (§17).
      if (planStep.kind === 'billing_trigger' && !this.billing.triggered(ctx, saga, plan, step)) continue;
      this.startStep(ctx, saga, step, 'first');
    }
    // A billing trigger that can never come held the saga (fallout): nothing completes now.
    if (saga.state !== 'STARTED' || heldBack) return;
    // §16: every mandatory step proven done; billing readiness only when the policy says it blocks.
    const complete = plan.steps.every((planStep) => {
      const state = (uow.step(saga.id, planStep.id) as SagaStepRow).state;
      return state === 'SUCCEEDED' || state === 'SKIPPED' || this.isNonBlockingBilling(ctx, saga, planStep);
    });
    if (complete) {
      this.setSagaState(ctx, saga, 'COMPLETED');
      this.emitFact(ctx, 'ServiceOrderCompleted', { productOrderItemId: saga.productOrderItemId }, saga);
      this.recomputeOrder(ctx);
    }
  }

  /** @internal */
  startStep(ctx: Ctx, saga: SagaRow, step: SagaStepRow, mode: 'first' | 'retry' | 'resume'): void {
    const { uow, order } = ctx;
    if (step.kind === 'billing_trigger') uow.clearTimer(saga.id, step.stepId, 'billing');
    const planStep = this.planStep(ctx, saga, step.stepId);
    if (mode === 'resume') { step.resumes += 1; step.attempt = 0; }
    if (mode !== 'retry' || !planStep.retry.sameIdempotencyKey || step.idempotencyKey === null) {
      step.idempotencyKey = `${saga.id}/${step.stepId}/${step.resumes}${mode === 'retry' ? `.${step.attempt + 1}` : ''}`;
    }
    step.attempt += 1;
    step.deliveries += 1;
    step.startedAt = uow.at;
    step.outcome = null;
    this.setStepState(ctx, saga, step, 'STARTED', { attempt: step.attempt, idempotencyKey: step.idempotencyKey });
    if (step.kind === 'activation') {
      const existing = uow.activationFor(saga.id, step.stepId, step.idempotencyKey);
      if (existing) {
        existing.attempts += 1;
        this.walkActivation(ctx, existing, 'SENT');
      } else {
        const command = {
          id: `ac-${randomUUID()}`, sagaId: saga.id, stepId: step.stepId, target: planStep.ref?.id ?? null,
          idempotencyKey: step.idempotencyKey as string, state: 'CREATED' as const, attempts: 1, createdAt: uow.at, updatedAt: uow.at,
        };
        uow.putActivation(command);
        uow.recordState(order, ctx.cause, 'ActivationCommandStateChanged', { sagaId: saga.id, stepId: step.stepId }, { id: command.id, to: 'CREATED' });
        this.walkActivation(ctx, command, 'SENT');
      }
    }
    const item = uow.item(order.id, saga.productOrderItemId);
    const payload: StepCommandPayload = {
      stepId: step.stepId, kind: step.kind, ref: planStep.ref, attempt: step.attempt, delivery: step.deliveries - 1,
      // The TMF622 action of the item (a cease's billing step tells billing to stop, not start).
      action: item?.action ?? 'add',
      evidence: planStep.evidence,
      characteristics: item?.characteristics ?? {},
      answers: { succeeded: planStep.succeededEvent, failed: planStep.failedEvent },
      // The delta of an amendment that replanned the step: what changed, old and new.
      ...this.amendments.deltaFor(saga, step),
    };
    uow.emit(this.envelope(order, {
      kind: 'command', type: planStep.command, destination: planStep.owner, orderingKey: saga.id, sagaId: saga.id,
      stepId: step.stepId, productOrderItemId: saga.productOrderItemId, idempotencyKey: step.idempotencyKey, payload,
    }, ctx.cause));
    uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'step_timeout', attempt: step.attempt, dueAt: later(uow.now, planStep.timeout.ms) });
  }

  /**
   * @internal The items' and the order's states from the sagas'. Only the items whose state may
   * have changed since the last recompute (`OrderRows.stale`: a saga or an item set since) are
   * derived again, with the items of their bundles; the order's state is combined from the count
   * of each state among the top-level items (kept with the rows): the work is in proportion to
   * what changed, whatever the order's size.
   */
  recomputeOrder(ctx: Ctx): void {
    const { uow, order } = ctx;
    const rows = uow.rowsOf(order.id);
    if (!rows) return;
    const children = (parent: ProductOrderItemRow) => (rows.children.get(parent.id) ?? [])
      .map((id) => rows.items.get(id)).filter((i): i is ProductOrderItemRow => i !== undefined);
    const derive = (item: ProductOrderItemRow): ProductOrderItemState | 'partial' => {
      const saga = rows.sagaOfItem.get(item.id);
      if (saga) return ITEM_STATE_OF_SAGA[saga.state];
      const kids = children(item);
      if (kids.length === 0) return item.state;
      const kidStates = kids.map((kid) => { const state = derive(kid); return state === 'partial' ? 'completed' : state; });
      const combined = combine(kidStates);
      // Some children completed, the others failed: partial only when the bundle allows it.
      const plan = item.planHash ? uow.plans.get(item.planHash) : undefined;
      if (combined === 'partial' && plan?.completion.mode === 'all') return 'failed';
      // Some completed, the others held (or failed) with nothing left running: the bundle that
      // allows it is partly complete (§20: mobile active, fiber held for no access, OTT active).
      const settled = kidStates.every((s) => ['completed', 'held', 'failed', 'cancelled', 'rejected'].includes(s));
      if (combined === 'held' && plan?.completion.mode === 'partial_allowed' && settled && kidStates.includes('completed')) return 'partial';
      return combined;
    };
    const held = (item: ProductOrderItemRow) => children(item).some((kid) => derive(kid) === 'held');
    // The items to derive again: the stale ones' outermost items (each with all its items).
    const roots = new Set<ProductOrderItemRow>();
    for (const id of rows.stale) {
      let item = rows.items.get(id);
      for (let depth = 0; item && item.parentItemId !== null && depth < rows.items.size; depth++) {
        const parent = rows.items.get(item.parentItemId);
        if (!parent) break;
        item = parent;
      }
      if (item) roots.add(item);
    }
    rows.stale.clear();
    // In the order's own order of items, as a whole recompute would go.
    const place = (item: ProductOrderItemRow) => rows.place.get(item.id) ?? 0;
    const ordered = roots.size > 1 ? [...roots].sort((a, b) => place(a) - place(b)) : [...roots];
    const setAll = (item: ProductOrderItemRow, seen: Set<string>): void => {
      if (seen.has(item.id)) return;
      seen.add(item.id);
      uow.stats.itemsDerived++;
      const target = derive(item);
      // A bundle item partly complete: held while one of its items waits, completed otherwise.
      this.setItemState(ctx, item, target === 'partial' ? (held(item) ? 'held' : 'completed') : target);
      for (const kid of children(item)) setAll(kid, seen);
    };
    rows.deriving = true;
    try {
      const seen = new Set<string>();
      for (const root of ordered) setAll(root, seen);
    } finally {
      rows.deriving = false;
    }
    const count = (state: string, by: number) => {
      const n = (rows.topCounts.get(state) ?? 0) + by;
      if (n === 0) rows.topCounts.delete(state); else rows.topCounts.set(state, n);
    };
    for (const root of ordered) {
      if (root.parentItemId !== null) continue;
      const before = rows.top.get(root.id);
      const now = derive(root);
      if (before === now) continue;
      if (before !== undefined) count(before, -1);
      count(now, 1);
      rows.top.set(root.id, now);
    }
    const combined = combineCounts(rows.topCounts);
    this.setOrderState(ctx, (rows.topCounts.get('partial') ?? 0) > 0 && combined === 'completed' ? 'partial' : combined);
  }

  // --- guarded setters ----------------------------------------------------------------------
  /** @internal */
  setStepState(ctx: Ctx, saga: SagaRow, step: SagaStepRow, to: SagaStepState, detail: Record<string, unknown> = {}): void {
    const from = step.state;
    step.state = transition(`saga step ${step.stepId}`, sagaStepTransitions, from, to);
    ctx.uow.putStep(step);
    ctx.uow.recordState(ctx.order, ctx.cause, 'StepStateChanged', { sagaId: saga.id, stepId: step.stepId }, { from, to, ...detail });
  }

  /** @internal */
  setSagaState(ctx: Ctx, saga: SagaRow, to: SagaState): void {
    if (saga.state === to) return;
    const from = saga.state;
    saga.state = transition('saga', sagaTransitions, from, to);
    // Out of a hold: the timers that came meanwhile are due now.
    if (from === 'HELD') ctx.uow.unpark(saga.id);
    ctx.uow.putSaga(saga);
    ctx.uow.recordState(ctx.order, ctx.cause, 'SagaStateChanged', { sagaId: saga.id, stepId: saga.heldStepId }, { from, to });
  }

  /** @internal */
  setItemState(ctx: Ctx, item: ProductOrderItemRow, to: ProductOrderItemState): void {
    if (item.state === to) return;
    const path = pathTo(productOrderItemTransitions, item.state, to);
    if (!path) return ctx.uow.recordState(ctx.order, ctx.cause, 'TransitionRefused', {}, { aggregate: 'product order item', id: item.id, from: item.state, to });
    const from = item.state;
    item.state = to;
    ctx.uow.touchItem(item);
    ctx.uow.recordState(ctx.order, ctx.cause, 'ProductOrderItemStateChanged', {}, { productOrderItemId: item.id, from, to });
    if (to === 'cancelled') this.cancellations.requestsDone(ctx, item.id);
  }

  /** @internal */
  setOrderState(ctx: Ctx, to: ProductOrderState, detail: Record<string, unknown> = {}): void {
    const { order } = ctx;
    if (order.state === to) return;
    const path = pathTo(productOrderTransitions, order.state, to);
    if (!path) return ctx.uow.recordState(order, ctx.cause, 'TransitionRefused', {}, { aggregate: 'product order', from: order.state, to });
    const from = order.state;
    order.state = to;
    ctx.uow.touchOrder(order);
    ctx.uow.recordState(order, ctx.cause, 'ProductOrderStateChanged', {}, { from, to, ...detail });
    if (to === 'cancelled') this.cancellations.requestsDone(ctx, null);
    const fact = ORDER_FACTS[to];
    if (fact && !(to === 'inProgress' && from !== 'acknowledged' && from !== 'pending')) this.emitFact(ctx, fact, { from, to });
    // Back in progress from anything but the start (held, partial, a cancellation refused or undone):
    // every order state change is a public fact (the TMF event hub delivers them).
    if (to === 'inProgress' && from !== 'acknowledged' && from !== 'pending') this.emitFact(ctx, 'ProductOrderResumed', { from, to });
  }

  private walkActivation(ctx: Ctx, command: ActivationCommandRow, to: ActivationCommandState): void {
    const path = pathTo(activationCommandTransitions, command.state, to);
    if (!path) throw new TransitionRefused('activation command', command.state, to);
    for (const state of path) {
      const from = command.state;
      command.state = state;
      ctx.uow.recordState(ctx.order, ctx.cause, 'ActivationCommandStateChanged', { sagaId: command.sagaId, stepId: command.stepId }, { id: command.id, from, to: state });
    }
    ctx.uow.putActivation(command);
  }

  /** @internal */
  walkReservation(ctx: Ctx, reservation: ResourceReservationRow, to: ResourceState): void {
    const path = pathTo(resourceTransitions, reservation.state, to);
    if (!path || path.length === 0) return;
    for (const state of path) {
      const from = reservation.state;
      reservation.state = state;
      ctx.uow.recordState(ctx.order, ctx.cause, 'ResourceReservationStateChanged', { sagaId: reservation.sagaId, stepId: reservation.stepId }, { id: reservation.id, resourceId: reservation.resourceId, from, to: state });
    }
    ctx.uow.putReservation(reservation);
  }

  // --- helpers ------------------------------------------------------------------------------
  /** @internal */
  refuse(ctx: Ctx, message: Envelope, reason: string): void {
    ctx.uow.recordState(ctx.order, message.messageId, 'MessageRefused', { sagaId: message.sagaId, stepId: message.stepId }, { type: message.type, reason });
  }

  /** @internal */
  planOf(ctx: Ctx, saga: SagaRow): CompiledSinglePlan {
    const plan = ctx.uow.plans.get(saga.planHash);
    if (!plan || plan.kind !== 'plan') throw new Error(`saga ${saga.id}: plan ${saga.planHash} is not a single plan`);
    return plan;
  }

  /** @internal */
  planStep(ctx: Ctx, saga: SagaRow, stepId: string): CompiledStep {
    const step = this.planOf(ctx, saga).steps.find((s) => s.id === stepId);
    if (!step) throw new Error(`saga ${saga.id}: plan has no step ${stepId}`);
    return step;
  }

  private isNonBlockingBilling(ctx: Ctx, saga: SagaRow, planStep: CompiledStep): boolean {
    if (planStep.kind !== 'billing_trigger') return false;
    // The policy of a bundle above the item, if it has one (billing.ts), else the plan's.
    const billing = this.billing.policyOf(ctx, saga);
    return billing !== null && !billing.blocksCompletion;
  }

  /** @internal */
  emitFact(ctx: Ctx, type: string, payload: Record<string, unknown>, saga?: SagaRow): void {
    ctx.uow.emit(this.envelope(ctx.order, {
      kind: 'event', type, destination: EVENTS, orderingKey: saga?.id ?? ctx.order.id, sagaId: saga?.id ?? null,
      productOrderItemId: saga?.productOrderItemId ?? null, payload,
    }, ctx.cause));
  }

  /** @internal */
  envelope(
    order: ProductOrderRow,
    m: Pick<Envelope, 'kind' | 'type' | 'destination' | 'orderingKey' | 'payload'> & Partial<Pick<Envelope, 'sagaId' | 'stepId' | 'productOrderItemId' | 'idempotencyKey'>>,
    cause: string | null,
  ): Envelope {
    return {
      messageId: newMessageId(), kind: m.kind, type: m.type, schemaVersion: MESSAGE_SCHEMA_VERSION, destination: m.destination,
      orderingKey: m.orderingKey, correlationId: order.correlationId, causationId: cause, productOrderId: order.id,
      productOrderItemId: m.productOrderItemId ?? null, sagaId: m.sagaId ?? null, stepId: m.stepId ?? null,
      idempotencyKey: m.idempotencyKey ?? null, payload: m.payload, createdAt: this.options.clock.now().toISOString(),
    };
  }
}

const ITEM_STATE_OF_SAGA: Record<SagaState, ProductOrderItemState> = {
  STARTED: 'inProgress', HELD: 'held', COMPLETED: 'completed', FAILED: 'failed', COMPENSATING: 'pendingCancellation', COMPENSATED: 'cancelled',
};

const ORDER_FACTS: Partial<Record<ProductOrderState, string>> = {
  inProgress: 'ProductOrderFulfillmentStarted', held: 'ProductOrderHeld', completed: 'ProductOrderCompleted',
  failed: 'ProductOrderFailed', partial: 'ProductOrderPartiallyCompleted', cancelled: 'ProductOrderCancelled',
  pending: 'ProductOrderPending', assessingCancellation: 'ProductOrderAssessingCancellation',
  pendingCancellation: 'ProductOrderPendingCancellation',
};

function combine(all: ProductOrderItemState[]): ProductOrderItemState | 'partial' {
  const counts = new Map<string, number>();
  for (const s of all) counts.set(s, (counts.get(s) ?? 0) + 1);
  return combineCounts(counts);
}

/**
 * `combine` over how many items are in each state (a derived `partial` counts as completed):
 * what the whole order's state is, from counts kept as its items change.
 */
function combineCounts(counts: ReadonlyMap<string, number>): ProductOrderItemState | 'partial' {
  const n = (s: string) => counts.get(s) ?? 0;
  let total = 0;
  for (const c of counts.values()) total += c;
  if (total === 0) return 'acknowledged';
  // Cancelled items count for nothing (all cancelled: cancelled); items being cancelled make the
  // whole pending cancellation only when nothing else is going on.
  const states = total - n('cancelled');
  if (states === 0) return 'cancelled';
  const cancelling = n('pendingCancellation') + n('assessingCancellation');
  if (cancelling > 0 && cancelling + n('rejected') === states) return 'pendingCancellation';
  // Items being cancelled among others count as in progress.
  const completed = n('completed') + n('partial');
  if (completed === states) return 'completed';
  if (n('rejected') === states) return 'rejected';
  if (n('held') > 0) return 'held';
  if (cancelling + n('inProgress') + n('acknowledged') + n('pending') > 0) {
    return n('acknowledged') === states ? 'acknowledged' : 'inProgress';
  }
  return completed > 0 ? 'partial' : 'failed';
}

/** `ms` after `now`, as stored. */
export function later(now: Date, ms: number): string {
  return new Date(now.getTime() + ms).toISOString();
}

export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = policy.backoff === 'none' ? 0
    : policy.backoff === 'fixed' ? policy.initialDelayMs
      : Math.min(policy.initialDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs || Number.MAX_SAFE_INTEGER);
  return policy.jitter ? Math.round(base * (0.8 + Math.random() * 0.4)) : base;
}

/** Accepts message ids into a consumer's inbox; returns the ones seen for the first time. */
export async function inboxAccept(tx: Queryable, consumer: string, messageIds: string[], at: Date): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const rows = await tx.query<{ message_id: string }>(
    `INSERT INTO inbox (consumer, message_id, received_at) SELECT $1, unnest($2::text[]), $3
     ON CONFLICT DO NOTHING RETURNING message_id`, [consumer, [...new Set(messageIds)], at.toISOString()]);
  return new Set(rows.map((r) => r.message_id));
}

/**
 * The engine's inbox check and the lock on the product orders the messages are about, in one
 * statement: the orders are locked in id order whether or not their message is fresh (a duplicate
 * only costs a lock it did not need). Returns the fresh message ids and the locked order rows.
 */
async function inboxAcceptAndLock(
  tx: Queryable, consumer: string, messages: Envelope[], at: Date,
): Promise<{ fresh: Set<string>; orders: Record<string, unknown>[] }> {
  const ids = [...new Set(messages.map((m) => m.messageId))];
  const orderIds = [...new Set(messages.map((m) => m.productOrderId))].sort();
  const [row] = await tx.query<{ fresh: string[] | null; orders: Record<string, unknown>[] | string | null }>(
    `WITH fresh AS (
       INSERT INTO inbox (consumer, message_id, received_at) SELECT $1, unnest($2::text[]), $3
       ON CONFLICT DO NOTHING RETURNING message_id),
     locked AS (SELECT ${ORDER_COLUMNS} FROM product_order WHERE id = ANY($4) ORDER BY id FOR UPDATE)
     SELECT (SELECT array_agg(message_id) FROM fresh) AS fresh, (SELECT json_agg(locked) FROM locked) AS orders`,
    [consumer, ids, at.toISOString(), orderIds]);
  const orders = row?.orders;
  return {
    fresh: new Set(row?.fresh ?? []),
    orders: orders === null || orders === undefined ? [] : (typeof orders === 'string' ? JSON.parse(orders) : orders) as Record<string, unknown>[],
  };
}

/** The actions some plan fulfils for an offering: of the plans given, and of the registered ones (`newest`). */
function fulfilledFor(offeringId: string, explicit: CompiledPlan[], newest: Record<string, string>): string[] {
  const found = new Set<string>(explicit.filter((p) => p.offeringId === offeringId).flatMap(actionsOf));
  for (const key of Object.keys(newest)) if (key.startsWith(`${offeringId} `)) found.add(key.slice(offeringId.length + 1));
  return ['add', 'modify', 'delete'].filter((a) => found.has(a));
}

function offeringsOf(items: Tmf622OrderItem[] | undefined): string[] {
  const ids = new Set<string>();
  for (const item of items ?? []) {
    if (item.productOffering !== undefined) ids.add(item.productOffering.id);
    for (const id of offeringsOf(item.productOrderItem)) ids.add(id);
  }
  return [...ids];
}

function parsedJson(value: unknown): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  return (typeof value === 'string' ? JSON.parse(value) : value) as Record<string, unknown>;
}

/** A valid order of an intake, with its index in the lot and the hash of what it says. */
interface Intake { index: number; order: Tmf622ProductOrder; bodyHash: string; scenario: unknown }

/**
 * An order found by the intake's duplicate check (`body_hash` null: taken before migration 008;
 * `reasons`: why the intake rejected it, null when it did not, or before migration 009).
 */
interface KnownOrder { correlation_id: string; state: ProductOrderState; body_hash: string | null; reasons: unknown }

/**
 * What the intake knows of an order of the same id: stored before (`known`; its body is read only
 * for a conflict) or taken earlier in the same lot (`earlier`).
 */
function priorOrder(known: KnownOrder | undefined, earlier: ProductOrderRow | undefined):
  { correlationId: string; state: ProductOrderState; bodyHash: string | null; reasons: unknown; body: unknown } | undefined {
  if (known) return { correlationId: known.correlation_id, state: known.state, bodyHash: known.body_hash, reasons: known.reasons, body: undefined };
  if (earlier) return { correlationId: earlier.correlationId, state: earlier.state, bodyHash: earlier.bodyHash, reasons: earlier.rejectionReasons, body: earlier.body };
  return undefined;
}

/** The one problem of a resubmitted rejected order whose reasons were not stored (rejected before migration 009). */
function reasonsUnknown(orderId: string): string {
  return `(order): product order ${orderId} was rejected at intake; its reasons were not recorded (it was rejected before migration 009)`;
}

/** The answer to a resubmission under a known id with another body, naming the first field that differs. */
// The stored value is not quoted: whoever resubmits under an id learns where the order of that id
// differs from theirs, not what it says.
function conflictOf(orderId: string, stored: unknown, submitted: unknown): SubmitConflict {
  const field = (stored === undefined || stored === null ? null : firstDifference(stored, submitted)) || null;
  return {
    ok: false, code: 'conflict', productOrderId: orderId, field,
    problems: [`${field ?? '(order)'}: conflict: product order ${orderId} already exists with a different body`
      + `${field ? ' (the first field that differs)' : ''}; resubmit it unchanged, or give a changed order an id of its own`],
  };
}
