// Billing triggers (§17) and gating (§28), on every store: billing readiness is never confirmed
// before the plan's trigger; with `blocks completion` the order waits for it, otherwise the order
// is technically complete and billing follows when its trigger comes; billing readiness that fails
// there is retried, then reconciled, until confirmed: commercially pending meanwhile (§28).
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { BillingPolicy, CompiledPlan } from '../../compiler/emit/schema.js';
import type { ManualClock } from '../../runtime/clock.js';
import { renderReadModel } from '../../runtime/cli-commands.js';
import { projectOrder, type OrderReadModel } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

/** A sample plan with another billing policy (its hash recomputed: a valid compiled plan). */
function withBilling(planId: string, billing: BillingPolicy): CompiledPlan {
  const sample = plans.find((p) => p.planId === planId);
  if (!sample || sample.kind !== 'plan') throw new Error(`no ${planId}`);
  const { hash: _hash, ...rest } = { ...sample, planVersion: sample.planVersion + 1, billing };
  return { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
}

const ottOrder = (id: string) => ({ id, productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] });
const enterpriseOrder = (id: string, contractStartDate?: string) => ({
  id, productOrderItem: [{
    id: '1', action: 'add', productOffering: { id: 'ENTERPRISE_FIBER' },
    product: { productCharacteristic: contractStartDate ? [{ name: 'contractStartDate', value: contractStartDate }] : [] },
  }],
});

