// A product order resubmitted under an id the runtime knows (TMF622 intake, on every store): the
// same order again is an idempotent duplicate, answered as the first; a different order under the
// same id is a conflict, refused with the first field that differs, and leaves the first order as
// it was. Orders taken before migration 008 (no stored hash) are still answered as duplicates.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { SubmitResult } from '../../runtime/engine/engine.js';
import { orderBodyHash } from '../../runtime/engine/orders.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { listMigrations, migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import { Capture, disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, one, outboxOf, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

const SIM_TYPE = 'productOrderItem.0.product.productCharacteristic.0.value';

function conflict(id: string, field: string): SubmitResult {
  return {
    ok: false, code: 'conflict', productOrderId: id, field,
    problems: [`${field}: conflict: product order ${id} already exists with a different body (the first field that differs); `
      + 'resubmit it unchanged, or give a changed order an id of its own'],
  };
}

/** Everything a resubmission could touch of an order: its row, items, sagas, outbox and audit trail. */
async function snapshot(store: Store, id: string): Promise<unknown> {
  return {
    order: await one(store, 'SELECT state, correlation_id, version, body, body_hash, updated_at FROM product_order WHERE id = $1', [id]),
    items: await store.query('SELECT id, offering_id, characteristics, plan_hash, state, updated_at FROM product_order_item WHERE product_order_id = $1 ORDER BY id', [id]),
    sagas: await store.query('SELECT id, state FROM saga WHERE product_order_id = $1 ORDER BY id', [id]),
    outbox: (await outboxOf(store, id)).map((m) => m.messageId),
    trail: await store.query('SELECT seq FROM event_log WHERE product_order_id = $1 ORDER BY seq', [id]),
  };
}

async function characteristicsOf(store: Store, id: string): Promise<unknown> {
  return (await one<{ characteristics: unknown }>(store, 'SELECT characteristics FROM product_order_item WHERE product_order_id = $1', [id])).characteristics;
}

