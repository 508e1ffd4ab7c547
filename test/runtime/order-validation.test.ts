// What an order item must carry to be a valid order at intake (TMF622 v4, as this runtime fulfils it):
// a missing or ill-typed mandatory field refuses the order as `invalid`, the field named by its
// place in the order, nothing recorded; it is not a valid order that no plan covers (`rejected`).
//   TMF622 v4 swagger, ProductOrderItem: `id` and `action` required; `action` is an
//     OrderItemActionType (add | modify | delete | noChange); ProductOfferingRef: `id` required.
//   This runtime: every item, at any depth and for every action, is fulfilled by the plan of its
//     productOffering.id; an item without one cannot be fulfilled.
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { parseProductOrder } from '../../runtime/engine/orders.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, one, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const mobilePlan = plans.find((p) => p.planId === 'MobilePostpaid') as CompiledPlan;

const ACTIONS = ['add', 'modify', 'delete', 'noChange'] as const;

function order(id: string, ...items: unknown[]): unknown {
  return { id, relatedParty: [{ id: 'cust-7', role: 'customer' }], productOrderItem: items };
}

const mobileItem = (id: string, action = 'add'): Record<string, unknown> => ({ id, action, productOffering: { id: 'MOBILE_POSTPAID' } });

describe('parseProductOrder: what an order item must carry', () => {
  it('an item without a productOffering, whatever its action, at any depth: refused at that field', () => {
    for (const action of ACTIONS) {
      expect(parseProductOrder(order('po', mobileItem('1'), { id: '2', action }))).toEqual({
        ok: false, problems: ['productOrderItem.1.productOffering: no productOffering given'],
      });
    }
    const nested = { ...mobileItem('1'), productOrderItem: [mobileItem('1.1'), { id: '1.2', action: 'add' }] };
    expect(parseProductOrder(order('po', nested))).toEqual({
      ok: false, problems: ['productOrderItem.0.productOrderItem.1.productOffering: no productOffering given'],
    });
  });

  it('a productOffering that is not a reference with an id: refused at the field', () => {
    const bad = (productOffering: unknown): unknown => order('po', { id: '1', action: 'add', productOffering });
    for (const [productOffering, field] of [
      [{ id: '' }, 'productOrderItem.0.productOffering.id'],
      [{ name: 'Mobile' }, 'productOrderItem.0.productOffering.id'],
      [{ id: 42 }, 'productOrderItem.0.productOffering.id'],
      ['MOBILE_POSTPAID', 'productOrderItem.0.productOffering'],
      [null, 'productOrderItem.0.productOffering'],
    ] as const) {
      const parsed = parseProductOrder(bad(productOffering));
      expect(parsed.ok, JSON.stringify(productOffering)).toBe(false);
      expect((parsed as { problems: string[] }).problems.map((p) => p.slice(0, p.indexOf(': ')))).toEqual([field]);
    }
  });

  it('the four actions of TMF622 are taken, and the sample orders; any other action is refused at the field', () => {
    for (const action of ACTIONS) expect(parseProductOrder(order('po', mobileItem('1', action))).ok).toBe(true);
    for (const sample of [homeFiberOrder('po-fiber'), mobileOrder('po-mobile')]) expect(parseProductOrder(sample).ok).toBe(true);
    const examples = new URL('../../examples/orders/', import.meta.url);
    for (const file of readdirSync(examples).filter((f) => f.endsWith('.json'))) {
      expect(parseProductOrder(JSON.parse(readFileSync(new URL(file, examples), 'utf8'))), file).toMatchObject({ ok: true });
    }
    for (const action of ['Add', 'upgrade', '']) {
      const parsed = parseProductOrder(order('po', mobileItem('1'), { ...mobileItem('2'), action }));
      expect(parsed).toEqual({ ok: false, problems: [expect.stringMatching(/^productOrderItem\.1\.action: /)] });
    }
  });
});

describe.each(stores)('intake of an order with an item missing a mandatory field on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<{ runtime: Runtime; store: Store }> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await runtime.registerPlans([mobilePlan]);
    return opened;
  }

  /** Rows of any kind an intake could write for these orders: the order, its items, outbox, audit trail. */
  async function traces(store: Store, ids: string[]): Promise<number> {
    let n = 0;
    for (const [table, column] of [['product_order', 'id'], ['product_order_item', 'product_order_id'], ['outbox', 'product_order_id'], ['event_log', 'product_order_id']]) {
      n += Number((await one<{ n: unknown }>(store, `SELECT count(*) AS n FROM ${table} WHERE ${column} = ANY($1)`, [ids])).n);
    }
    return n;
  }

  it('no productOffering: code invalid, the field named, nothing recorded', async () => {
    const { runtime, store } = await start();
    for (const action of ACTIONS) {
      const result = await runtime.submitOrder(order(`po-no-offering-${action}`, mobileItem('a'), { id: 'b', action }));
      expect(result).toEqual({
        ok: false, code: 'invalid', productOrderId: `po-no-offering-${action}`, problems: ['productOrderItem.1.productOffering: no productOffering given'],
      });
    }
    // In a lot: refused alone, the other orders taken.
    const results = await runtime.submitOrders([
      { order: order('po-lot-no-offering', { id: '1', action: 'add' }) },
      { order: mobileOrder('po-lot-fine') },
    ]);
    expect(results).toEqual([
      { ok: false, code: 'invalid', productOrderId: 'po-lot-no-offering', problems: ['productOrderItem.0.productOffering: no productOffering given'] },
      expect.objectContaining({ ok: true, productOrderId: 'po-lot-fine' }),
    ]);
    expect(await store.query('SELECT id FROM product_order ORDER BY id')).toEqual([{ id: 'po-lot-fine' }]);
    await runtime.settle();
    expect(await traces(store, [...ACTIONS.map((a) => `po-no-offering-${a}`), 'po-lot-no-offering'])).toBe(0);
  });

  it('an empty productOffering id or an action TMF622 does not list: code invalid, the field named, nothing recorded', async () => {
    const { runtime, store } = await start();
    expect(await runtime.submitOrder(order('po-empty-offering', { id: '1', action: 'add', productOffering: { id: '' } }))).toEqual({
      ok: false, code: 'invalid', productOrderId: 'po-empty-offering', problems: [expect.stringMatching(/^productOrderItem\.0\.productOffering\.id: /)],
    });
    expect(await runtime.submitOrder(order('po-bad-action', mobileItem('1', 'upgrade')))).toEqual({
      ok: false, code: 'invalid', productOrderId: 'po-bad-action', problems: [expect.stringMatching(/^productOrderItem\.0\.action: /)],
    });
    expect(await traces(store, ['po-empty-offering', 'po-bad-action'])).toBe(0);
    expect(await store.query('SELECT id FROM product_order')).toEqual([]);
  });
});
