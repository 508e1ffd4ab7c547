// Reconciliation (§22), on every store: each mismatch made for real where the simulated components
// allow it (a component applies its side effect and records its answer, the answer never reaches
// the engine: a scenario `{ outcome: 'timeout', applied: true }`; a timed-out reservation retried
// under a new key leaves its first unit behind), by tampering with rows otherwise (said where).
// Each asserts the finding (kind, action), the repair's effect, and that no side effect was
// applied twice (the components' ledgers). With the §31.4 row "reconciliation detects mismatch".
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledPlan, CompiledSinglePlan } from '../../compiler/emit/schema.js';
import { replyId } from '../../runtime/adapters/simulated.js';
import { ManualClock } from '../../runtime/clock.js';
import { reconciliationFindings } from '../../runtime/engine/reconciliation.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, mobileOrder, one, outboxOf, samplePlans, stepStates, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

/** Beyond the reconciler's grace period (60 s), within every step timeout it matters for. */
const PAST_GRACE = 61_000;

describe.each(stores)('reconciliation on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  let clock: ManualClock;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  /** A runtime whose sweeper is off unless an interval is given (the tests call `reconcile`). */
  async function start(reconcileIntervalMs = 0): Promise<Runtime> {
    store = await storeUnderTest.open();
    await migrate(store);
    clock = new ManualClock();
    runtime = new Runtime({ store, clock, workerId: 'worker-a', reconcileIntervalMs });
    await runtime.registerPlans(plans as CompiledPlan[]);
    return runtime;
  }

  const orderState = async (id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;
  /** Side effects applied by an owner for a step (one per idempotency key at most, by construction). */
  const applied = async (owner: string, stepId?: string) => Number((await one<{ n: string }>(store,
    `SELECT count(*) AS n FROM component_ledger WHERE owner = $1 AND applied AND command_type <> 'CompensateStep' ${stepId ? 'AND step_id = $2' : ''}`,
    stepId ? [owner, stepId] : [owner])).n);
  const findingRows = async () => Number((await one<{ n: string }>(store, 'SELECT count(*) AS n FROM reconciliation_finding')).n);
  /** Tampering with aggregates behind the engine's back bumps the order's version, so no process reuses what it cached. */
  const bump = (id: string) => store.query('UPDATE product_order SET version = version + 1 WHERE id = $1', [id]);

  it('work order completed but service order not updated: the recorded answer is delivered again, once, and the order completes', async () => {
    const rt = await start();
    // The technician completes the work order (the workforce records it and its answer); the answer is lost.
    await rt.submitOrder(homeFiberOrder('po-r1'), { scenario: { steps: { install: { outcome: 'timeout', applied: true } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-r1')).install).toBe('STARTED');
    expect(await applied('workforce')).toBe(1);
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.needsPerson).toBe(false);
    expect(report.findings).toMatchObject([{ kind: 'work-order-completed-not-updated', action: 'repaired', productOrderId: 'po-r1', stepId: 'install' }]);
    await rt.settle();
    expect(await orderState('po-r1')).toBe('completed');
    // The work order applied once; the answer taken under the id the workforce gives it.
    expect(await applied('workforce')).toBe(1);
    const [ledger] = await store.query<{ message_id: string }>(`SELECT message_id FROM component_ledger WHERE owner = 'workforce'`);
    expect(await store.query(`SELECT 1 FROM inbox WHERE consumer = 'engine' AND message_id = $1`, [replyId(String(ledger?.message_id), 0)])).toHaveLength(1);
    // Nothing left to find; the finding is in the read model.
    expect((await rt.reconciler.reconcile()).findings).toEqual([]);
    const view = await projectOrder(store, rt.registry, 'po-r1');
    expect(view?.reconciliation).toMatchObject([{ kind: 'work-order-completed-not-updated', action: 'repaired', stepId: 'install' }]);
    expect(await reconciliationFindings(store, 'po-r1')).toMatchObject([{ kind: 'work-order-completed-not-updated', action: 'repaired', subject: expect.stringContaining('/install/') }]);
    await expectCustomerFacingClean(store, 'po-r1');
  });

  it('§31.4 reconciliation detects mismatch: activation answer lost, network active: reconciled, applied once', async () => {
    const rt = await start();
    await rt.submitOrder(mobileOrder('po-r2'), { scenario: { steps: { hlr: { outcome: 'timeout', applied: true } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-r2')).hlr).toBe('STARTED');
    expect(await store.query('SELECT state FROM component_network')).toEqual([{ state: 'ACTIVE' }]);
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{
      kind: 'activation-unknown-network-active', action: 'repaired', stepId: 'hlr',
      seen: { network: { state: 'ACTIVE', target: 'HLR_HSS' }, stepState: 'STARTED' },
    }]);
    await rt.settle();
    expect(await orderState('po-r2')).toBe('completed');
    expect(await applied('activation-gateway', 'hlr')).toBe(1);
    expect((await store.query('SELECT 1 FROM component_network')).length).toBe(2);
    const [command] = await store.query<{ state: string }>(`SELECT state FROM activation_command WHERE step_id = 'hlr'`);
    expect(command?.state).toBe('SUCCEEDED');
    await expectCustomerFacingClean(store, 'po-r2');
  });

  it('resource reserved but no service order progress: the reservation\'s answer is delivered again, the unit kept', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-r3'), { scenario: { steps: { ont: { outcome: 'timeout', applied: true } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-r3')).ont).toBe('STARTED');
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{ kind: 'resource-reserved-no-progress', action: 'repaired', stepId: 'ont', seen: { unit: { state: 'RESERVED' } } }]);
    await rt.settle();
    expect(await orderState('po-r3')).toBe('completed');
    expect(await applied('resource-inventory', 'ont')).toBe(1);
    expect(await store.query(`SELECT id FROM component_resource_unit WHERE spec = 'ONT_GPON'`)).toEqual([{ id: 'ONT_GPON-00001' }]);
    await expectCustomerFacingClean(store, 'po-r3');
  });

  it('a unit left reserved under a key no step uses: released to its pool through the inventory, once; the next sweep does nothing', async () => {
    const rt = await start();
    // The SIM is reserved, the answer lost; the step times out and retries under a new key; twice.
    const lost = { outcome: 'timeout', applied: true };
    await rt.submitOrder(mobileOrder('po-r4'), { scenario: { steps: { sim: [lost, lost] } } });
    await rt.settle();
    expect(await orderState('po-r4')).toBe('completed');
    const sims = async () => Object.fromEntries((await store.query<{ id: string; state: string; held_by: string | null }>(
      `SELECT id, state, held_by FROM component_resource_unit WHERE spec = 'SIM_CARD' ORDER BY id`)).map((u) => [u.id, u.state]));
    const available = async () => Number((await one<{ n: string }>(store,
      `SELECT count(*) AS n FROM component_resource_unit WHERE spec = 'SIM_CARD' AND state = 'AVAILABLE'`)).n);
    expect(await sims()).toEqual({ 'SIM_CARD-00001': 'RESERVED', 'SIM_CARD-00002': 'RESERVED', 'SIM_CARD-00003': 'RESERVED' });
    expect(await available()).toBe(0);
    const [leaked, leaked2] = await store.query<{ held_by: string }>(`SELECT held_by FROM component_resource_unit WHERE id IN ('SIM_CARD-00001', 'SIM_CARD-00002') ORDER BY id`);
    const [sim] = await store.query<{ idempotency_key: string }>(
      `SELECT st.idempotency_key FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = 'po-r4' AND st.step_id = 'sim'`);
    expect(leaked?.held_by).not.toBe(sim?.idempotency_key);
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.needsPerson).toBe(false);
    expect(report.findings).toMatchObject([
      {
        kind: 'resource-reserved-no-progress', action: 'repaired', subject: 'unit SIM_CARD-00001', stepId: 'sim',
        seen: { unit: { id: 'SIM_CARD-00001', heldBy: leaked?.held_by }, stepKey: sim?.idempotency_key },
      },
      { kind: 'resource-reserved-no-progress', action: 'repaired', subject: 'unit SIM_CARD-00002', seen: { unit: { heldBy: leaked2?.held_by } } },
    ]);
    await rt.settle();
    // Back in their pool; the unit the order uses stays with it.
    expect(await sims()).toEqual({ 'SIM_CARD-00001': 'AVAILABLE', 'SIM_CARD-00002': 'AVAILABLE', 'SIM_CARD-00003': 'RESERVED' });
    expect(await available()).toBe(2);
    const releases = await store.query<{ applied: boolean; idempotency_key: string }>(
      `SELECT applied, idempotency_key FROM component_ledger WHERE owner = 'resource-inventory' AND command_type = 'CompensateStep' ORDER BY idempotency_key`);
    expect(releases).toEqual([
      { applied: true, idempotency_key: `${leaked?.held_by}/release` }, { applied: true, idempotency_key: `${leaked2?.held_by}/release` },
    ].sort((a, b) => (a.idempotency_key < b.idempotency_key ? -1 : 1)));
    // The inventory's answers recorded against the order, no step moved, nothing refused.
    const trail = await store.query<{ type: string }>(`SELECT type FROM audit_trail WHERE product_order_id = 'po-r4' AND type IN ('LeakedUnitReleased', 'MessageRefused')`);
    expect(trail.map((t) => t.type)).toEqual(['LeakedUnitReleased', 'LeakedUnitReleased']);
    expect(await orderState('po-r4')).toBe('completed');
    expect((await stepStates(store, 'po-r4')).sim).toBe('SUCCEEDED');
    expect((await outboxOf(store, 'po-r4')).filter((m) => m.type === 'ReconciliationMismatchFound')).toEqual([]);
    // The next sweep finds nothing and sends nothing; the release delivered again applies nothing.
    clock.advance(PAST_GRACE);
    expect((await rt.reconciler.reconcile()).findings).toEqual([]);
    const release = (await outboxOf(store, 'po-r4')).filter((m) => m.type === 'CompensateStep');
    expect(release).toHaveLength(2);
    const [row] = await store.query<Record<string, unknown>>('SELECT * FROM outbox WHERE message_id = $1', [release[0]?.messageId]);
    await rt.components.consume([{
      messageId: String(row?.message_id), kind: 'command', type: 'CompensateStep', schemaVersion: 1, destination: String(row?.destination),
      orderingKey: String(row?.ordering_key), correlationId: String(row?.correlation_id), causationId: null, productOrderId: 'po-r4',
      productOrderItemId: (row?.product_order_item_id as string | null) ?? null, sagaId: (row?.saga_id as string | null) ?? null,
      stepId: (row?.step_id as string | null) ?? null, idempotencyKey: String(row?.idempotency_key),
      payload: (typeof row?.payload === 'string' ? JSON.parse(row.payload) : row?.payload) as Record<string, unknown>, createdAt: clock.now().toISOString(),
    }]);
    await rt.settle();
    expect(await available()).toBe(2);
    expect(await findingRows()).toBe(2);
    expect(rt.components.countsOf('resource-inventory')).toMatchObject({ duplicates: 1 });
    await expectCustomerFacingClean(store, 'po-r4');
  });

  it('saga waiting beyond its timeout with its timer lost: the timer is armed again, the engine reconciles, applied once', async () => {
    const rt = await start();
    await rt.submitOrder(mobileOrder('po-r5'), { scenario: { steps: { hlr: { outcome: 'timeout' } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-r5')).hlr).toBe('STARTED');
    // Tampered: the step's timer row is lost.
    await store.query(`DELETE FROM timer WHERE step_id = 'hlr'`);
    clock.advance(120_000 + PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{ kind: 'saga-waiting-beyond-timeout', action: 'retried', stepId: 'hlr', seen: { timerDueAt: null, timeoutMs: 120_000 } }]);
    await rt.settle();
    expect(await orderState('po-r5')).toBe('completed');
    expect(await applied('activation-gateway', 'hlr')).toBe(1);
    await expectCustomerFacingClean(store, 'po-r5');
  });

  it('product order in progress but no active saga: its acceptance, lost, is delivered again by another process', async () => {
    const rt = await start();
    await rt.submitOrder(mobileOrder('po-r6'));
    // Tampered: the acceptance never leaves the outbox (this process stops before relaying it).
    await store.query(`DELETE FROM outbox_pending WHERE ordering_key = 'po-r6'`);
    const other = new Runtime({ store, clock, workerId: 'worker-b', reconcileIntervalMs: 0 });
    try {
      await other.registerPlans(plans as CompiledPlan[]);
      clock.advance(PAST_GRACE);
      const report = await other.reconciler.reconcile();
      expect(report.findings).toMatchObject([{ kind: 'order-without-active-saga', action: 'repaired', productOrderId: 'po-r6', seen: { orderState: 'acknowledged', sagas: [] } }]);
      await other.settle();
      expect(await orderState('po-r6')).toBe('completed');
      expect(await applied('resource-inventory')).toBe(2);
      await expectCustomerFacingClean(store, 'po-r6');
    } finally {
      await other.stop();
    }
  });

  it('service inventory active but product inventory pending: the states are derived again', async () => {
    const rt = await start();
    await rt.submitOrder(mobileOrder('po-r7'));
    await rt.settle();
    expect(await orderState('po-r7')).toBe('completed');
    const before = Number((await one<{ n: string }>(store, 'SELECT count(*) AS n FROM component_ledger')).n);
    // Tampered: the item and the order put back in progress.
    await store.query(`UPDATE product_order_item SET state = 'inProgress' WHERE product_order_id = 'po-r7'`);
    await store.query(`UPDATE product_order SET state = 'inProgress' WHERE id = 'po-r7'`);
    await bump('po-r7');
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{ kind: 'service-active-product-pending', action: 'repaired', stepId: 'inventory', seen: { itemState: 'inProgress' } }]);
    expect(await orderState('po-r7')).toBe('completed');
    expect(Number((await one<{ n: string }>(store, 'SELECT count(*) AS n FROM component_ledger')).n)).toBe(before);
    // Completed as announced before: the row is put right, the order's fact not published again.
    await rt.settle();
    expect((await outboxOf(store, 'po-r7')).filter((m) => m.type === 'ProductOrderCompleted')).toHaveLength(1);
    expect((await store.query(`SELECT 1 FROM audit_trail WHERE product_order_id = 'po-r7' AND type = 'ProductOrderStateChanged' AND payload->>'to' = 'completed'`))).toHaveLength(1);
    expect(await store.query(`SELECT state FROM product_order_item WHERE product_order_id = 'po-r7'`)).toEqual([{ state: 'completed' }]);
    expect((await projectOrder(store, rt.registry, 'po-r7'))?.reconciliation).toMatchObject([{ kind: 'service-active-product-pending', action: 'repaired' }]);
    expect((await rt.reconciler.reconcile()).findings).toEqual([]);
    await expectCustomerFacingClean(store, 'po-r7');
  });

  it('the order\'s state derived again publishes its fact when it really changes from the one announced, once', async () => {
    const rt = await start();
    // Mobile billed on the customer's acceptance, blocking: the service inventory is active, the
    // saga waits for the signal, the order is announced in progress.
    const sample = plans.find((p) => p.planId === 'MobilePostpaid') as CompiledSinglePlan;
    const { hash: _hash, ...rest } = { ...sample, planVersion: sample.planVersion + 1, billing: { trigger: 'customer_acceptance' as const, scheduledFrom: null, blocksCompletion: true } };
    const plan = { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
    await rt.submitOrder(mobileOrder('po-r11'), { plans: [plan] });
    await rt.settle();
    expect(await orderState('po-r11')).toBe('inProgress');
    expect((await stepStates(store, 'po-r11')).inventory).toBe('SUCCEEDED');
    // Tampered: the saga's row says it completed (the order and its item were never told).
    await store.query(`UPDATE saga SET state = 'COMPLETED' WHERE product_order_id = 'po-r11'`);
    await bump('po-r11');
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.findings).toMatchObject([{ kind: 'service-active-product-pending', action: 'repaired', seen: { itemState: 'inProgress', orderState: 'inProgress' } }]);
    await rt.settle();
    expect(await orderState('po-r11')).toBe('completed');
    expect((await outboxOf(store, 'po-r11')).filter((m) => m.type === 'ProductOrderCompleted')).toHaveLength(1);
    // Derived again: nothing changes, nothing is published.
    await store.query(`UPDATE product_order SET state = 'inProgress' WHERE id = 'po-r11'`);
    await bump('po-r11');
    clock.advance(PAST_GRACE);
    expect((await rt.reconciler.reconcile()).findings).toMatchObject([{ kind: 'order-without-active-saga', action: 'repaired', seen: { orderState: 'inProgress' } }]);
    await rt.settle();
    expect(await orderState('po-r11')).toBe('completed');
    expect((await outboxOf(store, 'po-r11')).filter((m) => m.type === 'ProductOrderCompleted')).toHaveLength(1);
    clock.advance(PAST_GRACE);
    expect((await rt.reconciler.reconcile()).findings).toEqual([]);
  });

  it('billing missing, billing without service, notified without verification: alerted, nothing sent', async () => {
    const rt = await start();
    for (const id of ['po-b', 'po-i', 'po-v']) await rt.submitOrder(mobileOrder(id));
    await rt.settle();
    // Tampered: the billing system loses po-b's readiness; the service inventory loses po-i's
    // service; po-v's verification is recorded as failed.
    await store.query(`DELETE FROM component_ledger WHERE owner = 'billing' AND product_order_id = 'po-b'`);
    await store.query(`DELETE FROM component_ledger WHERE owner = 'inventory' AND product_order_id = 'po-i'`);
    await store.query(`UPDATE saga_step SET state = 'FAILED', outcome = 'verification_failed' WHERE kind = 'verification'
                        AND saga_id IN (SELECT id FROM saga WHERE product_order_id = 'po-v')`);
    await bump('po-v');
    const ledgerBefore = Number((await one<{ n: string }>(store, 'SELECT count(*) AS n FROM component_ledger')).n);
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.needsPerson).toBe(true);
    const byOrder = Object.fromEntries(report.findings.map((f) => [f.productOrderId, { kind: f.kind, action: f.action, stepId: f.stepId }]));
    expect(byOrder).toEqual({
      'po-b': { kind: 'product-active-billing-missing', action: 'alerted', stepId: 'billing' },
      'po-i': { kind: 'billing-active-service-not-active', action: 'alerted', stepId: 'billing' },
      'po-v': { kind: 'notified-verification-failed', action: 'alerted', stepId: 'notify' },
    });
    await rt.settle();
    expect(Number((await one<{ n: string }>(store, 'SELECT count(*) AS n FROM component_ledger')).n)).toBe(ledgerBefore);
    for (const id of ['po-b', 'po-i', 'po-v']) {
      expect(await orderState(id)).toBe('completed');
      expect((await outboxOf(store, id)).filter((m) => m.type === 'ReconciliationMismatchFound')).toHaveLength(1);
      expect((await projectOrder(store, rt.registry, id))?.reconciliation).toMatchObject([{ action: 'alerted' }]);
      await expectCustomerFacingClean(store, id);
    }
  });

  it('a dry run finds and reports, and writes nothing', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-r9'), { scenario: { steps: { install: { outcome: 'timeout', applied: true } } } });
    await rt.runUntilIdle();
    clock.advance(PAST_GRACE);
    const count = async () => store.query<{ log: string; outbox: string; inbox: string }>(
      'SELECT (SELECT count(*) FROM event_log) AS log, (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM inbox) AS inbox');
    const before = await count();
    const report = await rt.reconciler.reconcile({ dryRun: true });
    expect(report).toMatchObject({ dryRun: true, needsPerson: false, findings: [{ kind: 'work-order-completed-not-updated', action: 'none' }] });
    expect(await count()).toEqual(before);
    expect(await findingRows()).toBe(0);
    expect((await stepStates(store, 'po-r9')).install).toBe('STARTED');
  });

  it('the sweeper: a timer in the database, run by pump when due, once per interval', async () => {
    const rt = await start(5 * 60_000);
    await rt.submitOrder(homeFiberOrder('po-r10'), { scenario: { steps: { install: { outcome: 'timeout', applied: true } } } });
    await rt.runUntilIdle();
    const armed = await one<{ next_due: unknown; last_run_id: string | null }>(store, 'SELECT next_due, last_run_id FROM reconciliation_schedule');
    expect(armed.last_run_id).toBeNull();
    expect(await findingRows()).toBe(0);
    clock.advance(5 * 60_000);
    await rt.runUntilIdle();
    expect(await reconciliationFindings(store)).toMatchObject([{ kind: 'work-order-completed-not-updated', action: 'repaired' }]);
    const ran = await one<{ last_run_id: string | null }>(store, 'SELECT last_run_id FROM reconciliation_schedule');
    expect(ran.last_run_id).toMatch(/^rec-/);
    await rt.settle();
    expect(await orderState('po-r10')).toBe('completed');
    expect(await applied('workforce')).toBe(1);
    await expectCustomerFacingClean(store, 'po-r10');
  });
});
