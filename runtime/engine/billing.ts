// Billing triggers (§17): the plan's billing policy says when billing readiness may be confirmed:
// on acceptance, on activation, on the customer's acceptance (a signal from the channel), on first
// usage (a signal from charging), or on a scheduled date (an item characteristic; a timer in the
// database). The billing step never starts before its trigger. With `blocks completion` the saga
// waits for it; otherwise (revenue assurance) the steps after it and the saga's completion do not
// wait: the order is technically complete and billing follows its trigger. Billing readiness that
// fails there (§28) leaves the service active: the order stays technically complete and
// commercially pending, a revenue-assurance alert is raised, readiness is retried by the step's
// retry policy (database timers), then by reconciliation (`product-active-billing-missing`) until
// billing confirms it.
// A bundle's own billing policy (`billing ...` in the bundle) is the policy of every item under it:
// its trigger and whether it blocks completion replace those of the items' own plans (policyOf);
// a bundle without one leaves each item to its plan's.
import type { BillingPolicy, CompiledSinglePlan, CompiledStep } from '../../compiler/emit/schema.js';
import { backoffMs, later, type Ctx, type Engine } from './engine.js';
import type { SagaRow, SagaStepRow } from './unit-of-work.js';
import { unstorable } from '../store/text.js';

export const SIGNALS = ['customer-accepted', 'first-usage'] as const;
export type Signal = (typeof SIGNALS)[number];

/** The signal a trigger waits for, if it waits for one. */
const SIGNAL_OF: Partial<Record<string, Signal>> = { customer_acceptance: 'customer-accepted', first_usage: 'first-usage' };

export interface SignalInput { productOrderId: string; itemId?: string; signal: string }
export type SignalResult =
  | { ok: true; sagas: { sagaId: string; itemId: string; duplicate: boolean; billingStarted: boolean }[] }
  | { ok: false; code: 'invalid' | 'not-found'; field: string; problem: string };

export class Billing {
  constructor(private readonly engine: Engine) {}

  /**
   * The billing policy a saga follows: that of the nearest bundle above its item that has one,
   * else its own plan's.
   */
  policyOf(ctx: Ctx, saga: SagaRow): BillingPolicy | null {
    const { uow } = ctx;
    const seen = new Set<string>();
    let item = uow.item(saga.productOrderId, saga.productOrderItemId);
    while (item?.parentItemId && !seen.has(item.parentItemId)) {
      seen.add(item.parentItemId);
      item = uow.item(saga.productOrderId, item.parentItemId);
      const plan = item?.planHash ? uow.plans.get(item.planHash) : undefined;
      if (plan?.kind === 'bundle' && plan.billing) return plan.billing;
    }
    return this.engine.planOf(ctx, saga).billing;
  }

