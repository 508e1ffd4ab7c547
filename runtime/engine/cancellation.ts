// Cancellation and compensation (§18). A cancel request (TMF622's CancelProductOrder: its own id,
// `acknowledged` -> `inProgress` -> `done` or `terminatedWithError`) names an order or one item.
// For each saga in scope the plan's cancel rule for the phase the saga is in decides:
//   stop                          nothing ran that needs undoing: running steps are abandoned;
//   compensate                    every step that had a side effect is undone by its declared
//                                 compensating command, in reverse dependency order, one at a time;
//   compensate requires approval  the same, once somebody approves (`o2a approve`);
//   reject "<text>"               the request is refused with the text; the order goes on.
// A step running when the cancel arrives is compensated once its outcome is known (an activation
// in UNKNOWN is read back first). Irreversible steps are reported, not undone. A compensation
// that keeps failing raises a fallout case. The runtime knows no offering: the plan says it all.
import { randomUUID } from 'node:crypto';
import type { CancellationRule, CompiledSinglePlan, CompiledStep } from '../../compiler/emit/schema.js';
import { iso, parseJson } from '../store/sql.js';
import { requestTextProblem, unstorable } from '../store/text.js';
import type { Queryable } from '../store/store.js';
import { backoffMs, later, type Ctx, type Engine } from './engine.js';
import type { Envelope, StepCommandPayload, StepReplyPayload } from './messages.js';
import { falloutCaseTransitions, RUNNING_STEP_STATES, transition } from './states.js';
import { UnitOfWork, type ProductOrderRow, type SagaCompensation, type SagaRow, type SagaStepRow } from './unit-of-work.js';

/** The command the runtime sends to undo a step (its payload names the catalog's compensation action). */
export const COMPENSATE_STEP = 'CompensateStep';
export const STEP_COMPENSATED = 'StepCompensated';
export const STEP_COMPENSATION_FAILED = 'StepCompensationFailed';

export type CancelRequestState = 'acknowledged' | 'inProgress' | 'done' | 'terminatedWithError';

export interface CancelInput {
  productOrderId: string;
  /** One item (a bundle item: with its children); absent: the whole order. */
  itemId?: string;
  reason?: string;
  requestedBy?: string;
  /** The request's own id (a retried request with the same id is answered as the first). */
  id?: string;
}

export interface CancelDecision {
  sagaId: string;
  itemId: string;
  /** `after ont`, `before ont`, or `default` when no rule of the plan covers the phase. */
  rule: string;
  action: 'stop' | 'compensate' | 'reject';
  requiresApproval: boolean;
  message: string | null;
  /** Steps that ran and cannot be undone (declared irreversible). */
  irreversible: string[];
}

export interface CancelRequestView {
  id: string;
  productOrderId: string;
  itemId: string | null;
  reason: string | null;
  requestedBy: string | null;
  state: CancelRequestState;
  message: string | null;
  decisions: CancelDecision[];
  createdAt: string;
  updatedAt: string;
}

export type CancelResult =
  | { ok: true; duplicate: boolean; request: CancelRequestView }
  | { ok: false; code: 'invalid' | 'not-found'; field: string; problem: string };

export interface ApprovalView {
  id: string; productOrderId: string; sagaId: string; cancelRequestId: string; subject: string;
  state: 'PENDING' | 'APPROVED' | 'REFUSED'; decidedBy: string | null; decidedAt: string | null; note: string | null; createdAt: string;
}

export type ApproveResult =
  | { ok: true; approval: ApprovalView }
  | { ok: false; code: 'invalid' | 'not-found' | 'decided'; field: string; problem: string };

const SETTLED_ORDER: Record<string, string> = {
  failed: 'the order has failed: there is nothing left to cancel',
  rejected: 'the order was rejected: there is nothing to cancel',
  cancelled: 'the order is already cancelled',
};

/**
 * Whether a saga is being undone now: compensating, and not waiting for somebody's decision
 * (while an approval is awaited, the plan's own rules still apply to what its steps report).
 */
export function compensating(saga: SagaRow): boolean {
  return saga.state === 'COMPENSATING' && saga.compensation?.approval?.state !== 'PENDING';
}

/** The idempotency key of a step's compensation: the same for every send (compensations are idempotent). */
export function compensationKey(saga: SagaRow, step: SagaStepRow): string {
  return `${step.idempotencyKey ?? `${saga.id}/${step.stepId}`}/compensate`;
}

export class Cancellations {
  constructor(private readonly engine: Engine) {}

