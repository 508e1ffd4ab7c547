// What the intake answers when it does not take an order (on every store): each refusal says which
// kind it is by its `code` and names the order by its id when one is known.
//   invalid          not a valid TMF622 order: nothing recorded
//   rejected         valid, but no plan covers an offering: recorded as rejected (under a generated
//                    id when the order has none: that id is returned)
//   rejected-before  the same order again after an intake rejection: nothing new recorded, the
//                    stored reasons given back
//   conflict         the id is taken by another order (test/runtime/intake-conflict.test.ts)
// Rejection reasons name a field, as validation problems do, and are stored where the read side
// finds them (product_order.rejection_reasons, the audit trail), not only in the outbox.
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { ManualClock } from '../../runtime/clock.js';
import { isConflict, type SubmitRefusal, type SubmitResult } from '../../runtime/engine/engine.js';
import { orderBodyHash } from '../../runtime/engine/orders.js';
import { orderTrail } from '../../runtime/projection/read-model.js';
import { Runtime } from '../../runtime/runtime.js';
import { listMigrations, migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import {
  disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, one, outboxOf, PG_URL, releasedTogetherOn, samplePlans, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const mobilePlan = plans.find((p) => p.planId === 'MobilePostpaid') as CompiledPlan;

const NO_FIBER_PLAN = 'productOrderItem.0.productOffering.id: no fulfillment plan for offering HOME_FIBER_1G';

/** Everything an intake could touch of an order: its row, items, outbox and audit trail. */
async function snapshot(store: Store, id: string): Promise<unknown> {
  return {
    order: await store.query('SELECT state, correlation_id, version, body_hash, updated_at FROM product_order WHERE id = $1', [id]),
    items: await store.query('SELECT id, state, updated_at FROM product_order_item WHERE product_order_id = $1 ORDER BY id', [id]),
    outbox: (await outboxOf(store, id)).map((m) => m.messageId),
    trail: await store.query('SELECT seq FROM event_log WHERE product_order_id = $1 ORDER BY seq', [id]),
  };
}

async function orderCount(store: Store): Promise<number> {
  return Number((await one<{ n: unknown }>(store, 'SELECT count(*) AS n FROM product_order')).n);
}

describe.each(stores)('intake refusals on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  /** A runtime that knows the mobile plan only: home fiber orders are rejected at intake. */
  async function start(registered: CompiledPlan[] = [mobilePlan]): Promise<{ runtime: Runtime; store: Store }> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await runtime.registerPlans(registered);
    return opened;
  }

  it('an order that is not valid: code invalid, its id when it has one, nothing recorded', async () => {
    const { runtime, store } = await start();
    const withId = await runtime.submitOrder({ id: 'po-invalid', productOrderItem: [] });
    expect(withId).toEqual({ ok: false, code: 'invalid', productOrderId: 'po-invalid', problems: [expect.stringMatching(/^productOrderItem: /)] });
    const withoutId = await runtime.submitOrder({ productOrderItem: [{ action: 'add' }] });
    expect(withoutId).toEqual({
      ok: false, code: 'invalid', problems: [expect.stringMatching(/^productOrderItem\.0\.id: /), 'productOrderItem.0.productOffering: no productOffering given'],
    });
    expect('productOrderId' in withoutId).toBe(false);
    // A scenario that is not valid refuses the order too, nothing recorded; its problems name the scenario's fields.
    const badScenario = await runtime.submitOrder(mobileOrder('po-bad-scenario'), { scenario: { steps: [] } });
    expect(badScenario).toEqual({ ok: false, code: 'invalid', productOrderId: 'po-bad-scenario', problems: [expect.stringMatching(/^scenario\.steps: /)] });
    expect(await orderCount(store)).toBe(0);
  });

  it('an order no plan covers: code rejected, recorded as rejected, its reasons naming the field', async () => {
    const { runtime, store } = await start();
    const rejected = await runtime.submitOrder(homeFiberOrder('po-rejected'));
    expect(rejected).toEqual({
      ok: false, code: 'rejected', productOrderId: 'po-rejected', correlationId: expect.stringMatching(/^ota-/), problems: [NO_FIBER_PLAN],
    });
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-rejected'])).toEqual({ state: 'rejected' });

    // Each item in fault named by its place in the order: the second and third items have no plan.
    const mixed = await runtime.submitOrder({
      id: 'po-rejected-items', productOrderItem: [
        { id: 'a', action: 'add', productOffering: { id: 'MOBILE_POSTPAID' } },
        { id: 'b', action: 'add', productOffering: { id: 'NO_SUCH_OFFERING' } },
        { id: 'c', action: 'modify', productOffering: { id: 'HOME_FIBER_1G' } },
      ],
    });
    expect(mixed).toMatchObject({
      ok: false, code: 'rejected', productOrderId: 'po-rejected-items',
      problems: [
        'productOrderItem.1.productOffering.id: no fulfillment plan for offering NO_SUCH_OFFERING',
        'productOrderItem.2.productOffering.id: no fulfillment plan for offering HOME_FIBER_1G',
      ],
    });
  });

  it('an item without a productOffering is not valid (not a missing plan): code invalid, the field named, nothing recorded', async () => {
    const { runtime, store } = await start();
    const result = await runtime.submitOrder({
      id: 'po-no-offering', productOrderItem: [
        { id: 'a', action: 'add', productOffering: { id: 'MOBILE_POSTPAID' } },
        { id: 'b', action: 'add', productOffering: { id: 'NO_SUCH_OFFERING' } },
        { id: 'c', action: 'add' },
      ],
    });
    expect(result).toEqual({
      ok: false, code: 'invalid', productOrderId: 'po-no-offering', problems: ['productOrderItem.2.productOffering: no productOffering given'],
    });
    await runtime.settle();
    expect(await snapshot(store, 'po-no-offering')).toEqual({ order: [], items: [], outbox: [], trail: [] });
    expect(await orderCount(store)).toBe(0);
  });

  it('a bundle whose item plan is not registered is rejected at the bundle item', async () => {
    const bundle = plans.find((p) => p.offeringId === 'FAMILY_PACK' && p.kind === 'bundle') as CompiledPlan;
    const { runtime } = await start([bundle]);
    const result = await runtime.submitOrder({ id: 'po-bundle', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK' } }] });
    expect(result).toMatchObject({ ok: false, code: 'rejected', productOrderId: 'po-bundle' });
    const problems = (result as SubmitRefusal).problems;
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p).toMatch(/^productOrderItem\.0: bundle item \S+ needs plan .+, which is not registered$/);
  });

  it('an order without an id rejected at intake: the id it is recorded under is returned, and finds it', async () => {
    const { runtime, store } = await start();
    const order = homeFiberOrder('x') as Record<string, unknown>;
    delete order.id;
    const rejected = await runtime.submitOrder(order);
    expect(rejected).toMatchObject({ ok: false, code: 'rejected', productOrderId: expect.stringMatching(/^po-/), problems: [NO_FIBER_PLAN] });
    const id = (rejected as { productOrderId: string }).productOrderId;
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', [id])).toEqual({ state: 'rejected' });
  });

  it('the same order again after a rejection: code rejected-before, the stored reasons, nothing new recorded', async () => {
    const { runtime, store } = await start();
    const first = await runtime.submitOrder(homeFiberOrder('po-again'));
    expect(first).toMatchObject({ ok: false, code: 'rejected' });
    const before = await snapshot(store, 'po-again');
    const again = await runtime.submitOrder(homeFiberOrder('po-again'));
    expect(again).toEqual({
      ok: false, code: 'rejected-before', productOrderId: 'po-again', correlationId: (first as { correlationId: string }).correlationId,
      problems: [NO_FIBER_PLAN],
    });
    expect(isConflict(again)).toBe(false);
    // Still refused once a plan for it is there: the id stays the rejected order's.
    await runtime.registerPlans(plans);
    expect(await runtime.submitOrder(homeFiberOrder('po-again'))).toMatchObject({ ok: false, code: 'rejected-before', problems: [NO_FIBER_PLAN] });
    await runtime.settle();
    expect(await snapshot(store, 'po-again')).toEqual(before);
    // Another order under that id is a conflict, as for any known id.
    expect(await runtime.submitOrder(homeFiberOrder('po-again', { installation: 'self' }))).toMatchObject({ ok: false, code: 'conflict', productOrderId: 'po-again' });
  });

  it('the reasons are kept for the read side: on the order row and in the audit trail', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(homeFiberOrder('po-kept'));
    await runtime.submitOrder(mobileOrder('po-taken'));
    expect(await one(store, 'SELECT rejection_reasons FROM product_order WHERE id = $1', ['po-kept'])).toEqual({ rejection_reasons: [NO_FIBER_PLAN] });
    expect(await one(store, 'SELECT rejection_reasons FROM product_order WHERE id = $1', ['po-taken'])).toEqual({ rejection_reasons: null });
    const trail = await orderTrail(store, 'po-kept');
    const rejection = trail.find((e) => e.type === 'ProductOrderStateChanged' && e.payload.to === 'rejected');
    expect(rejection?.payload).toEqual({ from: 'acknowledged', to: 'rejected', reasons: [NO_FIBER_PLAN] });
  });

  it('a lot of orders in one intake: each gets its own answer', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(homeFiberOrder('po-lot-rejected-earlier'));
    const noId = homeFiberOrder('x') as Record<string, unknown>;
    delete noId.id;
    const results = await runtime.submitOrders([
      { order: mobileOrder('po-lot-ok') },
      { order: homeFiberOrder('po-lot-rejected') },
      { order: { id: 'po-lot-invalid', productOrderItem: [] } },
      { order: homeFiberOrder('po-lot-rejected') },                 // the same order again, in the same lot
      { order: homeFiberOrder('po-lot-rejected-earlier') },         // rejected by an earlier intake
      { order: noId },
      { order: mobileOrder('po-lot-bad-scenario'), scenario: 'no' },
      { order: homeFiberOrder('po-lot-rejected', { installation: 'self' }) },
    ]);
    const rejected = results[1] as { correlationId: string };
    expect(results).toEqual([
      expect.objectContaining({ ok: true, productOrderId: 'po-lot-ok', duplicate: false }),
      { ok: false, code: 'rejected', productOrderId: 'po-lot-rejected', correlationId: rejected.correlationId, problems: [NO_FIBER_PLAN] },
      { ok: false, code: 'invalid', productOrderId: 'po-lot-invalid', problems: [expect.any(String)] },
      { ok: false, code: 'rejected-before', productOrderId: 'po-lot-rejected', correlationId: rejected.correlationId, problems: [NO_FIBER_PLAN] },
      expect.objectContaining({ ok: false, code: 'rejected-before', productOrderId: 'po-lot-rejected-earlier', problems: [NO_FIBER_PLAN] }),
      expect.objectContaining({ ok: false, code: 'rejected', productOrderId: expect.stringMatching(/^po-/), problems: [NO_FIBER_PLAN] }),
      { ok: false, code: 'invalid', productOrderId: 'po-lot-bad-scenario', problems: [expect.stringMatching(/^scenario: /)] },
      expect.objectContaining({ ok: false, code: 'conflict', productOrderId: 'po-lot-rejected' }),
    ] satisfies unknown[]);
    const generated = (results[5] as { productOrderId: string }).productOrderId;
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', [generated])).toEqual({ state: 'rejected' });
    expect((await outboxOf(store, 'po-lot-rejected')).filter((m) => m.type === 'ProductOrderRejected')).toHaveLength(1);
    expect(await store.query('SELECT id FROM product_order WHERE id = ANY($1)', [['po-lot-invalid', 'po-lot-bad-scenario']])).toEqual([]);
  });

  it('orders rejected before migration 009: reasons taken from their outbox event where it is there, said to be unknown where not', async () => {
    const store = await storeUnderTest.open();
    await migrate(store, listMigrations().filter((m) => m.version < 9));
    const at = '2026-01-01T00:00:00.000Z';
    const old = 'productOrderItem 1: no fulfillment plan for offering HOME_FIBER_1G';
    for (const id of ['po-old-rejected', 'po-old-lost']) {
      await store.query(
        `INSERT INTO product_order (id, correlation_id, state, body, body_hash, created_at, updated_at) VALUES ($1, $2, 'rejected', $3, $4, $5, $5)`,
        [id, `ota-${id}`, JSON.stringify(homeFiberOrder(id)), orderBodyHash(homeFiberOrder(id)), at]);
    }
    await store.query(
      `INSERT INTO outbox (message_id, kind, type, schema_version, destination, ordering_key, correlation_id, product_order_id, payload, created_at)
       VALUES ('m-old', 'event', 'ProductOrderRejected', 1, 'o2a.events', 'po-old-rejected', 'ota-po-old-rejected', 'po-old-rejected', $1, $2)`,
      [JSON.stringify({ reasons: [old] }), at]);
    expect((await migrate(store)).map((m) => m.version)).toContain(9);
    runtime = new Runtime({ store, clock: new ManualClock(), workerId: 'worker-a' });
    await runtime.registerPlans([mobilePlan]);
    expect(await runtime.submitOrder(homeFiberOrder('po-old-rejected'))).toEqual({
      ok: false, code: 'rejected-before', productOrderId: 'po-old-rejected', correlationId: 'ota-po-old-rejected', problems: [old],
    });
    const lost = await runtime.submitOrder(homeFiberOrder('po-old-lost'));
    expect(lost).toEqual({
      ok: false, code: 'rejected-before', productOrderId: 'po-old-lost', correlationId: 'ota-po-old-lost',
      problems: [expect.stringMatching(/^\(order\): .*rejected at intake.*not recorded/)],
    });
  });
});

