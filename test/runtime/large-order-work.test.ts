// #14: the work of a transaction on an order is in proportion to what it changes, not to the
// order's size. Counted, not timed (Engine.stats: what the committed transactions went through
// beside what they wrote): an order of 120 items costs per item what an order of 10 does. A
// transaction that copied the order's rows, read them again from the database, or derived every
// item's state again would go through the whole order each time, and the larger order per item
// many times over.
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import { disposeRuntime, newRuntime, one, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

function largeOrder(id: string, items: number): unknown {
  return {
    id, relatedParty: [{ id: 'cust-large', role: 'customer' }],
    productOrderItem: Array.from({ length: items }, (_, i) => ({
      id: String(i + 1), action: 'add', productOffering: { id: 'HOME_FIBER_1G' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] },
    })),
  };
}

describe.each(stores)('work per transaction on a large order on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  /** Runs an order of `items` Home Fiber items to its end; what its transactions went through. */
  async function work(items: number) {
    // Small relay batches: many transactions, each a few changes (as under a steady load).
    const opened = await newRuntime(storeUnderTest, { batchSize: 8 });
    runtime = opened.runtime;
    await runtime.registerPlans(plans as CompiledPlan[]);
    const before = { ...runtime.engine.stats };
    const id = `po-large-${items}`;
    expect(await runtime.submitOrder(largeOrder(id, items))).toMatchObject({ ok: true });
    await runtime.settle();
    expect(await one(opened.store, 'SELECT state FROM product_order WHERE id = $1', [id])).toEqual({ state: 'completed' });
    const s = runtime.engine.stats;
    const delta = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v - before[k as keyof typeof before]])) as typeof s;
    await disposeRuntime(runtime);
    runtime = undefined;
    // Beside the rows written: rows read again, sagas indexed, item states derived again.
    const visited = delta.rowsLoaded + delta.sagasIndexed + delta.itemsDerived;
    return { ...delta, visited, perItem: visited / items, writtenPerItem: delta.rowsWritten / items };
  }

  it('an order of 120 items goes through no more per item than one of 10, and writes the same per item', async () => {
    const small = await work(10);
    const large = await work(120);
    // The large order went through many transactions, each taking the order over from the cache.
    expect(large.transactions).toBeGreaterThan(120);
    expect(large.ordersTakenOver).toBeGreaterThan(120);
    // Per item, what was written is the same whatever the size (each item's steps and sagas) ...
    expect(large.writtenPerItem).toBeLessThanOrEqual(small.writtenPerItem * 1.2);
    // ... and so is what the transactions went through beside it: each item's rows read once at
    // most, each item derived again after its saga changed. Work in proportion to the order per
    // transaction would put the large order at tens of times the small one's per item.
    expect(large.perItem).toBeLessThanOrEqual(small.perItem * 1.5 + 1);
    expect(large.visited).toBeLessThan(large.rowsWritten);
  }, 120_000);
});
