// Billing triggers (§17) and gating (§28), on every store: billing readiness is never confirmed
// before the plan's trigger; with `blocks completion` the order waits for it, otherwise the order
// is technically complete and billing follows when its trigger comes.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { BillingPolicy, CompiledPlan } from '../../compiler/emit/schema.js';
import type { ManualClock } from '../../runtime/clock.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, newRuntime, one, samplePlans, stepStates, storesUnderTest } from './harness.js';

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
    ({ runtime, store, clock } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans as CompiledPlan[]);
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
  });

  it('billing readiness failed under revenue assurance: the service stays active, an alert is raised', async () => {
    const rt = await start();
    await rt.submitOrder(ottOrder('po-b5'), { scenario: { steps: { billing: { outcome: 'rejected', reason: 'no rating plan' } } } });
    await rt.settle();
    await rt.engine.signal({ productOrderId: 'po-b5', signal: 'first-usage' });
    await rt.settle();
    expect(await orderState('po-b5')).toBe('completed');
    expect((await stepStates(store, 'po-b5')).billing).toBe('FAILED');
    const alerts = await store.query(`SELECT 1 FROM outbox WHERE product_order_id = 'po-b5' AND type = 'RevenueAssuranceAlertRaised'`);
    expect(alerts).toHaveLength(1);
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