/** `releasedTogether` of the harness on the server database under test, for calls that never throw. */
async function releasedTogether<T>(store: Store, lock: string, waiters: number, start: () => Promise<T>[]): Promise<T[]> {
  const settled = await releasedTogetherOn(PG_URL, store, lock, [], waiters, start);
  return settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });
}

const server = stores.find((s) => s.name === 'postgres');

describe.skipIf(!server)('concurrent intake of a rejected order on postgres', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  it('the same order taken twice at once: one intake rejects it, the other answers rejected-before with the reasons', async () => {
    const opened = await newRuntime(server as NonNullable<typeof server>);
    runtime = opened.runtime;
    const { store } = opened;
    await runtime.registerPlans([mobilePlan]);
    const results: SubmitResult[] = await releasedTogether(store, 'LOCK TABLE plan IN ACCESS EXCLUSIVE MODE', 2, () => [
      (runtime as Runtime).submitOrder(homeFiberOrder('po-twice-rejected')),
      (runtime as Runtime).submitOrder(homeFiberOrder('po-twice-rejected')),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code)).sort()).toEqual(['rejected', 'rejected-before']);
    const [a, b] = results as [SubmitRefusal, SubmitRefusal];
    expect(a.problems).toEqual([NO_FIBER_PLAN]);
    expect(b.problems).toEqual([NO_FIBER_PLAN]);
    expect(a).toMatchObject({ productOrderId: 'po-twice-rejected', correlationId: (b as { correlationId: string }).correlationId });
    expect((await outboxOf(store, 'po-twice-rejected')).filter((m) => m.type === 'ProductOrderRejected')).toHaveLength(1);
  });
});
