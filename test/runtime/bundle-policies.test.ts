// A bundle's own `billing` and `status` (#16), with the FamilyPack sample on every store: the
// bundle's billing policy is that of every item under it (trigger and gating), the bundle item's
// billing readiness is its items', and the bundle's status mapping speaks for the order, the
// bundle item and (`<item> <state>`) each item of it.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledBundle, CompiledPlan } from '../../compiler/emit/schema.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, expectCustomerFacingClean, newRuntime, one, samplePlans, storesUnderTest, familyOrder } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const sample = plans.find((p) => p.offeringId === 'FAMILY_PACK');
if (!sample || sample.kind !== 'bundle') throw new Error('no FamilyPack bundle among the sample plans');
const familyPack: CompiledBundle = sample;

/** The sample FamilyPack changed (its hash recomputed: a valid compiled bundle). */
function familyPackWith(change: Partial<CompiledBundle>): CompiledPlan {
  const { hash: _hash, ...rest } = { ...familyPack, planVersion: familyPack.planVersion + 1, ...change };
  return { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
}

describe.each(stores)('a bundle\'s own billing and status on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<Runtime> {
    ({ runtime, store } = await newRuntime(storeUnderTest, { plans }));
    return runtime;
  }
  const orderState = async (id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;
  const billingSteps = async (id: string) => Object.fromEntries((await store.query<{ item: string; state: string }>(
    `SELECT s.product_order_item_id AS item, st.state FROM saga s JOIN saga_step st ON st.saga_id = s.id
      WHERE s.product_order_id = $1 AND st.kind = 'billing_trigger'`, [id])).map((r) => [r.item, r.state]));

  it('the sample: no billing of its own, each item bills by its plan; the bundle item\'s readiness is its items\', the order speaks with the bundle\'s text', async () => {
    expect(familyPack.billing).toBeNull();
    const rt = await start();
    await rt.submitOrder(familyOrder('po-bp1'));
    await rt.settle();
    expect(await orderState('po-bp1')).toBe('completed');
    // Home Fiber and mobile bill on activation; streaming waits for its first usage (its plan's revenue assurance).
    expect(await billingSteps('po-bp1')).toEqual({ '1.mobile': 'SUCCEEDED', '1.fiber': 'SUCCEEDED', '1.tv': 'NOT_STARTED' });
    let view = await projectOrder(store, rt.registry, 'po-bp1');
    expect(view?.customerVisibleStatus).toBe('All your services are active');
    const item = (id: string) => view?.items.find((i) => i.id === id);
    expect(item('1')).toMatchObject({ state: 'completed', billingReadiness: 'awaiting-trigger', customerStatus: 'All your services are active' });
    expect(item('1.tv')?.billingReadiness).toBe('awaiting-trigger');
    expect(view?.commercialState).toBe('pending');
    await rt.engine.signal({ productOrderId: 'po-bp1', itemId: '1.tv', signal: 'first-usage' });
    await rt.settle();
    view = await projectOrder(store, rt.registry, 'po-bp1');
    expect(item('1')?.billingReadiness).toBe('confirmed');
    expect(view?.commercialState).toBe('complete');
    await expectCustomerFacingClean(store, 'po-bp1');
  });

  it('a bundle billed on the customer\'s acceptance, blocking: every item waits for it, whatever its plan says; accepted, all billed, the order completes', async () => {
    const bundle = familyPackWith({ billing: { trigger: 'customer_acceptance', scheduledFrom: null, blocksCompletion: true } });
    const rt = await start();
    await rt.submitOrder(familyOrder('po-bp2'), { plans: [bundle] });
    await rt.settle();
    // Nothing billed before the trigger; completion waits for billing (blocking), streaming's plan notwithstanding.
    expect(await billingSteps('po-bp2')).toEqual({ '1.mobile': 'NOT_STARTED', '1.fiber': 'NOT_STARTED', '1.tv': 'NOT_STARTED' });
    expect(await orderState('po-bp2')).toBe('inProgress');
    expect(rt.components.sideEffects('billing')).toBe(0);
    let view = await projectOrder(store, rt.registry, 'po-bp2');
    expect(Object.fromEntries((view?.items ?? []).map((i) => [i.id, i.billingReadiness]))).toEqual({
      '1': 'awaiting-trigger', '1.mobile': 'awaiting-trigger', '1.fiber': 'awaiting-trigger', '1.tv': 'awaiting-trigger',
    });
    expect(view?.commercialState).toBeNull();
    // First usage is not the bundle's trigger: nothing moves.
    await rt.engine.signal({ productOrderId: 'po-bp2', signal: 'first-usage' });
    await rt.settle();
    expect(await orderState('po-bp2')).toBe('inProgress');
    expect(await rt.engine.signal({ productOrderId: 'po-bp2', signal: 'customer-accepted' })).toMatchObject({ ok: true });
    await rt.settle();
    expect(await billingSteps('po-bp2')).toEqual({ '1.mobile': 'SUCCEEDED', '1.fiber': 'SUCCEEDED', '1.tv': 'SUCCEEDED' });
    expect(await orderState('po-bp2')).toBe('completed');
    view = await projectOrder(store, rt.registry, 'po-bp2');
    expect(view).toMatchObject({ commercialState: 'complete', items: expect.arrayContaining([expect.objectContaining({ id: '1', billingReadiness: 'confirmed' })]) });
    await expectCustomerFacingClean(store, 'po-bp2');
  });

  it('a bundle billed on activation under revenue assurance: an item whose own plan would block completes without waiting for a refused readiness', async () => {
    const bundle = familyPackWith({ billing: { trigger: 'activation', scheduledFrom: null, blocksCompletion: false } });
    const rt = await start();
    // Home Fiber's plan blocks completion on billing and sends a refusal to revenue assurance as a fallout; the bundle says otherwise.
    await rt.submitOrder(familyOrder('po-bp3'), { plans: [bundle], scenario: { steps: { billing: [{ outcome: 'rejected', reason: 'rating plan missing' }] } } });
    await rt.runUntilIdle();
    expect(await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = 'po-bp3'`)).toEqual([]);
    await rt.settle();
    expect(await orderState('po-bp3')).toBe('completed');
    expect(await billingSteps('po-bp3')).toEqual({ '1.mobile': 'SUCCEEDED', '1.fiber': 'SUCCEEDED', '1.tv': 'SUCCEEDED' });
    expect(await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = 'po-bp3'`)).toEqual([]);
    await expectCustomerFacingClean(store, 'po-bp3');
  });

  it('the bundle\'s status: `<item> held` for the held item and the order, `received` before fulfillment, the item\'s own plan otherwise', async () => {
    const bundle = familyPackWith({
      completion: { mode: 'all' },
      statusMapping: [...familyPack.statusMapping,
        { step: 'fiber', state: 'held', text: 'Your fiber installation needs a new date' },
        { step: null, state: 'held', text: 'Some of your services need your attention' }],
    });
    const rt = await start();
    await rt.submitOrder(familyOrder('po-bp4'), { plans: [bundle], scenario: { steps: { install: [{ outcome: 'no_access' }] } } });
    let view = await projectOrder(store, rt.registry, 'po-bp4');
    expect(view?.customerVisibleStatus).toBe('Order received');
    await rt.settle();
    expect(await orderState('po-bp4')).toBe('held');
    view = await projectOrder(store, rt.registry, 'po-bp4');
    expect(view?.customerVisibleStatus).toBe('Your fiber installation needs a new date');
    const statuses = Object.fromEntries((view?.items ?? []).map((i) => [i.id, i.customerStatus]));
    expect(statuses).toMatchObject({ '1.fiber': 'Your fiber installation needs a new date', '1.mobile': 'Your line is active', '1': 'Some of your services need your attention' });
    await expectCustomerFacingClean(store, 'po-bp4');
    const [fallout] = await store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-bp4' AND state = 'OPEN'`);
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    view = await projectOrder(store, rt.registry, 'po-bp4');
    expect(view?.customerVisibleStatus).toBe('All your services are active');
    expect(view?.items.find((i) => i.id === '1')?.customerStatus).toBe('All your services are active');
  });
});
