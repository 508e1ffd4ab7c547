// Reconciliation (§22), on every store: each mismatch made for real where the simulated components
// allow it (a component applies its side effect and records its answer, the answer never reaches
// the engine: a scenario `{ outcome: 'timeout', applied: true }`; a timed-out reservation retried
// under a new key leaves its first unit behind), by tampering with rows otherwise (said where).
// Each asserts the finding (kind, action), the repair's effect, and that no side effect was
// applied twice (the components' ledgers). With the §31.4 row "reconciliation detects mismatch".
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { replyId } from '../../runtime/adapters/simulated.js';
import { ManualClock } from '../../runtime/clock.js';
import { reconciliationFindings } from '../../runtime/engine/reconciliation.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, one, outboxOf, samplePlans, stepStates, storesUnderTest } from './harness.js';

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
  });

  it('a unit left reserved under a key no step uses: alerted once, with the public fact, nothing released', async () => {
    const rt = await start();
    // The SIM is reserved, the answer lost; the step times out and retries under a new key.
    await rt.submitOrder(mobileOrder('po-r4'), { scenario: { steps: { sim: { outcome: 'timeout', applied: true } } } });
    await rt.settle();
    expect(await orderState('po-r4')).toBe('completed');
    expect((await store.query(`SELECT 1 FROM component_resource_unit WHERE spec = 'SIM_CARD' AND state = 'RESERVED'`)).length).toBe(2);
    clock.advance(PAST_GRACE);
    const report = await rt.reconciler.reconcile();
    expect(report.needsPerson).toBe(true);
    expect(report.findings).toMatchObject([{ kind: 'resource-reserved-no-progress', action: 'alerted', subject: 'unit SIM_CARD-00001', stepId: 'sim' }]);
    await rt.runUntilIdle();
    expect((await outboxOf(store, 'po-r4')).filter((m) => m.type === 'ReconciliationMismatchFound')).toMatchObject([{ destination: 'events', published: true }]);
    // Seen again: still standing (a person must act), not recorded nor announced again.
    const again = await rt.reconciler.reconcile();
    expect(again.findings).toMatchObject([{ kind: 'resource-reserved-no-progress', action: 'alerted', alertedBefore: true }]);
    expect(again.needsPerson).toBe(true);
    expect(await findingRows()).toBe(1);
    expect((await store.query(`SELECT 1 FROM component_resource_unit WHERE spec = 'SIM_CARD' AND state = 'RESERVED'`)).length).toBe(2);
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
  });
});
