// Amendment (§19): a change to an in-flight order item. The request names the item, the change
// kind (one of the `amend` rules of the item's plan) and the characteristics it changes; the rule
// decides from the current step states:
//   until <step>                  allowed while the step has not started;
//   after <step>: reject "<text>" refused, with the text, once the step has started;
//   replan <step>, ...            the steps run again: an earlier attempt that had an effect is
//                                 undone first by its declared compensation (last step first, once
//                                 the outcome of a step running at the time is known), then each
//                                 step starts again under a new idempotency key.
// The commands of the replanned steps (of the steps not started yet, when the rule replans none)
// carry the delta: each characteristic changed with its old and new value, never a full replace.
// Every request is recorded with its lineage: which step ran again, from which attempt and key,
// under which new key. A refused request writes nothing.
import { randomUUID } from 'node:crypto';
import type { AmendmentRule, CompiledSinglePlan } from '../../compiler/emit/schema.js';
import { iso, parseJson } from '../store/sql.js';
import { findUnstorable, requestTextProblem } from '../store/text.js';
import type { Queryable } from '../store/store.js';
import { needsCompensation } from './cancellation.js';
import type { Ctx, Engine } from './engine.js';
import { falloutCaseTransitions, RUNNING_STEP_STATES, transition } from './states.js';
import { UnitOfWork, type ProductOrderItemRow, type SagaAmendment, type SagaRow, type SagaStepRow } from './unit-of-work.js';

/** `cancelled`: the item was cancelled while the amendment was being carried out. */
export type AmendmentRequestState = 'acknowledged' | 'inProgress' | 'done' | 'cancelled';

export interface AmendInput {
  productOrderId: string;
  itemId: string;
  /** The change kind: the name of one of the plan's `amend` rules. */
  change: string;
  /** The characteristics it changes, with their new values. */
  with: Record<string, unknown>;
  /** The request's own id (the same id again is answered as the first). */
  id?: string;
  requestedBy?: string;
}

export interface AmendmentLineage {
  stepId: string;
  /** The attempt of the step that ran before (its last). */
  fromAttempt: number;
  fromKey: string | null;
  /** The idempotency key the step runs again under. */
  toKey: string;
}

export interface AmendmentRequestView {
  id: string;
  productOrderId: string;
  itemId: string;
  change: string;
  delta: Record<string, { old: unknown; new: unknown }>;
  requestedBy: string | null;
  state: AmendmentRequestState;
  message: string | null;
  lineage: AmendmentLineage[];
  createdAt: string;
  updatedAt: string;
}

export type AmendResult =
  | { ok: true; duplicate: boolean; request: AmendmentRequestView }
  | { ok: false; code: 'invalid' | 'not-found' | 'refused'; field: string; problem: string };


export class Amendments {
  constructor(private readonly engine: Engine) {}