describe.each(stores)('billing triggers on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  let clock: ManualClock;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<Runtime> {
    ({ runtime, store, clock } = await newRuntime(storeUnderTest, { plans }));
    return runtime;
  }
  const orderState = async (id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;
  const billed = async (id: string) => store.query<{ applied: boolean; recorded_at: unknown }>(
    `SELECT applied, recorded_at FROM component_ledger WHERE owner = 'billing' AND product_order_id = $1 AND command_type <> 'CompensateStep'`, [id]);

  it('first usage, revenue assurance: technically complete at once, billed when charging reports the first usage', async () => {
    const rt = await start();
    await rt.submitOrder(ottOrder('po-b1'));
    await rt.settle();
    expect(await orderState('po-b1')).toBe('completed');
    expect(await stepStates(store, 'po-b1')).toMatchObject({ inventory: 'SUCCEEDED', billing: 'NOT_STARTED', notify: 'SUCCEEDED' });
    expect(await billed('po-b1')).toEqual([]);
    expect((await store.query(`SELECT 1 FROM audit_trail WHERE product_order_id = 'po-b1' AND type = 'BillingAwaitingTrigger' AND direction = 'state'`)).length).toBe(1);
    // Technically complete, commercially pending until the first usage.
    expect(await projectOrder(store, rt.registry, 'po-b1')).toMatchObject({ commercialState: 'pending', items: [{ billingReadiness: 'awaiting-trigger' }] });
    const signal = await rt.engine.signal({ productOrderId: 'po-b1', signal: 'first-usage' });
    expect(signal).toMatchObject({ ok: true, sagas: [{ itemId: '1', duplicate: false, billingStarted: true }] });
    await rt.settle();
    expect((await stepStates(store, 'po-b1')).billing).toBe('SUCCEEDED');
    expect(await billed('po-b1')).toEqual([expect.objectContaining({ applied: true })]);
    expect(await orderState('po-b1')).toBe('completed');
    // The same signal again: nothing more.
    expect(await rt.engine.signal({ productOrderId: 'po-b1', signal: 'first-usage' })).toMatchObject({ ok: true, sagas: [{ duplicate: true, billingStarted: false }] });
    await rt.settle();
    expect(await billed('po-b1')).toHaveLength(1);
    expect(await projectOrder(store, rt.registry, 'po-b1')).toMatchObject({ commercialState: 'complete', items: [{ billingReadiness: 'confirmed' }] });
    await expectCustomerFacingClean(store, 'po-b1');
  });

  it('customer acceptance, blocking: the order waits for the customer; billed and completed after the signal', async () => {
    const rt = await start();
    const plan = withBilling('HomeFiber1G', { trigger: 'customer_acceptance', scheduledFrom: null, blocksCompletion: true });
    await rt.submitOrder(homeFiberOrder('po-b2'), { plans: [plan] });
    await rt.settle();
    expect(await stepStates(store, 'po-b2')).toMatchObject({ inventory: 'SUCCEEDED', billing: 'NOT_STARTED', notify: 'NOT_STARTED' });
    expect(await orderState('po-b2')).toBe('inProgress');
    expect(await billed('po-b2')).toEqual([]);
    expect(await rt.engine.signal({ productOrderId: 'po-b2', signal: 'customer-accepted' })).toMatchObject({ ok: true });
    await rt.settle();
    expect(await stepStates(store, 'po-b2')).toMatchObject({ billing: 'SUCCEEDED', notify: 'SUCCEEDED' });
    expect(await orderState('po-b2')).toBe('completed');
    await expectCustomerFacingClean(store, 'po-b2');
  });

  it('scheduled date: billing waits for the contract start date (a timer in the database)', async () => {
    const rt = await start();
    const startDate = new Date(clock.now().getTime() + 30 * 24 * 3600_000).toISOString();
    await rt.submitOrder(enterpriseOrder('po-b3', startDate));
    await rt.runUntilIdle();
    // Everything before billing is instant; the clock has not moved: billing waits for the date.
    expect(await stepStates(store, 'po-b3')).toMatchObject({ inventory: 'SUCCEEDED', billing: 'NOT_STARTED' });
    expect(await store.query(`SELECT kind FROM timer WHERE kind = 'billing'`)).toEqual([{ kind: 'billing' }]);
    await rt.settle(60 * 24 * 3600_000);
    expect(await orderState('po-b3')).toBe('completed');
    const [entry] = await billed('po-b3');
    expect(new Date(String(entry?.recorded_at instanceof Date ? entry.recorded_at.toISOString() : entry?.recorded_at)).getTime()).toBeGreaterThanOrEqual(Date.parse(startDate));
    await expectCustomerFacingClean(store, 'po-b3');
  });

  it('scheduled date missing on the item: a fallout case names it; resumed, billing is confirmed', async () => {
    const rt = await start();
    await rt.submitOrder(enterpriseOrder('po-b4'));
    await rt.settle();
    expect(await orderState('po-b4')).toBe('held');
    const [fallout] = await store.query<{ id: string; failed_step_id: string; failure_reason: string }>(
      `SELECT id, failed_step_id, failure_reason FROM fallout_case WHERE state = 'OPEN'`);
    expect(fallout).toMatchObject({ failed_step_id: 'billing', failure_reason: expect.stringMatching(/contractStartDate/) });
    expect(await billed('po-b4')).toEqual([]);
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-b4')).toBe('completed');
    await expectCustomerFacingClean(store, 'po-b4');
  });

  it('§28 billing readiness fails twice under revenue assurance: technically complete, commercially pending; retried on timers, confirmed once', async () => {
    const rt = await start();
    const rejected = { outcome: 'rejected', reason: 'no rating plan' };
    await rt.submitOrder(ottOrder('po-b5'), { scenario: { steps: { billing: [rejected, rejected] } } });
    await rt.settle();
    await rt.engine.signal({ productOrderId: 'po-b5', signal: 'first-usage' });
    // Only what is due now: the first refusal is in, its retry waits on a timer in the database.
    await rt.runUntilIdle();
    expect(await orderState('po-b5')).toBe('completed');
    expect((await stepStates(store, 'po-b5')).billing).toBe('WAITING');
    expect(await store.query(`SELECT kind, attempt FROM timer WHERE step_id = 'billing'`)).toEqual([{ kind: 'retry', attempt: 1 }]);
    let view = await projectOrder(store, rt.registry, 'po-b5');
    expect(view).toMatchObject({ internalState: 'completed', commercialState: 'pending', items: [{ id: '1', billingReadiness: 'retrying' }] });
    // As o2a status prints it.
    expect(renderReadModel(view as OrderReadModel)).toEqual(expect.arrayContaining([
      '  internal state:    completed', '  commercially:      pending', expect.stringMatching(/^ {2}item 1: completed .* billing retrying$/),
    ]));
    // The service stays active: the customer is told so, nothing is undone.
    expect(view?.customerVisibleStatus).toBe('Completed');
    await rt.settle();
    expect(await orderState('po-b5')).toBe('completed');
    expect((await stepStates(store, 'po-b5')).billing).toBe('SUCCEEDED');
    // Three requests under three keys (the step's policy: new key per retry), confirmed once.
    const ledger = await store.query<{ applied: boolean }>(
      `SELECT applied FROM component_ledger WHERE owner = 'billing' AND product_order_id = 'po-b5' ORDER BY recorded_at`);
    expect(ledger.map((l) => l.applied)).toEqual([false, false, true]);
    expect(rt.components.sideEffects('billing')).toBe(1);
    expect((await outboxOf(store, 'po-b5')).filter((m) => m.type === 'ConfirmBillingReadiness')).toHaveLength(3);
    // One alert, when the gap opened; no fallout, no compensation.
    expect((await outboxOf(store, 'po-b5')).filter((m) => m.type === 'RevenueAssuranceAlertRaised')).toHaveLength(1);
    expect(await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = 'po-b5'`)).toEqual([]);
    expect((await outboxOf(store, 'po-b5')).filter((m) => m.type === 'CompensateStep')).toEqual([]);
    view = await projectOrder(store, rt.registry, 'po-b5');
    expect(view).toMatchObject({ internalState: 'completed', commercialState: 'complete', items: [{ id: '1', billingReadiness: 'confirmed' }] });
    expect(renderReadModel(view as OrderReadModel)).toEqual(expect.arrayContaining(['  commercially:      complete', expect.stringMatching(/ billing confirmed$/)]));
    await expectCustomerFacingClean(store, 'po-b5');
  });

  it('§28 billing that times out under revenue assurance while the saga runs: retried, never a fallout; the order completes', async () => {
    const rt = await start();
    const plan = withBilling('HomeFiber1G', { trigger: 'activation', scheduledFrom: null, blocksCompletion: false });
    await rt.registerPlans([plan]);
    const billing = plan.kind === 'plan' ? plan.steps.find((s) => s.id === 'billing') : undefined;
    if (!billing) throw new Error('no billing step');
    // Billing answers nothing to any request its retry policy allows: its step times out while
    // notify waits for it, every time; reconciliation asks again later, and that one is answered.
    const tries = 1 + billing.retry.maxRetries;
    await rt.submitOrder(homeFiberOrder('po-b9'), { plans: [plan], scenario: { steps: { billing: Array.from({ length: tries }, () => ({ outcome: 'timeout' })) } } });
    await rt.settle();
    // Technically complete: notify went on once billing's retries were spent; billing is reconciliation's now.
    expect(await orderState('po-b9')).toBe('completed');
    expect(await stepStates(store, 'po-b9')).toMatchObject({ billing: 'FAILED', notify: 'SUCCEEDED' });
    clock.advance(61_000);
    expect((await rt.reconciler.reconcile()).findings).toMatchObject([{ kind: 'product-active-billing-missing', action: 'retried', stepId: 'billing' }]);
    await rt.settle();
    expect((await stepStates(store, 'po-b9')).billing).toBe('SUCCEEDED');
    expect(await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = 'po-b9'`)).toEqual([]);
    expect((await billed('po-b9')).filter((l) => l.applied)).toHaveLength(1);
    // Alerted when the gap opened and when the retries were spent.
    expect((await outboxOf(store, 'po-b9')).filter((m) => m.type === 'RevenueAssuranceAlertRaised')).toHaveLength(2);
    expect((await outboxOf(store, 'po-b9')).filter((m) => m.type === 'ConfirmBillingReadiness').length).toBeGreaterThan(tries);
    await expectCustomerFacingClean(store, 'po-b9');
  });

  it('§28 billing readiness failing past its retries: reconciliation takes it up (billing missing) until billing confirms it', async () => {
    const rt = await start();
    // The OTT plan retries billing 5 times: six refusals spend them all; the seventh request succeeds.
    const rejected = { outcome: 'rejected', reason: 'billing account closed' };
    await rt.submitOrder(ottOrder('po-b7'), { scenario: { steps: { billing: Array.from({ length: 6 }, () => rejected) } } });
    await rt.settle();
    await rt.engine.signal({ productOrderId: 'po-b7', signal: 'first-usage' });
    await rt.settle();
    expect(await orderState('po-b7')).toBe('completed');
    expect((await stepStates(store, 'po-b7')).billing).toBe('FAILED');
    expect(await store.query(`SELECT 1 FROM timer WHERE step_id = 'billing'`)).toEqual([]);
    expect((await projectOrder(store, rt.registry, 'po-b7'))).toMatchObject({ commercialState: 'pending', items: [{ billingReadiness: 'failed' }] });
    // Alerted when the gap opened and when the retries were spent.
    expect((await outboxOf(store, 'po-b7')).filter((m) => m.type === 'RevenueAssuranceAlertRaised')).toHaveLength(2);
    expect(await billed('po-b7')).toHaveLength(6);
    expect(rt.components.sideEffects('billing')).toBe(0);
    clock.advance(61_000);
    const report = await rt.reconciler.reconcile();
    expect(report.needsPerson).toBe(false);
    expect(report.findings).toMatchObject([{ kind: 'product-active-billing-missing', action: 'retried', productOrderId: 'po-b7', stepId: 'billing' }]);
    await rt.settle();
    expect((await stepStates(store, 'po-b7')).billing).toBe('SUCCEEDED');
    expect(rt.components.sideEffects('billing')).toBe(1);
    expect((await billed('po-b7')).filter((b) => b.applied)).toHaveLength(1);
    expect((await projectOrder(store, rt.registry, 'po-b7'))).toMatchObject({
      internalState: 'completed', commercialState: 'complete', items: [{ billingReadiness: 'confirmed' }],
      reconciliation: [{ kind: 'product-active-billing-missing', action: 'retried', stepId: 'billing' }],
    });
    // Confirmed: nothing left to find, nothing sent again.
    clock.advance(61_000);
    expect((await rt.reconciler.reconcile()).findings).toEqual([]);
    await rt.settle();
    expect(await billed('po-b7')).toHaveLength(7);
    await expectCustomerFacingClean(store, 'po-b7');
  });

  it('§28 a billing retry whose timer is lost: reconciliation requests readiness again, confirmed once', async () => {
    const rt = await start();
    await rt.submitOrder(ottOrder('po-b8'), { scenario: { steps: { billing: [{ outcome: 'rejected', reason: 'rating system down' }] } } });
    await rt.settle();
    await rt.engine.signal({ productOrderId: 'po-b8', signal: 'first-usage' });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-b8')).billing).toBe('WAITING');
    // Tampered: the retry's timer is lost.
    await store.query(`DELETE FROM timer WHERE step_id = 'billing'`);
    await store.query(`UPDATE product_order SET version = version + 1 WHERE id = 'po-b8'`);
    clock.advance(61_000);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{ kind: 'product-active-billing-missing', action: 'retried', stepId: 'billing', seen: { billingStep: 'WAITING' } }]);
    await rt.settle();
    expect((await stepStates(store, 'po-b8')).billing).toBe('SUCCEEDED');
    expect(rt.components.sideEffects('billing')).toBe(1);
    expect((await projectOrder(store, rt.registry, 'po-b8'))).toMatchObject({ commercialState: 'complete', items: [{ billingReadiness: 'confirmed' }] });
    await expectCustomerFacingClean(store, 'po-b8');
  });

  it('a signal that is not known, or for an unknown order or item, is refused naming the field', async () => {
    const rt = await start();
    await rt.submitOrder(ottOrder('po-b6'));
    await rt.settle();
    expect(await rt.engine.signal({ productOrderId: 'po-b6', signal: 'customer-acepted' }))
      .toMatchObject({ ok: false, code: 'invalid', field: 'signal', problem: expect.stringMatching(/customer-accepted, first-usage/) });
    expect(await rt.engine.signal({ productOrderId: 'po-zz', signal: 'first-usage' })).toMatchObject({ ok: false, code: 'not-found', field: 'productOrderId' });
    expect(await rt.engine.signal({ productOrderId: 'po-b6', itemId: '7', signal: 'first-usage' })).toMatchObject({ ok: false, code: 'not-found', field: 'item' });
    expect(await billed('po-b6')).toEqual([]);
  });
});
