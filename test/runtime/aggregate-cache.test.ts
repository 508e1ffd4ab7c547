// The aggregates a process keeps between transactions must be what the database holds whenever
// their version matches: here, an intake whose insert met a row another transaction committed
// meanwhile (two intakes of the same order id at once, on the server database).
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import { disposeRuntime, mobileOrder, newRuntime, one, PG_URL, samplePlans, storesUnderTest } from './harness.js';

const server = (await storesUnderTest()).find((s) => s.name === 'postgres');
const plans = await samplePlans();

describe.skipIf(!server)('aggregate cache on postgres', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  it('an intake that met a row committed under it overwrites nothing and caches nothing the database does not hold', async () => {
    const opened = await newRuntime(server as NonNullable<typeof server>);
    runtime = opened.runtime;
    const { store } = opened;
    await runtime.registerPlans(plans as CompiledPlan[]);
    const other = new pg.Client({ connectionString: PG_URL });
    await other.connect();
    try {
      await other.query(`SET search_path TO "${store.schema}"`);
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO product_order (id, correlation_id, state, body, created_at, updated_at)
         VALUES ('po-race', 'ota-other-intake', 'acknowledged', '{}', now(), now())`);
      const submitted = runtime.submitOrder(mobileOrder('po-race'));
      // The intake found no such order and now waits on the uncommitted row's key.
      for (let i = 0; i < 100; i++) {
        const waiting = await other.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`);
        if (waiting.rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.query('COMMIT');
      // The intake's insert met the row: it ran again and found the order there, a duplicate.
      expect(await submitted).toEqual({ ok: true, productOrderId: 'po-race', correlationId: 'ota-other-intake', state: 'acknowledged', duplicate: true });
    } finally {
      await other.end();
    }
    await runtime.settle();
    // The row the other transaction committed is as it left it: not overwritten, not bumped.
    expect(await one(store, 'SELECT correlation_id, state, version FROM product_order WHERE id = $1', ['po-race']))
      .toEqual({ correlation_id: 'ota-other-intake', state: 'acknowledged', version: 0 });
    for (const table of ['product_order_item', 'saga', 'outbox']) {
      expect(await store.query(`SELECT 1 FROM ${table} WHERE product_order_id = $1`, ['po-race']), table).toHaveLength(0);
    }
    // Nothing of the intake's own view of the order is kept.
    expect(runtime.engine.cache.take('po-race', 0)).toBeUndefined();
  });
});