describe.each(stores)('order intake: duplicate or conflict, on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<{ runtime: Runtime; store: Store }> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await runtime.registerPlans(plans as CompiledPlan[]);
    return opened;
  }

  it('the same order again is a duplicate, answered as the first, before and after it ran', async () => {
    const { runtime, store } = await start();
    const first = await runtime.submitOrder(mobileOrder('po-same'));
    expect(first).toMatchObject({ ok: true, duplicate: false, state: 'acknowledged' });
    const { correlationId } = first as { correlationId: string };
    const before = await snapshot(store, 'po-same');
    expect(await runtime.submitOrder(mobileOrder('po-same'))).toEqual({
      ok: true, productOrderId: 'po-same', correlationId, state: 'acknowledged', duplicate: true,
    });
    expect(await snapshot(store, 'po-same')).toEqual(before);
    await runtime.settle();
    // The same order as the server shows it back (server-assigned fields, keys in another
    // order) is still the same order.
    const echoed = mobileOrder('po-same') as { productOrderItem: Record<string, unknown>[] } & Record<string, unknown>;
    const resent = {
      state: 'completed', href: '/productOrder/po-same', orderDate: '2026-01-01T00:00:00Z', completionDate: '2026-01-01T01:00:00Z',
      productOrderItem: echoed.productOrderItem.map((item) => ({ state: 'completed', ...Object.fromEntries(Object.entries(item).reverse()) })),
      relatedParty: echoed.relatedParty, id: 'po-same',
    };
    expect(orderBodyHash(resent)).toBe(orderBodyHash(mobileOrder('po-same')));
    expect(await runtime.submitOrder(resent)).toEqual({ ok: true, productOrderId: 'po-same', correlationId, state: 'completed', duplicate: true });
    expect(await store.query('SELECT id FROM saga WHERE product_order_id = $1', ['po-same'])).toHaveLength(1);
    expect((await outboxOf(store, 'po-same')).filter((m) => m.type === 'ProductOrderAccepted')).toHaveLength(1);
  });

  it('a different order under a known id is a conflict naming the first field that differs; the first order is untouched', async () => {
    const { runtime, store } = await start();
    const first = await runtime.submitOrder(homeFiberOrder('po-changed'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    expect(first).toMatchObject({ ok: true, duplicate: false });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-changed'])).toEqual({ state: 'held' });
    const before = await snapshot(store, 'po-changed');

    expect(await runtime.submitOrder(homeFiberOrder('po-changed', { installation: 'self' }), { scenario: { steps: {} } }))
      .toEqual(conflict('po-changed', SIM_TYPE));
    const otherOffering = homeFiberOrder('po-changed') as { productOrderItem: { productOffering: { id: string } }[] };
    (otherOffering.productOrderItem[0] as { productOffering: { id: string } }).productOffering.id = 'MOBILE_POSTPAID';
    expect(await runtime.submitOrder(otherOffering)).toEqual(conflict('po-changed', 'productOrderItem.0.productOffering.id'));
    const moreItems = homeFiberOrder('po-changed') as { productOrderItem: unknown[] };
    moreItems.productOrderItem.push({ id: '2', action: 'add', productOffering: { id: 'STATIC_IP' } });
    expect(await runtime.submitOrder(moreItems)).toMatchObject({ ok: false, code: 'conflict', field: 'productOrderItem.1' });
    const noExternalId = homeFiberOrder('po-changed') as Record<string, unknown>;
    delete noExternalId.externalId;
    expect(await runtime.submitOrder(noExternalId)).toEqual(conflict('po-changed', 'externalId'));

    // Nothing written: the order, its items, sagas, outbox and audit trail are as they were,
    // and nothing runs when the runtime goes on.
    expect(await snapshot(store, 'po-changed')).toEqual(before);
    await runtime.settle();
    expect(await snapshot(store, 'po-changed')).toEqual(before);
    expect(await characteristicsOf(store, 'po-changed')).toEqual({ installation: 'technician' });
    // The same order as first submitted is still a duplicate.
    expect(await runtime.submitOrder(homeFiberOrder('po-changed'))).toMatchObject({ ok: true, duplicate: true, state: 'held' });
  });

  it('a lot of orders in one intake: each gets its own answer, a conflict stops none of the others', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(mobileOrder('po-lot-known'));
    const results = await runtime.submitOrders([
      { order: mobileOrder('po-lot-known', { simType: 'esim' }) },      // known id, other body
      { order: mobileOrder('po-lot-new') },                             // new
      { order: mobileOrder('po-lot-known') },                           // known id, same body
      { order: mobileOrder('po-lot-new', { simType: 'esim' }) },        // same id earlier in the lot, other body
      { order: mobileOrder('po-lot-new') },                             // same id earlier in the lot, same body
      { order: { id: 'po-lot-bad', productOrderItem: [] } },            // invalid
      { order: mobileOrder('po-lot-other') },                           // new
    ]);
    const newOne = results[1] as { correlationId: string };
    expect(results).toEqual([
      conflict('po-lot-known', SIM_TYPE),
      { ok: true, productOrderId: 'po-lot-new', correlationId: newOne.correlationId, state: 'acknowledged', duplicate: false },
      expect.objectContaining({ ok: true, productOrderId: 'po-lot-known', duplicate: true }),
      conflict('po-lot-new', SIM_TYPE),
      { ok: true, productOrderId: 'po-lot-new', correlationId: newOne.correlationId, state: 'acknowledged', duplicate: true },
      { ok: false, code: 'invalid', productOrderId: 'po-lot-bad', problems: [expect.stringMatching(/^productOrderItem: /)] },   // zod's words
      expect.objectContaining({ ok: true, productOrderId: 'po-lot-other', duplicate: false }),
    ]);
    await runtime.settle();
    for (const id of ['po-lot-known', 'po-lot-new', 'po-lot-other']) {
      expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', [id])).toEqual({ state: 'completed' });
      expect(await characteristicsOf(store, id)).toEqual({ simType: 'physical' });
      expect((await outboxOf(store, id)).filter((m) => m.type === 'ProductOrderAccepted')).toHaveLength(1);
    }
    expect(await store.query('SELECT id FROM product_order WHERE id = $1', ['po-lot-bad'])).toEqual([]);
  });

  it('an order taken before migration 008 has no body hash: a resubmission of it is answered as a duplicate', async () => {
    const store = await storeUnderTest.open();
    await migrate(store, listMigrations().filter((m) => m.version < 8));
    const at = '2026-01-01T00:00:00.000Z';
    await store.query(
      `INSERT INTO product_order (id, correlation_id, state, body, created_at, updated_at) VALUES ($1, $2, 'inProgress', $3, $4, $4)`,
      ['po-legacy', 'ota-legacy', JSON.stringify(mobileOrder('po-legacy')), at]);
    expect((await migrate(store)).map((m) => m.version)).toEqual(listMigrations().filter((m) => m.version >= 8).map((m) => m.version));
    runtime = new Runtime({ store, clock: new ManualClock(), workerId: 'worker-a' });
    await runtime.registerPlans(plans as CompiledPlan[]);
    expect(await one(store, 'SELECT body_hash FROM product_order WHERE id = $1', ['po-legacy'])).toEqual({ body_hash: null });
    expect(await runtime.submitOrder(mobileOrder('po-legacy', { simType: 'esim' }))).toEqual({
      ok: true, productOrderId: 'po-legacy', correlationId: 'ota-legacy', state: 'inProgress', duplicate: true,
    });
    expect(await one(store, 'SELECT state, body_hash FROM product_order WHERE id = $1', ['po-legacy'])).toEqual({ state: 'inProgress', body_hash: null });
    // Orders taken from now on have one.
    await runtime.submitOrder(mobileOrder('po-after'));
    expect(await one(store, 'SELECT body_hash FROM product_order WHERE id = $1', ['po-after'])).toEqual({ body_hash: orderBodyHash(mobileOrder('po-after')) });
  });
});

describe('o2a run of an order id the database knows', () => {
  const scratch: string[] = [];
  afterAll(() => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }); });

  it('prints the conflict and exits 1 for a changed order; runs on as a duplicate for the same order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-conflict-'));
    scratch.push(dir);
    const db = join(dir, 'db');
    const plan = join(dir, 'mobile.json');
    writeFileSync(plan, JSON.stringify(plans.find((p) => p.planId === 'MobilePostpaid')));
    const same = join(dir, 'same.json');
    const changed = join(dir, 'changed.json');
    writeFileSync(same, JSON.stringify(mobileOrder('po-cli-conflict')));
    writeFileSync(changed, JSON.stringify(mobileOrder('po-cli-conflict', { simType: 'esim' })));
    const run = async (order: string) => {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(['node', 'o2a', 'run', '--plan', plan, '--order', order, '--db', db, '--quiet'], { stdout, stderr });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    const first = await run(same);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(await run(changed)).toEqual({
      code: 1, stderr: '',
      stdout: `error: ${SIM_TYPE}: conflict: product order po-cli-conflict already exists with a different body (the first field that differs); `
        + 'resubmit it unchanged, or give a changed order an id of its own\n',
    });
    const again = await run(same);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toContain('po-cli-conflict');
  });
});