  // --- the request --------------------------------------------------------------------------
  async amend(input: AmendInput): Promise<AmendResult> {
    const problem = validate(input);
    if (problem) return problem;
    const engine = this.engine;
    return engine.work(async (tx, uow): Promise<AmendResult> => {
      // The order's row lock: a second amendment of the same order waits here, then sees this one.
      const found = await engine.lockOrder(tx, uow, input.productOrderId, input.itemId);
      if (!found.ok) return found;
      const { order, items } = found;
      const item = uow.item(order.id, input.itemId) as ProductOrderItemRow;
      if (input.id !== undefined) {
        const earlier = await amendmentRequest(tx, input.id);
        if (earlier) {
          if (earlier.productOrderId !== order.id || earlier.itemId !== item.id || earlier.change !== input.change) {
            return { ok: false, code: 'invalid', field: 'id', problem: `id: amendment request ${earlier.id} is of another order, item or change` };
          }
          return { ok: true, duplicate: true, request: earlier };
        }
      }
      const saga = uow.sagaOfItem(order.id, item.id);
      if (!saga) {
        const children = items.filter((i) => i.parentItemId === item.id).map((i) => i.id);
        return {
          ok: false, code: 'refused', field: 'item',
          problem: children.length > 0
            ? `item: ${item.id} is a bundle: amend one of its items (${children.join(', ')})`
            : `item: ${item.id} is not being fulfilled (${item.state}): there is nothing to amend`,
        };
      }
      const plan = engine.planOf({ uow, order, cause: null }, saga);
      const rule = plan.amendments.find((a) => a.name === input.change);
      if (!rule) {
        const kinds = plan.amendments.map((a) => a.name);
        return {
          ok: false, code: 'invalid', field: 'change',
          problem: `change: plan ${plan.planId} has no amendment '${input.change}'`
            + (kinds.length > 0 ? ` (did you mean: ${kinds.join(', ')}?)` : ' (it allows none)'),
        };
      }
      const steps = uow.stepsOf(saga.id);
      const refusal = decide(plan, rule, saga, steps);
      if (refusal) return { ok: false, code: 'refused', field: 'change', problem: `change: ${refusal}` };
      if (saga.amendment?.phase === 'replanning') {
        return {
          ok: false, code: 'refused', field: 'item',
          problem: `item: amendment ${saga.amendment.requestId} of item ${item.id} is still in progress: try again once it is done`,
        };
      }
      const delta: Record<string, { old: unknown; new: unknown }> = {};
      for (const [name, value] of Object.entries(input.with)) {
        const old = item.characteristics[name] ?? null;
        if (old !== value) delta[name] = { old, new: value };
      }
      if (Object.keys(delta).length === 0) {
        return { ok: false, code: 'invalid', field: 'with', problem: `with: nothing changes: item ${item.id} already has ${JSON.stringify(input.with)}` };
      }

      // Allowed: recorded, the delta applied to the item, the rule's steps replanned.
      const id = input.id ?? `apo-${randomUUID()}`;
      const request: AmendmentRequestView = {
        id, productOrderId: order.id, itemId: item.id, change: rule.name, delta, requestedBy: input.requestedBy ?? null,
        state: 'inProgress', message: null, lineage: [], createdAt: uow.at, updatedAt: uow.at,
      };
      const ctx: Ctx = { uow, order, cause: id };
      uow.recordState(order, id, 'AmendmentRequested', { sagaId: saga.id }, {
        amendmentRequestId: id, itemId: item.id, change: rule.name, delta, by: request.requestedBy, replan: rule.replan,
      });
      uow.recordState(order, id, 'AmendmentRequestStateChanged', {}, { amendmentRequestId: id, from: 'acknowledged', to: 'inProgress' });
      engine.emitFact(ctx, 'ProductOrderAmendmentStateChangeEvent', { amendmentRequestId: id, itemId: item.id, change: rule.name, state: 'inProgress' }, saga);
      item.characteristics = { ...item.characteristics, ...Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, v.new])) } as typeof item.characteristics;
      uow.touchItem(item);
      // Written once, below, as it ends this transaction (the writes of a transaction go out in one statement).
      this.inserting.set(uow, id);
      if (rule.replan.length === 0) {
        // Nothing to run again: the steps not started yet take the new values, and carry the delta.
        const pending = Object.fromEntries(steps.filter((s) => s.state === 'NOT_STARTED').map((s) => [s.stepId, s.resumes]));
        saga.amendment = { requestId: id, change: rule.name, phase: 'replanned', replan: [], delta, steps: pending };
        uow.putSaga(saga);
        this.done(ctx, saga, request.lineage);
        request.state = 'done';
      } else {
        saga.amendment = { requestId: id, change: rule.name, phase: 'replanning', replan: [...rule.replan], delta, steps: {} };
        uow.putSaga(saga);
        this.abandon(ctx, saga, rule.replan);
        request.lineage = this.next(ctx, saga) ?? [];
        if (saga.amendment.phase === 'replanned') request.state = 'done';
      }
      insertRequest(uow, request);
      engine.recomputeOrder(ctx);
      await engine.flush(tx, uow);
      return { ok: true, duplicate: false, request: { ...request, updatedAt: uow.at } };
    });
  }

  /**
   * A replanned step waiting when the amendment comes (held for the customer, backing off before
   * a retry) waits no more: it ends here, and its open fallout case with it.
   */
  private abandon(ctx: Ctx, saga: SagaRow, replan: string[]): void {
    const { uow } = ctx;
    for (const stepId of replan) {
      const step = uow.step(saga.id, stepId);
      if (!step || step.state !== 'WAITING') continue;
      uow.clearTimers(saga.id, stepId);
      step.outcome = 'amended';
      this.engine.setStepState(ctx, saga, step, 'FAILED', { outcome: 'amended', reason: 'replanned by an amendment' });
      if (saga.heldStepId === stepId) {
        const open = uow.openFalloutOf(saga.id);
        if (open && open.failedStepId === stepId) {
          open.state = transition('fallout case', falloutCaseTransitions, open.state, 'CANCELLED');
          open.resolvedAt = uow.at;
          uow.putFallout(open);
          uow.recordState(ctx.order, ctx.cause, 'FalloutCaseCancelled', { sagaId: saga.id, stepId }, { caseId: open.id, reason: 'amended' });
        }
        saga.heldStepId = null;
        this.engine.setSagaState(ctx, saga, 'STARTED');
      }
    }
  }

  // --- replanning ---------------------------------------------------------------------------
  /**
   * Moves a replanning saga on: waits while a replanned step runs or is being undone; undoes the
   * next earlier attempt that had an effect (last step first); or, with nothing left to undo,
   * resets the replanned steps (new idempotency keys) and lets the saga go on. Returns the
   * lineage when it reset them.
   */
  next(ctx: Ctx, saga: SagaRow): AmendmentLineage[] | null {
    const { engine } = this;
    const { uow } = ctx;
    const amendment = saga.amendment;
    if (!amendment || amendment.phase !== 'replanning') return null;
    if (saga.state !== 'STARTED' && saga.state !== 'HELD') return null;
    const plan = engine.planOf(ctx, saga);
    const replan = new Set(amendment.replan);
    const rows = plan.steps.filter((s) => replan.has(s.id)).map((s) => [s, uow.step(saga.id, s.id) as SagaStepRow] as const);
    if (rows.some(([, row]) => RUNNING_STEP_STATES.has(row.state) || row.state === 'COMPENSATING')) return null;
    // An undo that fell out waits for `o2a resume` (the compensation is sent again).
    if (rows.some(([, row]) => row.state === 'FAILED' && row.outcome === 'compensation_failed')) return null;
    for (const [planStep, row] of [...rows].reverse()) {
      if (needsCompensation(planStep, row)) {
        engine.cancellations.send(ctx, saga, row, planStep);
        return null;
      }
    }
    const lineage: AmendmentLineage[] = [];
    const generations: Record<string, number> = {};
    for (const [, row] of rows) {
      if (row.state === 'SKIPPED') continue;
      const ran = row.state !== 'NOT_STARTED';
      const from = { attempt: row.attempt, key: row.idempotencyKey };
      if (ran) {
        row.resumes += 1;
        row.attempt = 0;
        row.compensations = 0;
        row.outcome = null;
        row.externalRef = null;
        row.evidence = null;
        row.startedAt = null;
        row.completedAt = null;
        uow.clearTimers(saga.id, row.stepId);
      }
      const toKey = `${saga.id}/${row.stepId}/${row.resumes}`;
      generations[row.stepId] = row.resumes;
      if (!ran) continue;
      lineage.push({ stepId: row.stepId, fromAttempt: from.attempt, fromKey: from.key, toKey });
      engine.setStepState(ctx, saga, row, 'NOT_STARTED', {
        amendmentRequestId: amendment.requestId, fromAttempt: from.attempt, fromKey: from.key, toKey,
      });
      engine.emitFact(ctx, 'StepReplanned', {
        amendmentRequestId: amendment.requestId, stepId: row.stepId, fromAttempt: from.attempt, fromKey: from.key, toKey,
      }, saga);
    }
    saga.amendment = { ...amendment, phase: 'replanned', steps: generations };
    uow.putSaga(saga);
    this.done(ctx, saga, lineage);
    engine.advance(ctx, saga);
    engine.recomputeOrder(ctx);
    return lineage;
  }

  /** The request is done: the replanned steps run again (or the delta is applied), announced once. */
  private done(ctx: Ctx, saga: SagaRow, lineage: AmendmentLineage[]): void {
    const amendment = saga.amendment as SagaAmendment;
    const id = amendment.requestId;
    if (this.inserting.get(ctx.uow) !== id) {
      ctx.uow.write(`UPDATE amendment_request SET state = 'done', lineage = $3::jsonb, updated_at = $2 WHERE id = $1 AND state = 'inProgress'`,
        [id, ctx.uow.at, JSON.stringify(lineage)]);
    }
    ctx.uow.recordState(ctx.order, ctx.cause, 'AmendmentRequestStateChanged', { sagaId: saga.id }, { amendmentRequestId: id, from: 'inProgress', to: 'done', lineage });
    this.engine.emitFact(ctx, 'ProductOrderItemAmended', {
      amendmentRequestId: id, itemId: saga.productOrderItemId, change: amendment.change, delta: amendment.delta, lineage,
    }, saga);
    this.engine.emitFact(ctx, 'ProductOrderAmendmentStateChangeEvent', {
      amendmentRequestId: id, itemId: saga.productOrderItemId, change: amendment.change, state: 'done',
    }, saga);
  }

  /**
   * The item is being cancelled while this amendment undoes earlier attempts: the amendment ends
   * (`cancelled`, announced); the cancellation undoes what is left, the undo under way included.
   */
  endByCancellation(ctx: Ctx, saga: SagaRow, cancelRequestId: string): void {
    const amendment = saga.amendment;
    if (!amendment || amendment.phase !== 'replanning') return;
    saga.amendment = { ...amendment, phase: 'cancelled' };
    ctx.uow.putSaga(saga);
    const message = `item ${saga.productOrderItemId} was cancelled (cancel request ${cancelRequestId}) before the amendment was carried out`;
    ctx.uow.write(`UPDATE amendment_request SET state = 'cancelled', message = $2, updated_at = $3 WHERE id = $1 AND state = 'inProgress'`,
      [amendment.requestId, message, ctx.uow.at]);
    ctx.uow.recordState(ctx.order, ctx.cause, 'AmendmentRequestStateChanged', { sagaId: saga.id },
      { amendmentRequestId: amendment.requestId, from: 'inProgress', to: 'cancelled', message });
    this.engine.emitFact(ctx, 'ProductOrderAmendmentStateChangeEvent', {
      amendmentRequestId: amendment.requestId, itemId: saga.productOrderItemId, change: amendment.change, state: 'cancelled', message,
    }, saga);
  }

  /** The request a unit of work inserts (it is written whole, with how it ends there). */
  private readonly inserting = new WeakMap<UnitOfWork, string>();

  // --- hooks of the engine -----------------------------------------------------------------
  /** Whether a saga waits for replanned steps: the engine then leaves them (and what follows them) alone. */
  replanning(saga: SagaRow): boolean {
    return saga.amendment?.phase === 'replanning';
  }

  /**
   * The steps `advance` must not start while a saga is replanning: the replanned steps and every
   * step that depends on one of them. Null when the saga is not replanning.
   */
  heldBack(plan: CompiledSinglePlan, saga: SagaRow): Set<string> | null {
    if (!this.replanning(saga)) return null;
    const held = new Set(saga.amendment?.replan ?? []);
    for (let grew = true; grew;) {
      grew = false;
      for (const step of plan.steps) {
        if (!held.has(step.id) && step.dependsOn.some((d) => held.has(d))) { held.add(step.id); grew = true; }
      }
    }
    return held;
  }

  /** Whether the saga is replanning this step: its outcome only tells whether there is something to undo. */
  replans(saga: SagaRow, stepId: string): boolean {
    return this.replanning(saga) && (saga.amendment?.replan.includes(stepId) ?? false);
  }

  /** A replanned step's outcome came in while the saga replans: true when that is handled here. */
  onOutcome(ctx: Ctx, saga: SagaRow, step: SagaStepRow): boolean {
    if (!this.replans(saga, step.stepId)) return false;
    this.next(ctx, saga);
    return true;
  }

  /** What a step's command carries of the saga's amendment: the delta, for the steps it replanned. */
  deltaFor(saga: SagaRow, step: SagaStepRow): { delta: SagaAmendment['delta']; amendmentRequestId: string } | Record<string, never> {
    const amendment = saga.amendment;
    if (!amendment || amendment.phase !== 'replanned' || amendment.steps[step.stepId] !== step.resumes) return {};
    return { delta: amendment.delta, amendmentRequestId: amendment.requestId };
  }
}

