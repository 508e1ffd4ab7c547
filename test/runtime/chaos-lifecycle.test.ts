// The §31.4 chaos rows of the order lifecycle, on every store (the others: redelivery, restart and
// database faults in fault-*.test.ts, reconciliation detecting a mismatch in reconciliation.test.ts):
//   - stale catalog snapshot: an order whose plan was compiled against a catalog snapshot version
//     since retired is refused, naming the plan and the snapshot; a newer plan compiled against a
//     snapshot in force is chosen first; sagas already running on the stale plan finish;
//   - duplicate command from a retry: the same command delivered twice (the relay publishes again
//     after the acknowledgement was lost), and a retry that sends it again under the same key:
//     the component applies it once, the engine's step completes once.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { projectRoot } from '../../compiler/project-root.js';
import type { ManualClock } from '../../runtime/clock.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import { catalogRetirements } from '../../runtime/engine/catalog-retirement.js';
import { orderTrail, projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

// Home Fiber as it was compiled against the October snapshot (the GPON ONT was ONT_GPON_V1 then).
const ROOT = projectRoot();
const october = await loadPlans([join(ROOT, 'test', 'fixtures', 'diff', 'catalog-changed', 'previous', 'plans.o2a')], join(ROOT, 'catalogs', '2026.10'));
if (october.problems.length > 0) throw new Error(`the 2026.10 Home Fiber fixture does not compile: ${october.problems.join('; ')}`);
const stalePlan = october.plans.find((p) => p.offeringId === 'HOME_FIBER_1G') as CompiledPlan;
const currentPlan = plans.find((p) => p.offeringId === 'HOME_FIBER_1G') as CompiledPlan;

describe.each(stores)('§31.4 lifecycle chaos on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(register: CompiledPlan[]): Promise<{ rt: Runtime; store: Store }> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await opened.runtime.registerPlans(register);
    return { rt: opened.runtime, store: opened.store };
  }
  const orderState = async (store: Store, id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;

  it('stale catalog snapshot: new orders on a plan of a retired snapshot are refused naming it; the saga running on it finishes', async () => {
    expect(stalePlan.catalog).toMatchObject({ id: 'telco-core', version: '2026.10' });
    const { rt, store } = await start([stalePlan]);
    // In flight on the October plan: held for the customer at the installation.
    await rt.submitOrder(homeFiberOrder('po-stale-1'), { scenario: { steps: { install: [{ outcome: 'no_access' }, { outcome: 'success' }] } } });
    await rt.settle();
    expect(await orderState(store, 'po-stale-1')).toBe('held');
    const [saga] = await store.query<{ plan_hash: string }>(`SELECT plan_hash FROM saga WHERE product_order_id = 'po-stale-1'`);
    expect(saga?.plan_hash).toBe(stalePlan.hash);

    const retired = await rt.engine.retireCatalog({ catalogId: 'telco-core', version: '2026.10', reason: 'superseded by 2026.11', replacedBy: '2026.11' });
    expect(retired).toMatchObject({
      ok: true, duplicate: false, inFlightSagas: 1,
      retirement: { catalogId: 'telco-core', version: '2026.10', reason: 'superseded by 2026.11', replacedBy: '2026.11' },
      plans: [{ planId: 'HomeFiber1G', planVersion: stalePlan.planVersion, hash: stalePlan.hash }],
    });

    // A new order: refused, the reason naming the plan and the snapshot; nothing starts.
    const refused = await rt.submitOrder(homeFiberOrder('po-stale-2'));
    expect(refused).toMatchObject({ ok: false, code: 'rejected', productOrderId: 'po-stale-2' });
    const problems = refused.ok ? [] : refused.problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^productOrderItem\.0\.productOffering\.id: plan HomeFiber1G version 2 \([0-9a-f]{12}\) was compiled against catalog telco-core 2026\.10, retired on \d{4}-\d{2}-\d{2} \(superseded by 2026\.11\): it takes no new order; compile the plan against telco-core 2026\.11$/);
    // The same plan given explicitly: refused too.
    const explicit = await rt.submitOrder(homeFiberOrder('po-stale-3'), { plans: [stalePlan] });
    expect(explicit).toMatchObject({ ok: false, code: 'rejected', problems: [expect.stringContaining('catalog telco-core 2026.10')] });
    await rt.settle();
    expect(await orderState(store, 'po-stale-2')).toBe('rejected');
    expect(await store.query(`SELECT 1 FROM saga WHERE product_order_id IN ('po-stale-2', 'po-stale-3')`)).toEqual([]);
    expect((await outboxOf(store, 'po-stale-2')).map((m) => m.type)).toEqual(['ProductOrderRejected']);
    const view = await projectOrder(store, rt.registry, 'po-stale-2');
    expect(view?.rejectionReasons).toEqual([{ field: 'productOrderItem.0.productOffering.id', message: expect.stringContaining('retired on') }]);
    await expectCustomerFacingClean(store, 'po-stale-2');

    // The saga already running on the October plan finishes on it.
    const [fallout] = await store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-stale-1' AND state = 'OPEN'`);
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState(store, 'po-stale-1')).toBe('completed');
    expect(await store.query(`SELECT plan_hash FROM saga WHERE product_order_id = 'po-stale-1'`)).toEqual([{ plan_hash: stalePlan.hash }]);
    // It reserved the ONT of its own snapshot.
    expect(await store.query(`SELECT DISTINCT spec FROM component_resource_unit WHERE spec LIKE 'ONT%'`)).toEqual([{ spec: 'ONT_GPON_V1' }]);
    await expectCustomerFacingClean(store, 'po-stale-1');

    // Retired again: answered as the first, nothing changed.
    expect(await rt.engine.retireCatalog({ catalogId: 'telco-core', version: '2026.10', reason: 'again' }))
      .toMatchObject({ ok: true, duplicate: true, retirement: { reason: 'superseded by 2026.11' }, inFlightSagas: 0 });
    expect(await catalogRetirements(store)).toHaveLength(1);
    // Bad input: refused naming the field, nothing written.
    expect(await rt.engine.retireCatalog({ catalogId: 'telco-core', version: ' ' })).toMatchObject({ ok: false, code: 'invalid', field: 'version' });
    expect(await rt.engine.retireCatalog(null as never)).toMatchObject({ ok: false, code: 'invalid', field: 'catalogId' });
    expect(await rt.engine.retireCatalog({ catalogId: 'telco-core', version: '2026.09', reason: 7 } as never)).toMatchObject({ ok: false, field: 'reason' });
    expect(await catalogRetirements(store)).toHaveLength(1);
  });

  it('stale catalog snapshot: the plan compiled against the snapshot in force is chosen over a newer registration of the retired one', async () => {
    // The same plan version compiled against both snapshots; the October one registered last
    // (newest by registration): retired, it is passed over.
    const { rt, store } = await start([...plans as CompiledPlan[]]);
    (rt.clock as ManualClock).advance(1000);
    await rt.registerPlans([stalePlan]);
    expect(currentPlan.planVersion).toBe(stalePlan.planVersion);
    await rt.submitOrder(homeFiberOrder('po-fresh-0'));
    expect(await store.query(`SELECT plan_hash FROM product_order_item WHERE product_order_id = 'po-fresh-0'`)).toEqual([{ plan_hash: stalePlan.hash }]);
    expect(await rt.engine.retireCatalog({ catalogId: 'telco-core', version: '2026.10' })).toMatchObject({ ok: true, inFlightSagas: 0 });
    expect(await rt.submitOrder(homeFiberOrder('po-fresh-1'))).toMatchObject({ ok: true, duplicate: false });
    await rt.settle();
    expect(await orderState(store, 'po-fresh-1')).toBe('completed');
    expect(await store.query(`SELECT plan_hash FROM saga WHERE product_order_id = 'po-fresh-1'`)).toEqual([{ plan_hash: currentPlan.hash }]);
    // The order taken before the retirement runs on the plan it was given.
    expect(await orderState(store, 'po-fresh-0')).toBe('completed');
    expect(await store.query(`SELECT plan_hash FROM saga WHERE product_order_id = 'po-fresh-0'`)).toEqual([{ plan_hash: stalePlan.hash }]);
    await expectCustomerFacingClean(store, 'po-fresh-1');
  });

  it('duplicate command from a retry: the relay publishes the activation again after a lost acknowledgement; applied once, the step completes once', async () => {
    const { rt, store } = await start(plans as CompiledPlan[]);
    // The acknowledgement of the batch carrying the activation command is lost once: the relay's
    // mark fails after the gateway took (and committed) the command.
    let lost = 0;
    const markPublished = rt.relay.markPublished.bind(rt.relay);
    rt.relay.markPublished = async (claimed) => {
      if (lost === 0 && claimed.some((m) => m.type === 'SubmitActivationCommand')) {
        lost++;
        throw new Error('injected: acknowledgement lost');
      }
      return markPublished(claimed);
    };
    await rt.submitOrder(homeFiberOrder('po-dup-cmd'));
    const failures: string[] = [];
    for (let i = 0; i < 2000; i++) {
      try {
        if ((await rt.pump()) === 0) break;
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
    await rt.settle();
    expect(failures).toEqual(['injected: acknowledgement lost']);
    expect(await orderState(store, 'po-dup-cmd')).toBe('completed');
    // One command in the outbox, delivered twice; the gateway recognised the second delivery.
    const sent = (await outboxOf(store, 'po-dup-cmd')).filter((m) => m.type === 'SubmitActivationCommand');
    expect(sent).toHaveLength(1);
    expect(rt.components.countsOf('activation-gateway')).toMatchObject({ commands: 1, duplicates: 1, applied: 1, resent: 1 });
    const ledger = await store.query<{ applied: boolean; idempotency_key: string }>(
      `SELECT applied, idempotency_key FROM component_ledger WHERE owner = 'activation-gateway' AND product_order_id = 'po-dup-cmd'`);
    expect(ledger).toEqual([{ applied: true, idempotency_key: sent[0]?.idempotencyKey }]);
    expect(await store.query('SELECT state FROM component_network')).toEqual([{ state: 'ACTIVE' }]);
    // The answer sent again under the same id: the engine's inbox took it once; the step completed once.
    const trail = await orderTrail(store, 'po-dup-cmd');
    expect(trail.filter((e) => e.direction === 'in' && e.stepId === 'network')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'StepStateChanged' && e.stepId === 'network' && e.payload.to === 'SUCCEEDED')).toHaveLength(1);
    expect(await store.query(`SELECT a.state FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = 'po-dup-cmd'`))
      .toEqual([{ state: 'SUCCEEDED' }]);
    expect(await store.query('SELECT 1 FROM outbox_pending')).toEqual([]);
    await expectCustomerFacingClean(store, 'po-dup-cmd');
  });

  it('duplicate command from a retry: the survey\'s answer is lost, the retry sends it again under the same key; applied once, completed once', async () => {
    const { rt, store } = await start(plans as CompiledPlan[]);
    const order = {
      id: 'po-dup-retry', productOrderItem: [{
        id: '1', action: 'add', productOffering: { id: 'ENTERPRISE_FIBER' },
        product: { productCharacteristic: [{ name: 'contractStartDate', value: '2026-01-01' }] },
      }],
    };
    // The surveyor did the survey (recorded by the workforce); the answer never came.
    await rt.submitOrder(order, { scenario: { steps: { survey: { outcome: 'timeout', applied: true } } } });
    await rt.settle();
    expect(await orderState(store, 'po-dup-retry')).toBe('completed');
    const sent = (await outboxOf(store, 'po-dup-retry')).filter((m) => m.type === 'CreateWorkOrder' && m.stepId === 'survey');
    expect(sent).toHaveLength(2);
    expect(sent[1]?.idempotencyKey).toBe(sent[0]?.idempotencyKey);
    expect(sent[1]?.messageId).not.toBe(sent[0]?.messageId);
    const ledger = await store.query<{ applied: boolean; step_id: string }>(
      `SELECT applied, step_id FROM component_ledger WHERE owner = 'workforce' AND product_order_id = 'po-dup-retry' AND step_id = 'survey'`);
    expect(ledger).toEqual([{ applied: true, step_id: 'survey' }]);
    // The second command answered from the ledger: nothing applied again.
    expect(rt.components.countsOf('workforce')).toMatchObject({ replayed: 1 });
    const trail = await orderTrail(store, 'po-dup-retry');
    expect(trail.filter((e) => e.type === 'StepStateChanged' && e.stepId === 'survey').map((e) => e.payload.to)).toEqual(['STARTED', 'WAITING', 'STARTED', 'SUCCEEDED']);
    expect((await stepStates(store, 'po-dup-retry')).survey).toBe('SUCCEEDED');
    await expectCustomerFacingClean(store, 'po-dup-retry');
  });
});