  // --- the request --------------------------------------------------------------------------
  async cancel(input: CancelInput): Promise<CancelResult> {
    const problem = validate(input);
    if (problem) return problem;
    const engine = this.engine;
    return engine.work(async (tx, uow): Promise<CancelResult> => {
      const found = await engine.lockOrder(tx, uow, input.productOrderId, input.itemId);
      if (!found.ok) return found;
      const { order, items } = found;
      const earlier = await earlierRequest(tx, order.id, input);
      if (earlier) {
        if (earlier.productOrderId !== order.id || earlier.itemId !== (input.itemId ?? null)) {
          return { ok: false, code: 'invalid', field: 'id', problem: `id: cancel request ${earlier.id} is of another order or item` };
        }
        return { ok: true, duplicate: true, request: earlier };
      }
      const id = input.id ?? `cpo-${randomUUID()}`;
      const scope = input.itemId === undefined ? items : descendants(items, input.itemId);
      const sagas = scope.map((i) => uow.sagaOfItem(order.id, i.id)).filter((s): s is SagaRow => s !== undefined);
      const decisions = sagas.map((saga) => decide(engine.planOf({ uow, order, cause: null }, saga), saga, uow.stepsOf(saga.id)));
      const request: CancelRequestView = {
        id, productOrderId: order.id, itemId: input.itemId ?? null, reason: input.reason ?? null, requestedBy: input.requestedBy ?? null,
        state: 'acknowledged', message: null, decisions, createdAt: uow.at, updatedAt: uow.at,
      };
      const ctx: Ctx = { uow, order, cause: id };
      uow.recordState(order, id, 'CancelRequested', {}, { cancelRequestId: id, itemId: request.itemId, reason: request.reason, by: request.requestedBy });
      // Accepted but not started yet (§18.1, §18.2): nothing ran, the order (item) is cancelled at once.
      const notStarted = sagas.length === 0 && (order.state === 'acknowledged' || order.state === 'pending')
        && scope.some((i) => i.state === 'acknowledged' || i.state === 'pending');
      const refusal = SETTLED_ORDER[order.state] ?? decisions.find((d) => d.action === 'reject')?.message
        ?? (sagas.length === 0 && !notStarted ? 'nothing in this order can be cancelled: no item is being fulfilled' : null);
      if (refusal !== null) {
        // Refused: the order goes on untouched; the request ends with why.
        request.state = 'terminatedWithError';
        request.message = refusal;
        insertRequest(uow, request);
        this.announce(ctx, id, 'acknowledged', 'terminatedWithError', refusal);
        await engine.flush(tx, uow);
        return { ok: true, duplicate: false, request };
      }
      request.state = 'inProgress';
      this.announce(ctx, id, 'acknowledged', 'inProgress');
      if (input.itemId === undefined) engine.setOrderState(ctx, 'assessingCancellation');
      for (const item of scope) engine.setItemState(ctx, item, 'assessingCancellation');
      if (decisions.some((d) => d.requiresApproval)) this.gate(ctx, sagas, decisions, id, request.itemId);
      else for (const [n, saga] of sagas.entries()) this.apply(ctx, saga, decisions[n] as CancelDecision, id, request.itemId);
      if (notStarted) {
        for (const item of scope) engine.setItemState(ctx, item, 'cancelled');
        engine.emitFact(ctx, 'FulfillmentStopped', { cancelRequestId: id, rule: 'before acceptance' });
      }
      engine.recomputeOrder(ctx);
      // Stopped at once (nothing to undo): done in this same transaction (announced by requestsDone).
      const target = input.itemId === undefined ? order.state : uow.item(order.id, input.itemId)?.state;
      if (target === 'cancelled') {
        request.state = 'done';
        // No saga to announce it when it ends (requestsDone): announced here.
        if (sagas.length === 0) {
          this.announce(ctx, id, 'inProgress', 'done');
        }
      }
      insertRequest(uow, request);
      await engine.flush(tx, uow);
      return { ok: true, duplicate: false, request };
    });
  }

  /**
   * Applies a saga's decision (never `reject`: a request with one is refused whole) at once, or,
   * once approved, the decision it waited for.
   */
  private apply(ctx: Ctx, saga: SagaRow, decision: Pick<CancelDecision, 'rule' | 'action' | 'irreversible'>, requestId: string, scope: string | null,
    approval: SagaCompensation['approval'] = null): void {
    const { engine } = this;
    if (approval === null) {
      for (const stepId of decision.irreversible) {
        engine.emitFact(ctx, 'StepNotCompensable', { stepId, reason: 'declared irreversible: reported, not undone' }, saga);
      }
    }
    // An amendment being applied ends here: the item is being cancelled.
    engine.amendments.endByCancellation(ctx, saga, requestId);
    saga.compensation = { cancelRequestId: requestId, rule: decision.rule, action: decision.action as 'stop' | 'compensate', approval, scope };
    ctx.uow.putSaga(saga);
    if (decision.action === 'stop') {
      this.abandon(ctx, saga, true);
      engine.setSagaState(ctx, saga, 'COMPENSATING');
      engine.setSagaState(ctx, saga, 'COMPENSATED');
      engine.emitFact(ctx, 'FulfillmentStopped', { cancelRequestId: requestId, rule: decision.rule }, saga);
      return;
    }
    engine.setSagaState(ctx, saga, 'COMPENSATING');
    this.abandon(ctx, saga, false);
    this.next(ctx, saga);
  }