// --- the rules ------------------------------------------------------------------------------
/** Why the rule refuses the amendment now, or null when it allows it. */
export function decide(plan: CompiledSinglePlan, rule: AmendmentRule, saga: SagaRow, steps: SagaStepRow[]): string | null {
  const state = new Map(steps.map((s) => [s.stepId, s.state]));
  const started = (id: string) => { const s = state.get(id); return s !== undefined && s !== 'NOT_STARTED' && s !== 'SKIPPED'; };
  if (rule.rejectAfter && started(rule.rejectAfter.step)) {
    return rule.rejectAfter.message ?? `amendment '${rule.name}' is refused once ${rule.rejectAfter.step} has started`;
  }
  if (rule.until !== null && started(rule.until)) {
    return `amendment '${rule.name}' is allowed until ${rule.until} starts, and ${rule.until} has started`;
  }
  if (saga.state === 'COMPLETED') return `item ${saga.productOrderItemId} is completed: place a modify order instead`;
  if (saga.state !== 'STARTED' && saga.state !== 'HELD') {
    return `item ${saga.productOrderItemId} is ${saga.state === 'FAILED' ? 'failed' : 'being cancelled'}: there is nothing to amend`;
  }
  // Undoing a step whose compensation requires approval is a cancellation's business, not an
  // amendment's: refused once that step has run, or while it runs (its outcome would need undoing).
  const approval = plan.steps.find((s) => rule.replan.includes(s.id) && ['SUCCEEDED', ...RUNNING_STEP_STATES].includes(state.get(s.id) ?? '')
    && s.compensation.kind === 'compensate' && s.compensation.requiresApproval);
  if (approval) {
    const when = state.get(approval.id) === 'SUCCEEDED' ? 'has run' : 'is running';
    return `${approval.id} ${when} and undoing it requires approval: cancel the item instead (o2a cancel), or amend before ${approval.id} runs`;
  }
  const undone = plan.steps.filter((s) => rule.replan.includes(s.id) && state.get(s.id) === 'COMPENSATED');
  if (undone.length > 0) return `item ${saga.productOrderItemId} is being cancelled: there is nothing to amend`;
  return null;
}

