// Bundles (§ order items with child items): every child item runs its own saga; the bundle item
// and the order follow from the children and the bundle's completion policy.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { orderTrail, projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, expectCustomerFacingClean, newRuntime, outboxOf, samplePlans, storesUnderTest, familyOrder } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

/** The sample FamilyPack with another completion policy (its hash recomputed: a valid compiled plan). */
function familyPackWith(mode: 'all' | 'partial_allowed'): CompiledPlan {
  const sample = plans.find((p) => p.offeringId === 'FAMILY_PACK');
  if (!sample || sample.kind !== 'bundle') throw new Error('no FamilyPack bundle among the sample plans');
  const { hash: _hash, ...rest } = { ...sample, planVersion: sample.planVersion + 1, completion: { mode } };
  return { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
}

describe.each(stores)('bundles on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function run(orderId: string, bundle?: CompiledPlan): Promise<Store> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await runtime.registerPlans(plans as CompiledPlan[]);
    // The streaming account is never answered: its step times out, and a timeout there fails the saga.
    const submitted = await runtime.submitOrder(familyOrder(orderId), {
      plans: bundle ? [bundle] : undefined, scenario: { steps: { ott: { outcome: 'timeout' } } },
    });
    expect(submitted).toMatchObject({ ok: true });
    await runtime.settle();
    return opened.store;
  }

  const itemStates = async (store: Store, orderId: string) => Object.fromEntries((await store.query<{ id: string; state: string }>(
    'SELECT id, state FROM product_order_item WHERE product_order_id = $1', [orderId])).map((r) => [r.id, r.state]));
  const sagaStates = async (store: Store, orderId: string) => Object.fromEntries((await store.query<{ item: string; state: string }>(
    'SELECT product_order_item_id AS item, state FROM saga WHERE product_order_id = $1', [orderId])).map((r) => [r.item, r.state]));

  it('partial completion allowed: the other children complete, the order is partially completed', async () => {
    const store = await run('po-family-partial');
    expect(await sagaStates(store, 'po-family-partial')).toEqual({ '1.mobile': 'COMPLETED', '1.fiber': 'COMPLETED', '1.tv': 'FAILED' });
    expect(await itemStates(store, 'po-family-partial')).toEqual({ '1': 'completed', '1.mobile': 'completed', '1.fiber': 'completed', '1.tv': 'failed' });
    expect((await store.query('SELECT state FROM product_order WHERE id = $1', ['po-family-partial']))[0]).toEqual({ state: 'partial' });
    const facts = (await outboxOf(store, 'po-family-partial')).map((m) => m.type);
    expect(facts).toContain('ProductOrderPartiallyCompleted');
    expect(facts).not.toContain('ProductOrderCompleted');
    expect(facts.filter((t) => t === 'ServiceOrderCompleted')).toHaveLength(2);
    expect((await orderTrail(store, 'po-family-partial')).filter((e) => e.type === 'FulfillmentFailed')).toHaveLength(1);
    await expectCustomerFacingClean(store, 'po-family-partial');
  });

  it('completion of all items required: the same failure fails the bundle item and the order', async () => {
    const store = await run('po-family-all', familyPackWith('all'));
    expect(await sagaStates(store, 'po-family-all')).toEqual({ '1.mobile': 'COMPLETED', '1.fiber': 'COMPLETED', '1.tv': 'FAILED' });
    expect(await itemStates(store, 'po-family-all')).toEqual({ '1': 'failed', '1.mobile': 'completed', '1.fiber': 'completed', '1.tv': 'failed' });
    expect((await store.query('SELECT state FROM product_order WHERE id = $1', ['po-family-all']))[0]).toEqual({ state: 'failed' });
    const facts = (await outboxOf(store, 'po-family-all')).map((m) => m.type);
    expect(facts).toContain('ProductOrderFailed');
    expect(facts).not.toContain('ProductOrderPartiallyCompleted');
    // The plan fails the streaming item on a timeout: no fallout case, and the read model says why.
    expect(await store.query('SELECT 1 FROM fallout_case')).toEqual([]);
    const view = await projectOrder(store, (runtime as Runtime).registry, 'po-family-all');
    expect(view?.internalState).toBe('failed');
    expect(view?.failureReasons).toEqual([
      { itemId: '1.tv', sagaId: expect.stringMatching(/^saga-/), stepId: 'ott', outcome: 'timeout', reason: expect.stringMatching(/no answer within/) },
    ]);
    await expectCustomerFacingClean(store, 'po-family-all');
  });

  it('§20: mobile active, fiber held for no access, OTT active: the order is partial; the fiber resumed, completed', async () => {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    const store = opened.store;
    await runtime.registerPlans(plans as CompiledPlan[]);
    await runtime.submitOrder(familyOrder('po-family-held'), { scenario: { steps: { install: [{ outcome: 'no_access' }, { outcome: 'success' }] } } });
    await runtime.settle();
    expect(await itemStates(store, 'po-family-held')).toEqual({ '1': 'held', '1.mobile': 'completed', '1.fiber': 'held', '1.tv': 'completed' });
    expect((await store.query('SELECT state FROM product_order WHERE id = $1', ['po-family-held']))[0]).toEqual({ state: 'partial' });
    // Customer communication is item-aware (§20, §23), from each item's plan, never an internal state name.
    const view = await projectOrder(store, (runtime as Runtime).registry, 'po-family-held');
    const statuses = Object.fromEntries((view?.items ?? []).map((i) => [i.id, i.customerStatus]));
    expect(statuses).toMatchObject({ '1.mobile': 'Your line is active', '1.fiber': 'Action needed: please reschedule', '1.tv': 'Completed' });
    expect(await expectCustomerFacingClean(store, 'po-family-held')).toEqual(expect.arrayContaining(Object.values(statuses)));
    const [fallout] = await store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-family-held' AND state = 'OPEN'`);
    expect(await runtime.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await runtime.settle();
    expect(await itemStates(store, 'po-family-held')).toEqual({ '1': 'completed', '1.mobile': 'completed', '1.fiber': 'completed', '1.tv': 'completed' });
    expect((await store.query('SELECT state FROM product_order WHERE id = $1', ['po-family-held']))[0]).toEqual({ state: 'completed' });
    // Complete, the order speaks with the bundle's own status mapping.
    expect((await projectOrder(store, (runtime as Runtime).registry, 'po-family-held'))?.customerVisibleStatus).toBe('All your services are active');
    await expectCustomerFacingClean(store, 'po-family-held');
  });
});