  /**
   * A request of which some saga's rule requires approval is decided as one: every saga it names
   * waits for that one decision (nothing new starts, running steps go on as the plan says).
   * Approved, each saga is stopped or undone as its rule says; refused, they all go on and the
   * request ends with why. A customer's cancel is never carried out in part behind their back.
   */
  private gate(ctx: Ctx, sagas: SagaRow[], decisions: CancelDecision[], requestId: string, scope: string | null): void {
    const { engine } = this;
    const asking = decisions.filter((d) => d.requiresApproval);
    const others = decisions.filter((d) => !d.requiresApproval).map((d) => d.itemId);
    const subject = asking.map((d) => `compensation of ${d.itemId} (${d.rule})`).join(', ')
      + (others.length > 0 ? `, and with it the cancellation of ${others.join(', ')}` : '');
    const approval = { id: `ap-${randomUUID()}`, state: 'PENDING' as const, by: null, at: null };
    for (const [n, saga] of sagas.entries()) {
      const decision = decisions[n] as CancelDecision;
      for (const stepId of decision.irreversible) {
        engine.emitFact(ctx, 'StepNotCompensable', { stepId, reason: 'declared irreversible: reported, not undone' }, saga);
      }
      saga.compensation = { cancelRequestId: requestId, rule: decision.rule, action: decision.action as 'stop' | 'compensate', approval: { ...approval }, scope };
      ctx.uow.putSaga(saga);
      engine.setSagaState(ctx, saga, 'COMPENSATING');
    }
    const first = sagas[decisions.indexOf(asking[0] as CancelDecision)] as SagaRow;
    this.recordApproval(ctx, first, approval.id, requestId, subject);
  }

  /**
   * What a cancellation ends of a saga's forward work: its open fallout case, a step held for a
   * party, a step backing off before a retry; with `running` (a stop), the running steps too.
   */
  private abandon(ctx: Ctx, saga: SagaRow, running: boolean): void {
    const { engine } = this;
    const { uow } = ctx;
    const open = uow.openFalloutOf(saga.id);
    if (open) {
      open.state = transition('fallout case', falloutCaseTransitions, open.state, 'CANCELLED');
      open.resolvedAt = uow.at;
      uow.putFallout(open);
      uow.recordState(ctx.order, ctx.cause, 'FalloutCaseCancelled', { sagaId: saga.id, stepId: open.failedStepId }, { caseId: open.id });
    }
    for (const step of uow.stepsOf(saga.id)) {
      const waiting = step.state === 'WAITING';
      if (!waiting && !(running && RUNNING_STEP_STATES.has(step.state))) continue;
      uow.clearTimers(saga.id, step.stepId);
      step.outcome = 'cancelled';
      engine.setStepState(ctx, saga, step, 'FAILED', { outcome: 'cancelled', reason: 'cancelled before it was done' });
    }
    saga.heldStepId = null;
  }

  // --- compensation -------------------------------------------------------------------------
  /**
   * Moves a compensating saga on: waits while a step runs (its outcome decides whether it is
   * undone) or a compensation is under way; sends the next compensation in reverse dependency
   * order; or, with nothing left to undo, ends the saga COMPENSATED.
   */
  next(ctx: Ctx, saga: SagaRow): void {
    const { engine } = this;
    const { uow } = ctx;
    if (!compensating(saga)) return;
    const plan = engine.planOf(ctx, saga);
    const rows = plan.steps.map((planStep) => [planStep, uow.step(saga.id, planStep.id) as SagaStepRow] as const);
    if (rows.some(([, row]) => RUNNING_STEP_STATES.has(row.state) || row.state === 'COMPENSATING')) return;
    const refused = new Set(saga.compensation?.refusedSteps ?? []);
    for (const [planStep, row] of [...rows].reverse()) {
      if (!needsCompensation(planStep, row) || refused.has(row.stepId)) continue;
      if (planStep.compensation.kind === 'compensate' && planStep.compensation.requiresApproval && !this.approvedFor(saga, row.stepId)) {
        // The step's own compensation requires an approval (`compensate <action> requires approval`).
        return this.requestApproval(ctx, saga, `undo ${row.stepId} of ${saga.productOrderItemId} (${planStep.compensation.action})`, row.stepId);
      }
      return this.send(ctx, saga, row, planStep);
    }
    engine.setSagaState(ctx, saga, 'COMPENSATED');
    engine.emitFact(ctx, 'FulfillmentCompensated', { cancelRequestId: saga.compensation?.cancelRequestId ?? null }, saga);
    engine.recomputeOrder(ctx);
  }