function validate(input: AmendInput): AmendResult | null {
  const text = (value: unknown, field: string, required: boolean): AmendResult | null => {
    const wrong = requestTextProblem(value, field, required);
    return wrong ? { ok: false, code: 'invalid', ...wrong } : null;
  };
  const first = text(input?.productOrderId, 'productOrderId', true) ?? text(input.itemId, 'item', true) ?? text(input.change, 'change', true)
    ?? text(input.requestedBy, 'requestedBy', false) ?? text(input.id, 'id', false);
  if (first) return first;
  const w = input.with;
  if (w === null || typeof w !== 'object' || Array.isArray(w)) {
    return { ok: false, code: 'invalid', field: 'with', problem: 'with: expected a JSON object of characteristic values, e.g. {"preferredDate": "2026-12-01"}' };
  }
  const entries = Object.entries(w);
  if (entries.length === 0) return { ok: false, code: 'invalid', field: 'with', problem: 'with: name at least one characteristic to change' };
  for (const [name, value] of entries) {
    if (name.trim() === '' || !['string', 'number', 'boolean'].includes(typeof value)) {
      return { ok: false, code: 'invalid', field: `with.${name}`, problem: `with.${name}: expected a string, number or boolean` };
    }
  }
  const bad = findUnstorable(w, 'with');
  return bad ? { ok: false, code: 'invalid', field: bad.path, problem: `${bad.path}: ${bad.problem}` } : null;
}