  /** Whether the billing trigger has occurred for this saga; when not, the saga waits for it (recorded once). */
  triggered(ctx: Ctx, saga: SagaRow, plan: CompiledSinglePlan, step: SagaStepRow): boolean {
    const billing = this.policyOf(ctx, saga);
    if (!billing || billing.trigger === 'acceptance') return true;
    const { uow } = ctx;
    if (billing.trigger === 'activation') {
      return plan.steps.filter((s) => s.kind === 'activation').every((s) => ['SUCCEEDED', 'SKIPPED'].includes(uow.step(saga.id, s.id)?.state ?? ''));
    }
    const signal = SIGNAL_OF[billing.trigger];
    if (signal) {
      if (saga.signals?.[signal]) return true;
      this.waiting(ctx, saga, step, `${billing.trigger.replace('_', ' ')}: o2a signal ${ctx.order.id} ${signal}`);
      return false;
    }
    // scheduled_date: the date an item characteristic holds.
    const item = uow.item(ctx.order.id, saga.productOrderItemId);
    const raw = billing.scheduledFrom ? item?.characteristics[billing.scheduledFrom] : undefined;
    const due = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw) : null;
    if (!due || Number.isNaN(due.getTime())) {
      this.waiting(ctx, saga, step, `scheduled date: item characteristic ${billing.scheduledFrom} holds no date (${JSON.stringify(raw ?? null)})`, true);
      return false;
    }
    if (due.getTime() <= uow.now.getTime()) return true;
    uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'billing', attempt: 0, dueAt: due.toISOString() });
    this.waiting(ctx, saga, step, `scheduled date ${due.toISOString()} (item characteristic ${billing.scheduledFrom})`);
    return false;
  }

  /**
   * The saga waits for its billing trigger: said once (audit entry, public fact). A trigger that
   * can never come (no date to wait for) raises a fallout case instead: repair the date, resume.
   */
  private waiting(ctx: Ctx, saga: SagaRow, step: SagaStepRow, what: string, broken = false): void {
    const marker = broken ? 'billing-trigger-invalid' : 'awaiting-trigger';
    if (step.outcome === marker) return;
    step.outcome = marker;
    ctx.uow.putStep(step);
    ctx.uow.recordState(ctx.order, ctx.cause, 'BillingAwaitingTrigger', { sagaId: saga.id, stepId: step.stepId }, { trigger: what });
    this.engine.emitFact(ctx, 'BillingAwaitingTrigger', { stepId: step.stepId, trigger: what }, saga);
    if (!broken) return;
    const planStep = this.engine.planStep(ctx, saga, step.stepId);
    if (saga.state === 'STARTED') {
      saga.heldStepId = step.stepId;
      this.engine.setSagaState(ctx, saga, 'HELD');
    }
    const fallout = this.engine.raiseFallout(ctx, saga, step, planStep, 'billing_trigger_invalid', what, 'provider', planStep.owner,
      'set the billing date on the order item, then resume: billing readiness is confirmed on resume');
    this.engine.emitFact(ctx, 'ServiceOrderFalloutRaised', { stepId: step.stepId, outcome: 'billing_trigger_invalid', falloutCaseId: fallout.id }, saga);
    this.engine.recomputeOrder(ctx);
  }

  /**
   * Starts the billing step of a saga whose trigger has just occurred (a signal, the scheduled
   * date): in a running saga by advancing it; in a completed one (revenue assurance: it did not
   * wait) directly. Returns whether it started.
   */
  onTrigger(ctx: Ctx, saga: SagaRow): boolean {
    const plan = this.engine.planOf(ctx, saga);
    const planStep = plan.steps.find((s) => s.kind === 'billing_trigger');
    const step = planStep ? ctx.uow.step(saga.id, planStep.id) : undefined;
    if (!planStep || !step || step.state !== 'NOT_STARTED') return false;
    if (saga.state === 'STARTED') {
      this.engine.advance(ctx, saga);
      return (ctx.uow.step(saga.id, planStep.id) as SagaStepRow).state !== 'NOT_STARTED';
    }
    if (saga.state !== 'COMPLETED' || !this.dependenciesDone(ctx, saga, planStep) || !this.triggered(ctx, saga, plan, step)) return false;
    this.engine.startStep(ctx, saga, step, 'first');
    return true;
  }

  /**
   * Billing readiness failed where it does not block completion (revenue assurance, §28): nothing
   * is undone, nothing waits. Retried by the step's retry policy (a `retry` timer in the database;
   * the step WAITING meanwhile), then left FAILED for reconciliation to try again. The alert is
   * raised when the gap opens and when the retries are spent (not for each retry in between).
   */
  readinessFailed(ctx: Ctx, saga: SagaRow, step: SagaStepRow, planStep: CompiledStep, outcome: string, reason: string | null): void {
    const { uow } = ctx;
    const retrying = step.attempt <= planStep.retry.maxRetries;
    if (retrying) {
      const delayMs = backoffMs(planStep.retry, step.attempt);
      this.engine.setStepState(ctx, saga, step, 'WAITING', { outcome, reason, retryInMs: delayMs });
      uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: 'retry', attempt: step.attempt, dueAt: later(uow.now, delayMs) });
    } else {
      this.engine.setStepState(ctx, saga, step, 'FAILED', { outcome, reason });
    }
    const opened = step.attempt === 1 && step.resumes === 0;
    const spent = step.attempt === planStep.retry.maxRetries + 1;
    if (opened || spent) {
      this.engine.emitFact(ctx, 'RevenueAssuranceAlertRaised', {
        stepId: step.stepId, outcome, reason, attempt: step.attempt,
        next: retrying ? 'retry' : 'reconciliation',
      }, saga);
    }
    this.engine.advance(ctx, saga);
  }

  private dependenciesDone(ctx: Ctx, saga: SagaRow, planStep: CompiledStep): boolean {
    return planStep.dependsOn.every((id) => ['SUCCEEDED', 'SKIPPED'].includes(ctx.uow.step(saga.id, id)?.state ?? ''));
  }

  /** A signal from outside for an order (or one item and its children). */
  async signal(input: SignalInput): Promise<SignalResult> {
    if (typeof input?.productOrderId !== 'string' || input.productOrderId.trim() === '') {
      return { ok: false, code: 'invalid', field: 'productOrderId', problem: 'productOrderId: a product order id is required' };
    }
    for (const [field, value] of [['productOrderId', input.productOrderId], ['item', input.itemId]] as const) {
      const bad = typeof value === 'string' ? unstorable(value) : null;
      if (bad) return { ok: false, code: 'invalid', field, problem: `${field}: ${bad}` };
    }
    if (!(SIGNALS as readonly string[]).includes(input.signal)) {
      return { ok: false, code: 'invalid', field: 'signal', problem: `signal: unknown signal ${JSON.stringify(input.signal)}; expected one of ${SIGNALS.join(', ')}` };
    }
    const signal = input.signal as Signal;
    const engine = this.engine;
    return engine.work(async (tx, uow): Promise<SignalResult> => {
      const found = await engine.lockOrder(tx, uow, input.productOrderId, input.itemId);
      if (!found.ok) return found;
      const { order, items } = found;
      const inScope = new Set(input.itemId === undefined ? items.map((i) => i.id) : [input.itemId]);
      for (const item of items) if (item.parentItemId !== null && inScope.has(item.parentItemId)) inScope.add(item.id);
      const ctx: Ctx = { uow, order, cause: null };
      const sagas = uow.sagasOf(order.id).filter((s) => inScope.has(s.productOrderItemId));
      const out = sagas.map((saga) => {
        const duplicate = saga.signals?.[signal] !== undefined;
        if (!duplicate) {
          saga.signals = { ...(saga.signals ?? {}), [signal]: uow.at };
          uow.putSaga(saga);
          uow.recordState(order, null, 'SignalReceived', { sagaId: saga.id }, { signal });
        }
        const billingStarted = !duplicate && this.onTrigger(ctx, saga);
        return { sagaId: saga.id, itemId: saga.productOrderItemId, duplicate, billingStarted };
      });
      engine.recomputeOrder(ctx);
      await engine.flush(tx, uow);
      return { ok: true, sagas: out };
    });
  }
}