  /** Whether the saga's approval covers this step: the rule's approval, or one given for the step itself. */
  private approvedFor(saga: SagaRow, stepId: string): boolean {
    const approval = saga.compensation?.approval;
    return approval?.state === 'APPROVED' && (approval.stepId === undefined || approval.stepId === stepId);
  }

  /** Records a step's own approval awaiting a decision; the saga waits for it. */
  private requestApproval(ctx: Ctx, saga: SagaRow, subject: string, stepId: string): void {
    const compensation = saga.compensation as SagaCompensation;
    const approval = { id: `ap-${randomUUID()}`, state: 'PENDING' as const, by: null, at: null, stepId };
    compensation.approval = approval;
    ctx.uow.putSaga(saga);
    this.recordApproval(ctx, saga, approval.id, compensation.cancelRequestId, subject, stepId);
  }

  private recordApproval(ctx: Ctx, saga: SagaRow, approvalId: string, cancelRequestId: string, subject: string, stepId?: string): void {
    ctx.uow.write(
      `INSERT INTO approval (id, product_order_id, saga_id, cancel_request_id, subject, state, created_at)
       VALUES ($1, $2, $3, $4, $5, 'PENDING', $6)`,
      [approvalId, ctx.order.id, saga.id, cancelRequestId, subject, ctx.uow.at]);
    this.engine.emitFact(ctx, 'CancellationApprovalRequested', {
      approvalId, cancelRequestId, rule: saga.compensation?.rule ?? null, stepId: stepId ?? null,
    }, saga);
  }