// --- reading --------------------------------------------------------------------------------
export async function amendmentRequests(db: Queryable, productOrderId?: string): Promise<AmendmentRequestView[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM amendment_request ${productOrderId ? 'WHERE product_order_id = $1' : ''} ORDER BY created_at, id`, productOrderId ? [productOrderId] : []);
  return rows.map(requestView);
}

export async function amendmentRequest(db: Queryable, id: string): Promise<AmendmentRequestView | null> {
  const [row] = await db.query<Record<string, unknown>>('SELECT * FROM amendment_request WHERE id = $1', [id]);
  return row ? requestView(row) : null;
}

function insertRequest(uow: UnitOfWork, r: AmendmentRequestView): void {
  uow.write(
    `INSERT INTO amendment_request (id, product_order_id, product_order_item_id, change_kind, delta, requested_by, state, message, lineage, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10, $10)`,
    [r.id, r.productOrderId, r.itemId, r.change, JSON.stringify(r.delta), r.requestedBy, r.state, r.message, JSON.stringify(r.lineage), r.createdAt]);
}

function requestView(row: Record<string, unknown>): AmendmentRequestView {
  return {
    id: String(row.id), productOrderId: String(row.product_order_id), itemId: String(row.product_order_item_id), change: String(row.change_kind),
    delta: (parseJson(row.delta) ?? {}) as AmendmentRequestView['delta'], requestedBy: (row.requested_by as string | null) ?? null,
    state: row.state as AmendmentRequestState, message: (row.message as string | null) ?? null,
    lineage: (parseJson(row.lineage) ?? []) as AmendmentLineage[],
    createdAt: iso(row.created_at) as string, updatedAt: iso(row.updated_at) as string,
  };
}
