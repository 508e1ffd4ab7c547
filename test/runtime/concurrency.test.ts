// Two transactions on the server database doing the same thing at once must end as if they had
// run one after the other: the same product order id taken twice (one intake accepts it, the
// other answers as a sequential resubmission would: a duplicate for the same body, a conflict for
// another), the same fallout case resumed twice (one resume goes through, the other is refused as
// a resolved case would be).
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { resumeCommand } from '../../runtime/cli-commands.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { isConflict, type SubmitResult } from '../../runtime/engine/engine.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import {
  Capture, disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, one, outboxOf, PG_URL, releasedTogetherOn, samplePlans, storesUnderTest,
} from './harness.js';

const server = (await storesUnderTest()).find((s) => s.name === 'postgres');
const plans = await samplePlans();

/** `releasedTogether` of the harness on the server database under test. */
function releasedTogether<T>(store: Store, lock: string, params: unknown[], waiters: number, start: () => Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  return releasedTogetherOn(PG_URL, store, lock, params, waiters, start);
}

function values<T>(settled: PromiseSettledResult<T>[]): T[] {
  return settled.map((s) => {
    if (s.status === 'rejected') throw s.reason;
    return s.value;
  });
}

describe.skipIf(!server)('concurrent duplicates on postgres', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function open(): Promise<{ runtime: Runtime; store: Store }> {
    const opened = await newRuntime(server as NonNullable<typeof server>);
    runtime = opened.runtime;
    await runtime.registerPlans(plans as CompiledPlan[]);
    return opened;
  }

  it('the same product order taken twice at once: one intake accepts it, the other answers duplicate', async () => {
    const { runtime, store } = await open();
    // Both intakes wait at their first statement (it reads the plans) and go on together: each
    // finds no order of that id, as two intakes arriving at the same instant would.
    const results = values(await releasedTogether(store, 'LOCK TABLE plan IN ACCESS EXCLUSIVE MODE', [], 2, () => [
      runtime.submitOrder(mobileOrder('po-twice')),
      runtime.submitOrder(mobileOrder('po-twice')),
    ]));
    const accepted = results.filter((r): r is Extract<SubmitResult, { ok: true }> => r.ok && !r.duplicate);
    expect(accepted).toHaveLength(1);
    const first = accepted[0] as Extract<SubmitResult, { ok: true }>;
    // The duplicate's answer is the one a second submission after the first gives.
    const sequential = await runtime.submitOrder(mobileOrder('po-twice'));
    expect(sequential).toMatchObject({ ok: true, duplicate: true, correlationId: first.correlationId });
    expect(results.find((r) => r !== first)).toEqual({ ...sequential, state: 'acknowledged' });

    await runtime.settle();
    const order = await one<{ correlation_id: string; state: string }>(store, 'SELECT correlation_id, state FROM product_order WHERE id = $1', ['po-twice']);
    expect(order).toEqual({ correlation_id: first.correlationId, state: 'completed' });
    const items = await store.query<{ characteristics: unknown }>('SELECT characteristics FROM product_order_item WHERE product_order_id = $1', ['po-twice']);
    expect(items).toHaveLength(1);
    const outbox = await outboxOf(store, 'po-twice');
    expect(outbox.filter((m) => m.type === 'ProductOrderAccepted')).toHaveLength(1);
    expect(new Set(outbox.map((m) => m.correlationId))).toEqual(new Set([first.correlationId]));
    expect(await store.query('SELECT id FROM saga WHERE product_order_id = $1', ['po-twice'])).toHaveLength(1);
  });

  it('two different orders under one id at once: one intake accepts its order, the other gets the conflict', async () => {
    const { runtime, store } = await open();
    const bodies = [mobileOrder('po-clash', { simType: 'physical' }), mobileOrder('po-clash', { simType: 'esim' })];
    const results = values(await releasedTogether(store, 'LOCK TABLE plan IN ACCESS EXCLUSIVE MODE', [], 2, () => bodies.map((b) => runtime.submitOrder(b))));
    const won = results.findIndex((r) => r.ok && !r.duplicate);
    expect(won).toBeGreaterThanOrEqual(0);
    const lost = 1 - won;
    const conflict = results[lost] as SubmitResult;
    expect(isConflict(conflict)).toBe(true);
    // The loser's answer is the one its body gets when sent after the winner's.
    expect(conflict).toEqual(await runtime.submitOrder(bodies[lost]));
    const simTypes = ['physical', 'esim'];
    expect(conflict).toMatchObject({ productOrderId: 'po-clash', field: 'productOrderItem.0.product.productCharacteristic.0.value' });
    // The order is the winner's, run once.
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-clash'])).toEqual({ state: 'completed' });
    expect(await store.query('SELECT characteristics FROM product_order_item WHERE product_order_id = $1', ['po-clash']))
      .toEqual([{ characteristics: { simType: simTypes[won] } }]);
    expect((await outboxOf(store, 'po-clash')).filter((m) => m.type === 'ProductOrderAccepted')).toHaveLength(1);
    expect(await store.query('SELECT id FROM saga WHERE product_order_id = $1', ['po-clash'])).toHaveLength(1);
  });

  it('intakes of overlapping batches with different bodies at once: each order accepted once, the other lot gets conflicts', async () => {
    const { runtime, store } = await open();
    const ids = Array.from({ length: 4 }, (_, i) => `po-clash-${i}`);
    const [a, b] = values(await releasedTogether(store, 'LOCK TABLE plan IN ACCESS EXCLUSIVE MODE', [], 2, () => [
      runtime.submitOrders(ids.map((id) => ({ order: mobileOrder(id, { simType: 'physical' }) }))),
      runtime.submitOrders([...ids].reverse().map((id) => ({ order: mobileOrder(id, { simType: 'esim' }) }))),
    ])) as [SubmitResult[], SubmitResult[]];
    expect(a).toHaveLength(ids.length);
    expect(b).toHaveLength(ids.length);
    await runtime.settle();
    for (const [n, id] of ids.entries()) {
      const mine = [a[n] as SubmitResult, b[ids.length - 1 - n] as SubmitResult];
      const won = mine.findIndex((r) => r.ok && !r.duplicate);
      expect(won, id).toBeGreaterThanOrEqual(0);
      expect(mine[1 - won], id).toMatchObject({ ok: false, code: 'conflict', productOrderId: id });
      expect(await store.query('SELECT characteristics FROM product_order_item WHERE product_order_id = $1', [id]), id)
        .toEqual([{ characteristics: { simType: won === 0 ? 'physical' : 'esim' } }]);
    }
    const accepted = await store.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE type = 'ProductOrderAccepted'`);
    expect(Number(accepted[0]?.n)).toBe(ids.length);
  });

  it('intakes of overlapping batches at once: every order accepted exactly once', async () => {
    const { runtime, store } = await open();
    const ids = Array.from({ length: 6 }, (_, i) => `po-batch-${i}`);
    const results = values(await releasedTogether(store, 'LOCK TABLE plan IN ACCESS EXCLUSIVE MODE', [], 2, () => [
      runtime.submitOrders(ids.map((id) => ({ order: mobileOrder(id) }))),
      runtime.submitOrders([...ids].reverse().map((id) => ({ order: mobileOrder(id) }))),
    ])).flat();
    for (const id of ids) {
      const of = results.filter((r) => r.ok && r.productOrderId === id);
      expect(of.filter((r) => r.ok && !r.duplicate), id).toHaveLength(1);
      expect(of.filter((r) => r.ok && r.duplicate), id).toHaveLength(1);
    }
    await runtime.settle();
    const accepted = await store.query<{ n: string }>(`SELECT count(*) AS n FROM outbox WHERE type = 'ProductOrderAccepted'`);
    expect(Number(accepted[0]?.n)).toBe(ids.length);
  });

  it('the same fallout case resumed twice at once: one resume goes through, the other is refused cleanly', async () => {
    const { runtime, store } = await open();
    await runtime.submitOrder(homeFiberOrder('po-resume-twice'), { scenario: { steps: { ont: { outcome: 'rejected', reason: 'warehouse out of stock' } } } });
    await runtime.settle();
    const fallout = await one<{ id: string }>(store, 'SELECT id FROM fallout_case WHERE product_order_id = $1', ['po-resume-twice']);
    // Both resumes find the case open, then wait for the order's lock.
    const results = values(await releasedTogether(store, 'SELECT 1 FROM product_order WHERE id = $1 FOR UPDATE', ['po-resume-twice'], 2, () => [
      runtime.resume(fallout.id), runtime.resume(fallout.id),
    ]));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const refused = results.find((r) => !r.ok);
    expect(refused).toEqual(await runtime.resume(fallout.id));
    expect(refused).toEqual({ ok: false, problem: `fallout case ${fallout.id} is RESUMED, not OPEN` });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-resume-twice'])).toEqual({ state: 'completed' });
    const ont = (await outboxOf(store, 'po-resume-twice')).filter((m) => m.type === 'ReserveResources' && m.stepId === 'ont');
    expect(ont).toHaveLength(2);
  });

  it('o2a resume of the same case twice at once: the second prints a clean refusal, no stack trace', async () => {
    // The CLI works in a database's public schema: a database of its own for this test.
    const database = `o2a_resume_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const databaseUrl = url.toString();
    try {
      const setup = await Runtime.open({ databaseUrl });
      let caseId: string;
      try {
        await setup.registerPlans(plans as CompiledPlan[]);
        await setup.submitOrder(homeFiberOrder('po-cli-twice'), { scenario: { steps: { ont: { outcome: 'rejected', reason: 'warehouse out of stock' } } } });
        await setup.settle();
        caseId = (await one<{ id: string }>(setup.store, 'SELECT id FROM fallout_case WHERE product_order_id = $1', ['po-cli-twice'])).id;
      } finally {
        await setup.close();
      }
      const outputs = [new Capture(), new Capture()];
      const codes = await releasedTogetherOn(databaseUrl, { schema: 'public' }, 'SELECT 1 FROM product_order WHERE id = $1 FOR UPDATE', ['po-cli-twice'], 2,
        () => outputs.map((out) => resumeCommand({ caseId, databaseUrl, json: true }, out)));
      const refused = codes.findIndex((c) => c.status === 'fulfilled' && c.value === 1);
      expect(codes.map((c) => c.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(refused).toBeGreaterThanOrEqual(0);
      // --json: one object each, the refusal and the read model of the resumed order.
      expect(JSON.parse(outputs[refused]!.text)).toEqual({
        ok: false, code: 'not-resumable', message: `fallout case ${caseId} is RESUMED, not OPEN`,
        problems: [{ field: null, message: `fallout case ${caseId} is RESUMED, not OPEN` }],
      });
      expect(JSON.parse(outputs[1 - refused]!.text)).toMatchObject({ productOrderId: 'po-cli-twice', resumed: { caseId, stepId: 'ont' } });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
  });
});