  /**
   * Sends a step's compensating command (again, on a retry: same idempotency key). @internal
   * Also for an amendment undoing the earlier attempt of a step it replans (the saga goes on).
   */
  send(ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep): void {
    const { engine } = this;
    const { uow } = ctx;
    if (planStep.compensation.kind !== 'compensate') return;
    step.compensations += 1;
    if (step.state !== 'COMPENSATING') engine.setStepState(ctx, saga, step, 'COMPENSATING', { action: planStep.compensation.action, attempt: step.compensations });
    else uow.putStep(step);
    const reservation = uow.reservationsOf(saga.id).find((r) => r.stepId === step.stepId);
    const item = uow.item(ctx.order.id, saga.productOrderItemId);
    const payload: StepCommandPayload = {
      stepId: step.stepId, kind: step.kind, ref: planStep.ref, attempt: step.compensations, delivery: step.compensations - 1, evidence: [],
      characteristics: item?.characteristics ?? {},
      answers: { succeeded: STEP_COMPENSATED, failed: STEP_COMPENSATION_FAILED },
      action: planStep.compensation.action,
      of: { command: planStep.command, idempotencyKey: step.idempotencyKey, externalRef: step.externalRef, resourceId: reservation?.resourceId ?? null },
    };
    uow.emit(engine.envelope(ctx.order, {
      kind: 'command', type: COMPENSATE_STEP, destination: planStep.owner, orderingKey: saga.id, sagaId: saga.id, stepId: step.stepId,
      productOrderItemId: saga.productOrderItemId, idempotencyKey: compensationKey(saga, step), payload,
    }, ctx.cause));
    uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'step_timeout', attempt: -step.compensations, dueAt: later(uow.now, planStep.timeout.ms) });
  }

  /** A component's answer to a compensation; false when the message is not one. */
  onReply(ctx: Ctx, saga: SagaRow, step: SagaStepRow, message: Envelope): boolean {
    if (message.type !== STEP_COMPENSATED && message.type !== STEP_COMPENSATION_FAILED) return false;
    const { engine } = this;
    const { uow } = ctx;
    if (message.idempotencyKey !== compensationKey(saga, step) || step.state !== 'COMPENSATING') {
      engine.refuse(ctx, message, `step ${step.stepId} is ${step.state}, not compensating under ${message.idempotencyKey}`);
      return true;
    }
    const planStep = engine.planStep(ctx, saga, step.stepId);
    const reply = message.payload as StepReplyPayload;
    uow.clearTimers(saga.id, step.stepId);
    if (message.type === STEP_COMPENSATED) {
      engine.setStepState(ctx, saga, step, 'COMPENSATED', { action: planStep.compensation.kind === 'compensate' ? planStep.compensation.action : null });
      const action = planStep.compensation.kind === 'compensate' ? planStep.compensation.action : '';
      for (const r of uow.reservationsOf(saga.id).filter((res) => res.stepId === step.stepId)) {
        engine.walkReservation(ctx, r, 'RELEASE_PENDING');
        engine.walkReservation(ctx, r, action === 'quarantine' ? 'QUARANTINED' : 'AVAILABLE');
      }
      engine.emitFact(ctx, 'StepCompensated', { stepId: step.stepId, action, externalRef: reply.externalRef ?? null }, saga);
      if (saga.state !== 'COMPENSATING' && engine.amendments.replanning(saga)) engine.amendments.next(ctx, saga);
      else this.next(ctx, saga);
      return true;
    }
    this.failed(ctx, saga, step, planStep, reply.outcome ?? 'rejected', reply.reason ?? null);
    return true;
  }

  /** A compensation that failed (or timed out): retried by the step's policy, then a fallout case. */
  private failed(ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, outcome: string, reason: string | null): void {
    const { engine } = this;
    const { uow } = ctx;
    uow.clearTimers(saga.id, step.stepId);
    if (step.compensations <= planStep.retry.maxRetries) {
      uow.recordState(ctx.order, ctx.cause, 'CompensationRetryScheduled', { sagaId: saga.id, stepId: step.stepId }, { outcome, reason, attempt: step.compensations });
      uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'retry', attempt: -step.compensations, dueAt: later(uow.now, backoffMs(planStep.retry, step.compensations)) });
      return;
    }
    step.outcome = 'compensation_failed';
    engine.setStepState(ctx, saga, step, 'FAILED', { outcome: 'compensation_failed', reason });
    saga.heldStepId = step.stepId;
    engine.setSagaState(ctx, saga, 'HELD');
    const fallout = engine.raiseFallout(ctx, saga, step, planStep, 'compensation_failed', reason, 'provider', planStep.owner,
      `undo ${step.stepId} by hand at ${planStep.owner} (${planStep.compensation.kind === 'compensate' ? planStep.compensation.action : 'no action'}), then resume: the compensation is sent again`);
    fallout.resumeCommand = { ...fallout.resumeCommand, type: 'ResumeCompensation' };
    uow.putFallout(fallout);
    engine.emitFact(ctx, 'CompensationFalloutRaised', { stepId: step.stepId, falloutCaseId: fallout.id, outcome, reason }, saga);
    engine.recomputeOrder(ctx);
  }

  /** A timer of a compensating saga; false when it is not one of a compensation (`attempt` < 0). */
  onTimer(ctx: Ctx, saga: SagaRow, step: SagaStepRow, kind: 'step_timeout' | 'retry', attempt: number): boolean {
    if (attempt >= 0) return false;
    const undoing = saga.state === 'COMPENSATING' || this.engine.amendments.replanning(saga);
    if (!undoing || step.state !== 'COMPENSATING' || attempt !== -step.compensations) return true;
    const planStep = this.engine.planStep(ctx, saga, step.stepId);
    if (kind === 'retry') this.send(ctx, saga, step, planStep);
    else this.failed(ctx, saga, step, planStep, 'timeout', `no answer to the compensation within ${planStep.timeout.ms} ms`);
    return true;
  }

  /** Resumes a compensation whose fallout case was repaired: the compensation is sent again. */
  resumeCompensation(ctx: Ctx, saga: SagaRow, step: SagaStepRow): void {
    const planStep = this.engine.planStep(ctx, saga, step.stepId);
    saga.heldStepId = null;
    // An amendment's undo goes on with the saga running; a cancellation's with the saga compensating.
    this.engine.setSagaState(ctx, saga, saga.compensation === null && this.engine.amendments.replanning(saga) ? 'STARTED' : 'COMPENSATING');
    // One more send (its count goes on: a failure now raises fallout again at once).
    this.send(ctx, saga, step, planStep);
  }

  // --- approvals ----------------------------------------------------------------------------
  async decide(approvalId: string, decision: { by: string; note?: string; approve: boolean }): Promise<ApproveResult> {
    if (typeof approvalId !== 'string' || approvalId.trim() === '') return { ok: false, code: 'invalid', field: 'approval', problem: 'approval: an approval id is required' };
    if (typeof decision.by !== 'string' || decision.by.trim() === '') return { ok: false, code: 'invalid', field: 'by', problem: 'by: who decides must be named' };
    for (const [field, value] of [['approval', approvalId], ['by', decision.by], ['note', decision.note]] as const) {
      const bad = typeof value === 'string' ? unstorable(value) : null;
      if (bad) return { ok: false, code: 'invalid', field, problem: `${field}: ${bad}` };
    }
    const engine = this.engine;
    return engine.work(async (tx, uow): Promise<ApproveResult> => {
      const [row] = await tx.query<Record<string, unknown>>('SELECT * FROM approval WHERE id = $1', [approvalId]);
      if (!row) return { ok: false, code: 'not-found', field: 'approval', problem: `approval: no approval ${approvalId}` };
      await uow.load(tx, [String(row.product_order_id)], engine.registry, false, engine.cache);
      const [current] = await tx.query<Record<string, unknown>>('SELECT * FROM approval WHERE id = $1', [approvalId]);
      const view = approvalView(current ?? row);
      if (view.state !== 'PENDING') {
        return { ok: false, code: 'decided', field: 'approval', problem: `approval: ${approvalId} is already ${view.state} (by ${view.decidedBy} at ${view.decidedAt})` };
      }
      const order = uow.orders.get(view.productOrderId) as ProductOrderRow;
      const saga = uow.sagas.get(view.sagaId) as SagaRow;
      const ctx: Ctx = { uow, order, cause: approvalId };
      const state = decision.approve ? 'APPROVED' : 'REFUSED';
      const compensation = saga.compensation as SagaCompensation;
      const stepId = compensation.approval?.stepId;
      const decided = { id: approvalId, state, by: decision.by, at: uow.at } as const;
      // The sagas the approval gates: the one asking, and those of the same request waiting with it.
      const gated = stepId ? [saga] : uow.sagasOf(order.id).filter((s) => s.compensation?.approval?.id === approvalId);
      for (const s of gated) {
        (s.compensation as SagaCompensation).approval = { ...decided, ...(stepId ? { stepId } : {}) };
        uow.putSaga(s);
      }
      uow.write('UPDATE approval SET state = $2, decided_by = $3, decided_at = $4, note = $5 WHERE id = $1',
        [approvalId, state, decision.by, uow.at, decision.note ?? null]);
      uow.recordState(order, approvalId, decision.approve ? 'CompensationApproved' : 'CompensationRefused', { sagaId: saga.id },
        { approvalId, by: decision.by, note: decision.note ?? null, cancelRequestId: compensation.cancelRequestId });
      if (stepId) {
        // A step's own approval, mid-compensation: approved, it is undone; refused, it is left as
        // it is (reported) and the compensation goes on with the others.
        if (!decision.approve) {
          compensation.refusedSteps = [...(compensation.refusedSteps ?? []), stepId];
          engine.emitFact(ctx, 'StepNotCompensated', { stepId, reason: `compensation refused by ${decision.by}`, note: decision.note ?? null }, saga);
        }
        this.next(ctx, saga);
      } else if (decision.approve) {
        this.approved(ctx, gated, compensation.cancelRequestId);
      } else {
        // Refused: every saga of the request goes on where it was; the request ends with why.
        const items = gated.map((s) => s.productOrderItemId);
        const message = `the compensation of item ${saga.productOrderItemId} was refused by ${decision.by}${decision.note ? `: ${decision.note}` : ''}`
          + (gated.length > 1 ? `; items ${items.join(', ')} go on` : '');
        for (const s of gated.filter((g) => g.state === 'COMPENSATING')) {
          s.compensation = null;
          engine.setSagaState(ctx, s, s.heldStepId ? 'HELD' : 'STARTED');
          engine.advance(ctx, s);
          // An amendment that waited for the decision goes on.
          engine.amendments.next(ctx, s);
        }
        this.endWithError(ctx, compensation.cancelRequestId, message);
        engine.recomputeOrder(ctx);
      }
      await engine.flush(tx, uow);
      return { ok: true, approval: { ...view, state, decidedBy: decision.by, decidedAt: uow.at, note: decision.note ?? null } };
    });
  }

  /**
   * An approval given: each saga it gated is stopped or undone as its rule said. A saga waiting
   * under a `stop` rule that had a side effect meanwhile is undone instead; a saga that ended
   * meanwhile (the plan failed it) has nothing left to cancel, and the request says so.
   */
  private approved(ctx: Ctx, gated: SagaRow[], requestId: string): void {
    const { engine } = this;
    const ended = gated.filter((s) => s.state !== 'COMPENSATING' && s.state !== 'HELD');
    for (const saga of gated.filter((s) => !ended.includes(s))) {
      const c = saga.compensation as SagaCompensation;
      // A failure while the decision was awaited may have held the saga: the cancellation takes it over.
      if (saga.state === 'HELD') engine.setSagaState(ctx, saga, 'COMPENSATING');
      const plan = engine.planOf(ctx, saga);
      const effects = plan.steps.some((s) => needsCompensation(s, ctx.uow.step(saga.id, s.id) as SagaStepRow));
      const action = c.action === 'stop' && effects ? 'compensate' : c.action;
      this.apply(ctx, saga, { rule: c.rule, action, irreversible: [] }, requestId, c.scope ?? null, c.approval);
    }
    if (ended.length > 0) {
      const left = gated.filter((s) => !ended.includes(s)).map((s) => s.productOrderItemId);
      const message = ended.map((s) => `item ${s.productOrderItemId} is ${s.state.toLowerCase()}`).join(', ') + ': there is nothing left to cancel'
        + (left.length > 0 ? `; items ${left.join(', ')} are being cancelled` : '');
      this.endWithError(ctx, requestId, message);
    }
    engine.recomputeOrder(ctx);
  }

  /** Once an item or the order is cancelled: the requests for it are done, announced once each. */
  requestsDone(ctx: Ctx, itemId: string | null): void {
    ctx.uow.write(
      `UPDATE cancel_request SET state = 'done', updated_at = $3
        WHERE product_order_id = $1 AND state = 'inProgress' AND product_order_item_id IS NOT DISTINCT FROM $2`,
      [ctx.order.id, itemId, ctx.uow.at]);
    const announced = this.announced.get(ctx.uow) ?? new Set<string>();
    this.announced.set(ctx.uow, announced);
    for (const saga of ctx.uow.sagasOf(ctx.order.id)) {
      const c = saga.compensation;
      if (!c || (c.scope ?? null) !== itemId || announced.has(c.cancelRequestId)) continue;
      announced.add(c.cancelRequestId);
      this.announce(ctx, c.cancelRequestId, 'inProgress', 'done');
    }
  }

  /** A cancel request's change of state: in the order's audit trail, and as the public TMF event. */
  private announce(ctx: Ctx, requestId: string, from: CancelRequestState, to: CancelRequestState, message?: string): void {
    ctx.uow.recordState(ctx.order, ctx.cause, 'CancelRequestStateChanged', {}, { cancelRequestId: requestId, from, to, ...(message !== undefined ? { message } : {}) });
    this.engine.emitFact(ctx, 'CancelProductOrderStateChangeEvent', { cancelRequestId: requestId, state: to, ...(message !== undefined ? { message } : {}) });
  }

  /** A request in progress ends refused (an approval refused, the saga ended meanwhile), with why. */
  private endWithError(ctx: Ctx, requestId: string, message: string): void {
    ctx.uow.write(`UPDATE cancel_request SET state = 'terminatedWithError', message = $2, updated_at = $3 WHERE id = $1 AND state = 'inProgress'`,
      [requestId, message, ctx.uow.at]);
    this.announce(ctx, requestId, 'inProgress', 'terminatedWithError', message);
  }

  /** Requests announced done in a unit of work (an order's items and the order may all end in one). */
  private readonly announced = new WeakMap<UnitOfWork, Set<string>>();
}

