// #16: a TMF622 item's `action` picks its plan. Plans say which actions they fulfil (`action
// delete` in the header; without it the offering's order type decides); intake takes the plan of
// the item's offering for the item's action, runs nothing for `noChange`, and rejects an item
// whose action no plan fulfils, naming the field. On every store.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, newRuntime, one, samplePlans, stepStates, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

function order(id: string, items: { id: string; action: string; offering: string; children?: { id: string; action: string; offering: string }[] }[]): unknown {
  return {
    id, relatedParty: [{ id: 'cust-9', role: 'customer' }],
    productOrderItem: items.map((i) => ({
      id: i.id, action: i.action, productOffering: { id: i.offering },
      ...(i.children ? { productOrderItem: i.children.map((c) => ({ id: c.id, action: c.action, productOffering: { id: c.offering } })) } : {}),
    })),
  };
}

describe.each(stores)('item actions on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(registered: CompiledPlan[] = plans): Promise<Runtime> {
    ({ runtime, store } = await newRuntime(storeUnderTest, { plans: registered }));
    return runtime;
  }
  const planOfSaga = async (orderId: string, itemId: string) => (await store.query<{ plan_id: string }>(
    `SELECT p.plan_id FROM saga s JOIN plan p ON p.hash = s.plan_hash WHERE s.product_order_id = $1 AND s.product_order_item_id = $2`,
    [orderId, itemId]))[0]?.plan_id ?? null;

  it('a delete of Home Fiber runs the cease plan, not the installation (whose plan version is higher)', async () => {
    const rt = await start();
    const result = await rt.submitOrder(order('po-a1', [{ id: '1', action: 'delete', offering: 'HOME_FIBER_1G' }]));
    expect(result).toMatchObject({ ok: true });
    await rt.settle();
    expect(await planOfSaga('po-a1', '1')).toBe('HomeFiberCease');
    expect(await one(store, `SELECT state FROM product_order WHERE id = 'po-a1'`)).toEqual({ state: 'completed' });
    // No reservation, appointment or technician: the cease's own steps.
    expect(Object.keys(await stepStates(store, 'po-a1')).sort()).toEqual(['billing', 'internet', 'inventory', 'network', 'verify']);
    // Every command tells its owner the item's action: billing is told to stop, not start.
    const billing = await one<{ payload: { action: string } | string }>(store,
      `SELECT payload FROM outbox WHERE product_order_id = 'po-a1' AND kind = 'command' AND step_id = 'billing'`);
    const payload = typeof billing.payload === 'string' ? JSON.parse(billing.payload) : billing.payload;
    expect(payload.action).toBe('delete');
    const view = await projectOrder(store, rt.registry, 'po-a1');
    expect(view).toMatchObject({ customerVisibleStatus: 'Your service has been disconnected', items: [{ id: '1', action: 'delete', planId: 'HomeFiberCease' }] });
    // The same offering added still runs the installation.
    await rt.submitOrder(homeFiberOrder('po-a2'));
    await rt.settle();
    expect(await planOfSaga('po-a2', '1')).toBe('HomeFiber1G');
  });

  it('a mobile cease beside a noChange line: the cease runs, the noChange item completes with nothing run', async () => {
    const rt = await start();
    await rt.submitOrder(order('po-a3', [
      { id: '1', action: 'delete', offering: 'MOBILE_POSTPAID' },
      { id: '2', action: 'noChange', offering: 'MOBILE_POSTPAID' },
    ]));
    await rt.settle();
    expect(await planOfSaga('po-a3', '1')).toBe('MobileCease');
    expect(await planOfSaga('po-a3', '2')).toBeNull();
    const items = await store.query<{ id: string; state: string; plan_hash: string | null }>(
      `SELECT id, state, plan_hash FROM product_order_item WHERE product_order_id = 'po-a3' ORDER BY id`);
    expect(items).toEqual([
      { id: '1', state: 'completed', plan_hash: expect.any(String) },
      { id: '2', state: 'completed', plan_hash: null },
    ]);
    expect(await one(store, `SELECT state FROM product_order WHERE id = 'po-a3'`)).toEqual({ state: 'completed' });
    // Nothing was sent for item 2.
    expect(await store.query(`SELECT 1 FROM outbox WHERE product_order_id = 'po-a3' AND product_order_item_id = '2'`)).toEqual([]);
  });

  it('an order of noChange items only completes at once and sends no command', async () => {
    const rt = await start();
    expect(await rt.submitOrder(order('po-a4', [{ id: '1', action: 'noChange', offering: 'HOME_FIBER_1G' }]))).toMatchObject({ ok: true });
    await rt.settle();
    expect(await one(store, `SELECT state FROM product_order WHERE id = 'po-a4'`)).toEqual({ state: 'completed' });
    expect(await store.query(`SELECT 1 FROM saga WHERE product_order_id = 'po-a4'`)).toEqual([]);
    expect(await store.query(`SELECT 1 FROM outbox WHERE product_order_id = 'po-a4' AND kind = 'command'`)).toEqual([]);
  });

  it('an action no plan fulfils is rejected naming the field and the actions that are fulfilled', async () => {
    const rt = await start();
    const modify = await rt.submitOrder(order('po-a5', [{ id: '1', action: 'modify', offering: 'HOME_FIBER_1G' }]));
    expect(modify).toMatchObject({
      ok: false, code: 'rejected',
      problems: ['productOrderItem.0.action: no fulfillment plan for modify of offering HOME_FIBER_1G; its plans fulfil add, delete'],
    });
    expect(await one(store, `SELECT state FROM product_order WHERE id = 'po-a5'`)).toEqual({ state: 'rejected' });
    // A bundle fulfils add only: its delete is rejected the same way.
    const bundle = await rt.submitOrder(order('po-a6', [{ id: '1', action: 'delete', offering: 'FAMILY_PACK' }]));
    expect(bundle).toMatchObject({ ok: false, problems: ['productOrderItem.0.action: no fulfillment plan for delete of offering FAMILY_PACK; its plans fulfil add'] });
    // Nothing started for either.
    expect(await store.query(`SELECT 1 FROM saga WHERE product_order_id IN ('po-a5', 'po-a6')`)).toEqual([]);
  });

  it("an item of a bundle asking for an action its bundle's plan does not fulfil is rejected naming the nested field", async () => {
    const rt = await start();
    const result = await rt.submitOrder(order('po-a7', [{
      id: '1', action: 'add', offering: 'FAMILY_PACK',
      children: [{ id: '1.tv', action: 'delete', offering: 'OTT_STREAMING' }],
    }]));
    expect(result).toMatchObject({ ok: false, code: 'rejected' });
    const problems = (result as { problems: string[] }).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^productOrderItem\.0\.productOrderItem\.0\.action: delete is not fulfilled by plan OttStreaming/);
  });

  it('a plan compiled before plans declared actions fulfils add (and only add)', async () => {
    const fiber = plans.find((p) => p.planId === 'HomeFiber1G') as CompiledPlan;
    const { hash: _hash, actions: _actions, ...rest } = fiber;
    const older = { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
    const rt = await start([older]);
    await rt.submitOrder(homeFiberOrder('po-a8'));
    await rt.settle();
    expect(await planOfSaga('po-a8', '1')).toBe('HomeFiber1G');
    expect(await rt.submitOrder(order('po-a9', [{ id: '1', action: 'delete', offering: 'HOME_FIBER_1G' }])))
      .toMatchObject({ ok: false, problems: ['productOrderItem.0.action: no fulfillment plan for delete of offering HOME_FIBER_1G; its plans fulfil add'] });
  });
});