// --- reading --------------------------------------------------------------------------------
export async function cancelRequests(db: Queryable, productOrderId?: string): Promise<CancelRequestView[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM cancel_request ${productOrderId ? 'WHERE product_order_id = $1' : ''} ORDER BY created_at, id`, productOrderId ? [productOrderId] : []);
  return rows.map(requestView);
}

export async function cancelRequest(db: Queryable, id: string): Promise<CancelRequestView | null> {
  const [row] = await db.query<Record<string, unknown>>('SELECT * FROM cancel_request WHERE id = $1', [id]);
  return row ? requestView(row) : null;
}

export async function approvals(db: Queryable, state?: ApprovalView['state']): Promise<ApprovalView[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM approval ${state ? 'WHERE state = $1' : ''} ORDER BY created_at, id`, state ? [state] : []);
  return rows.map(approvalView);
}

// --- the rules ------------------------------------------------------------------------------
/**
 * The plan's cancel rule for the phase a saga is in: among the `after X` rules whose step has
 * started, the one of the latest step; else among the `before X` rules whose step has not
 * started, the one of the earliest; else the default: stop when no side-effecting step has run,
 * compensate otherwise. A completed saga is never undone: the cancel is refused (the plan's
 * `reject` text when it has one).
 */
export function decide(plan: CompiledSinglePlan, saga: SagaRow, steps: SagaStepRow[]): CancelDecision {
  const state = new Map(steps.map((s) => [s.stepId, s]));
  const started = (id: string) => { const s = state.get(id); return s !== undefined && s.state !== 'NOT_STARTED' && s.state !== 'SKIPPED'; };
  const position = new Map(plan.steps.map((s, i) => [s.id, i]));
  const applying = plan.cancellation.filter((r) => (r.phase === 'after' ? started(r.step) : !started(r.step)));
  const after = applying.filter((r) => r.phase === 'after').sort((a, b) => (position.get(b.step) ?? 0) - (position.get(a.step) ?? 0))[0];
  const before = applying.filter((r) => r.phase === 'before').sort((a, b) => (position.get(a.step) ?? 0) - (position.get(b.step) ?? 0))[0];
  const rule: CancellationRule | undefined = after ?? before;
  const irreversible = plan.steps.filter((s) => s.compensation.kind === 'irreversible' && started(s.id)).map((s) => s.id);
  const base = { sagaId: saga.id, itemId: saga.productOrderItemId, irreversible };
  if (saga.state === 'COMPLETED') {
    const reject = rule?.action === 'reject' ? rule : plan.cancellation.find((r) => r.action === 'reject');
    return {
      ...base, rule: reject ? `${reject.phase} ${reject.step}` : 'default', action: 'reject', requiresApproval: false,
      message: reject?.message ?? `item ${saga.productOrderItemId} is completed: the service is active, place a cease order instead`,
    };
  }
  if (saga.state === 'FAILED' || saga.state === 'COMPENSATED' || saga.state === 'COMPENSATING') {
    return { ...base, rule: 'default', action: 'reject', requiresApproval: false, message: `item ${saga.productOrderItemId} is ${saga.state === 'FAILED' ? 'failed' : 'already being cancelled'}: nothing to cancel` };
  }
  if (rule) {
    return {
      ...base, rule: `${rule.phase} ${rule.step}`, action: rule.action, requiresApproval: rule.requiresApproval,
      message: rule.action === 'reject' ? rule.message ?? `cancellation is refused once ${rule.step} has started` : null,
    };
  }
  const sideEffects = plan.steps.some((s) => s.sideEffecting && started(s.id));
  return { ...base, rule: 'default', action: sideEffects ? 'compensate' : 'stop', requiresApproval: false, message: null };
}

/**
 * Whether a step's effect must be undone: it succeeded (or timed out with its effect unknown) and
 * declares a compensation; or its undo fell out (an amendment's, taken over by a cancellation).
 */
export function needsCompensation(planStep: CompiledStep, row: SagaStepRow): boolean {
  if (planStep.compensation.kind !== 'compensate') return false;
  return row.state === 'SUCCEEDED' || (row.state === 'FAILED' && row.outcome === 'timeout' && planStep.sideEffecting)
    || (row.state === 'FAILED' && row.outcome === 'compensation_failed');
}

function descendants<T extends { id: string; parentItemId: string | null }>(items: T[], id: string): T[] {
  const out = items.filter((i) => i.id === id);
  for (let n = 0; n < out.length; n++) {
    const parent = (out[n] as T).id;
    out.push(...items.filter((i) => i.parentItemId === parent));
  }
  return out;
}

function validate(input: CancelInput): CancelResult | null {
  const text = (value: unknown, field: string, required: boolean): CancelResult | null => {
    const wrong = requestTextProblem(value, field, required);
    return wrong ? { ok: false, code: 'invalid', ...wrong } : null;
  };
  return text(input?.productOrderId, 'productOrderId', true) ?? text(input.itemId, 'item', false) ?? text(input.reason, 'reason', false)
    ?? text(input.requestedBy, 'requestedBy', false) ?? text(input.id, 'id', false);
}

async function earlierRequest(tx: Queryable, orderId: string, input: CancelInput): Promise<CancelRequestView | null> {
  if (input.id !== undefined) {
    const [row] = await tx.query<Record<string, unknown>>('SELECT * FROM cancel_request WHERE id = $1', [input.id]);
    return row ? requestView(row) : null;
  }
  // Without an id: a request for the same order and item that was not refused is the same request.
  const [row] = await tx.query<Record<string, unknown>>(
    `SELECT * FROM cancel_request WHERE product_order_id = $1 AND product_order_item_id IS NOT DISTINCT FROM $2
        AND state <> 'terminatedWithError' ORDER BY created_at LIMIT 1`, [orderId, input.itemId ?? null]);
  return row ? requestView(row) : null;
}

function insertRequest(uow: UnitOfWork, r: CancelRequestView): void {
  uow.write(
    `INSERT INTO cancel_request (id, product_order_id, product_order_item_id, reason, requested_by, state, message, decisions, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9)`,
    [r.id, r.productOrderId, r.itemId, r.reason, r.requestedBy, r.state, r.message, JSON.stringify(r.decisions), r.createdAt]);
}

function requestView(row: Record<string, unknown>): CancelRequestView {
  return {
    id: String(row.id), productOrderId: String(row.product_order_id), itemId: (row.product_order_item_id as string | null) ?? null,
    reason: (row.reason as string | null) ?? null, requestedBy: (row.requested_by as string | null) ?? null,
    state: row.state as CancelRequestState, message: (row.message as string | null) ?? null,
    decisions: (parseJson(row.decisions) ?? []) as CancelDecision[],
    createdAt: iso(row.created_at) as string, updatedAt: iso(row.updated_at) as string,
  };
}

function approvalView(row: Record<string, unknown>): ApprovalView {
  return {
    id: String(row.id), productOrderId: String(row.product_order_id), sagaId: String(row.saga_id), cancelRequestId: String(row.cancel_request_id),
    subject: String(row.subject), state: row.state as ApprovalView['state'], decidedBy: (row.decided_by as string | null) ?? null,
    decidedAt: iso(row.decided_at), note: (row.note as string | null) ?? null, createdAt: iso(row.created_at) as string,
  };
}

