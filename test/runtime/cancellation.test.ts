// Cancellation (§18), the §30 rows "cancel before reservation", "cancel after reservation" and
// "cancel after activation", on every store, with what the plan's cancel rules say: stop,
// compensate (in reverse dependency order, units back to their pool or to quarantine), compensate
// after an approval, reject with the plan's text. Each asserts the order, item and request states,
// the compensations issued (and none that should not be) and the components' ledgers.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { approvals, cancelRequests } from '../../runtime/engine/cancellation.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, expectCustomerFacingClean, homeFiberOrder, mobileOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

const LONG = 3_600_000;

describe.each(stores)('cancellation on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => {
    if (!runtime) return;
    // §23: whatever happened, no customer-facing text of any order of the test names an internal state.
    for (const { id } of await store.query<{ id: string }>('SELECT id FROM product_order ORDER BY id')) await expectCustomerFacingClean(store, id);
    await disposeRuntime(runtime);
    runtime = undefined;
  });

  async function start(): Promise<Runtime> {
    const opened = await newRuntime(storeUnderTest, { plans });
    runtime = opened.runtime;
    store = opened.store;
    return runtime;
  }

  const orderState = async (id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;
  /** The compensations a cancellation sent (not reconciliation's release of a unit a retry left behind: `<key>/release`). */
  const compensations = async (id: string) => (await outboxOf(store, id))
    .filter((m) => m.type === 'CompensateStep' && !m.idempotencyKey?.endsWith('/release')).map((m) => m.stepId);
  const ledger = async (owner: string) => store.query<{ command_type: string; applied: boolean; idempotency_key: string }>(
    'SELECT command_type, applied, idempotency_key FROM component_ledger WHERE owner = $1 ORDER BY recorded_at, idempotency_key', [owner]);

  it('cancel before fulfillment started (order taken, not yet accepted): cancelled at once, no saga ever starts', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c0'));
    const result = await rt.engine.cancel({ productOrderId: 'po-c0' });
    expect(result).toMatchObject({ ok: true, request: { state: 'done', decisions: [] } });
    await rt.settle();
    expect(await orderState('po-c0')).toBe('cancelled');
    expect(await store.query(`SELECT 1 FROM saga WHERE product_order_id = 'po-c0'`)).toEqual([]);
    expect((await outboxOf(store, 'po-c0')).filter((m) => m.kind === 'command' && m.destination !== 'engine')).toEqual([]);
  });

  it('cancel before reservation: the saga stops, nothing is compensated, the request is done', async () => {
    const rt = await start();
    // The service order item is answered an hour late: the cancel arrives while it runs.
    await rt.submitOrder(homeFiberOrder('po-c1'), { scenario: { steps: { internet: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-c1')).internet).toBe('STARTED');
    const result = await rt.engine.cancel({ productOrderId: 'po-c1', reason: 'customer changed their mind', requestedBy: 'crm' });
    expect(result).toMatchObject({ ok: true, duplicate: false });
    if (!result.ok) throw new Error('refused');
    expect(result.request).toMatchObject({ state: 'done', decisions: [{ itemId: '1', rule: 'before ont', action: 'stop' }] });
    expect(await orderState('po-c1')).toBe('cancelled');
    await rt.settle();
    expect(await orderState('po-c1')).toBe('cancelled');
    expect(await stepStates(store, 'po-c1')).toMatchObject({ internet: 'FAILED', ont: 'NOT_STARTED', install_slot: 'NOT_STARTED' });
    expect(await compensations('po-c1')).toEqual([]);
    expect((await ledger('resource-inventory')).length).toBe(0);
    const view = await projectOrder(store, rt.registry, 'po-c1');
    expect(view?.customerVisibleStatus).toBe('Cancelled');
    // The late answer of the abandoned step is refused, not applied to a cancelled order.
    expect((await store.query(`SELECT 1 FROM audit_trail WHERE product_order_id = 'po-c1' AND type = 'MessageRefused'`)).length).toBeGreaterThan(0);
  });

  it('cancel after reservation: the running appointment is awaited, then undone with the reservations, in reverse order', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c2'), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect(await stepStates(store, 'po-c2')).toMatchObject({ ont: 'SUCCEEDED', router: 'SUCCEEDED', install_slot: 'STARTED' });
    const result = await rt.engine.cancel({ productOrderId: 'po-c2' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request).toMatchObject({ state: 'inProgress', decisions: [{ rule: 'after ont', action: 'compensate', requiresApproval: false }] });
    expect(await orderState('po-c2')).toBe('pendingCancellation');
    await rt.runUntilIdle();
    // Nothing is undone while the appointment's outcome is unknown.
    expect(await compensations('po-c2')).toEqual([]);
    await rt.settle();
    expect(await compensations('po-c2')).toEqual(['install_slot', 'router', 'ont']);
    expect(await stepStates(store, 'po-c2')).toMatchObject({
      internet: 'SUCCEEDED', ont: 'COMPENSATED', router: 'COMPENSATED', install_slot: 'COMPENSATED', install: 'NOT_STARTED',
    });
    expect(await orderState('po-c2')).toBe('cancelled');
    expect((await cancelRequests(store, 'po-c2'))[0]).toMatchObject({ state: 'done' });
    // The units are back in their pools, the reservations walked to AVAILABLE.
    expect(await store.query(`SELECT state, held_by FROM component_resource_unit ORDER BY id`)).toEqual([
      { state: 'AVAILABLE', held_by: null }, { state: 'AVAILABLE', held_by: null },
    ]);
    expect((await store.query<{ state: string }>('SELECT state FROM resource_reservation')).map((r) => r.state)).toEqual(['AVAILABLE', 'AVAILABLE']);
    // Each compensation applied once; no work order was ever created.
    expect((await ledger('appointment')).filter((l) => l.command_type === 'CompensateStep' && l.applied)).toHaveLength(1);
    expect(await ledger('workforce')).toEqual([]);
    // A unit released is taken again by the next order.
    await rt.submitOrder(homeFiberOrder('po-c2b'));
    await rt.settle();
    expect(await orderState('po-c2b')).toBe('completed');
    expect((await store.query('SELECT id FROM component_resource_unit')).length).toBe(2);
  });

  it('a number released on cancellation goes to quarantine, as the plan says', async () => {
    const rt = await start();
    await rt.submitOrder(mobileOrder('po-c3'), { scenario: { steps: { hlr: { delayMs: LONG, outcome: 'success' } } } });
    await rt.runUntilIdle();
    expect(await stepStates(store, 'po-c3')).toMatchObject({ msisdn: 'SUCCEEDED', sim: 'SUCCEEDED', hlr: 'STARTED' });
    // After hlr started: the plan says compensate, with approval.
    const result = await rt.engine.cancel({ productOrderId: 'po-c3', requestedBy: 'care' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request.decisions[0]).toMatchObject({ rule: 'after hlr', action: 'compensate', requiresApproval: true });
    await rt.settle();
    // The activation's outcome came in; nothing is undone before the approval.
    expect(await compensations('po-c3')).toEqual([]);
    const [pending] = await approvals(store, 'PENDING');
    expect(pending).toMatchObject({ productOrderId: 'po-c3', state: 'PENDING' });
    const approved = await rt.engine.approve((pending as { id: string }).id, { by: 'supervisor-7', note: 'customer moved abroad' });
    expect(approved).toMatchObject({ ok: true, approval: { state: 'APPROVED', decidedBy: 'supervisor-7' } });
    // A second decision is refused, naming who decided.
    expect(await rt.engine.approve((pending as { id: string }).id, { by: 'someone-else' })).toMatchObject({ ok: false, code: 'decided' });
    await rt.settle();
    expect(await compensations('po-c3')).toEqual(['hlr', 'sim', 'msisdn']);
    expect(await orderState('po-c3')).toBe('cancelled');
    const units = await store.query<{ id: string; state: string }>('SELECT id, state FROM component_resource_unit ORDER BY id');
    expect(units).toEqual([{ id: 'MSISDN-00001', state: 'QUARANTINED' }, { id: 'SIM_CARD-00001', state: 'AVAILABLE' }]);
    expect(await store.query(`SELECT state FROM component_network`)).toEqual([{ state: 'DEACTIVATED' }]);
    const audit = await store.query<{ type: string; payload: { by?: string } }>(
      `SELECT type, payload FROM audit_trail WHERE product_order_id = 'po-c3' AND type = 'CompensationApproved'`);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.payload.by).toBe('supervisor-7');
  });

  it('cancel after activation of Home Fiber needs approval; refused, the order goes on and completes', async () => {
    const rt = await start();
    // Verification answers after 5 minutes (its timeout is 10).
    await rt.submitOrder(homeFiberOrder('po-c4'), { scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await rt.runUntilIdle();
    expect(await stepStates(store, 'po-c4')).toMatchObject({ install: 'SUCCEEDED', network: 'SUCCEEDED', verify: 'STARTED' });
    const result = await rt.engine.cancel({ productOrderId: 'po-c4' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request.decisions[0]).toMatchObject({ rule: 'after install', action: 'compensate', requiresApproval: true });
    const [pending] = await approvals(store, 'PENDING');
    expect(await rt.engine.approve((pending as { id: string }).id, { by: 'supervisor-1', approve: false, note: 'fee not agreed' }))
      .toMatchObject({ ok: true, approval: { state: 'REFUSED' } });
    await rt.settle();
    expect(await orderState('po-c4')).toBe('completed');
    expect(await compensations('po-c4')).toEqual([]);
    expect((await cancelRequests(store, 'po-c4'))[0]).toMatchObject({ state: 'terminatedWithError', message: expect.stringMatching(/refused by supervisor-1: fee not agreed/) });
  });

  it('a cancel of a completed order is refused with the plan text; a duplicate cancel gets the first answer', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c5'));
    await rt.settle();
    expect(await orderState('po-c5')).toBe('completed');
    const refused = await rt.engine.cancel({ productOrderId: 'po-c5', id: 'cancel-77' });
    expect(refused).toMatchObject({
      ok: true, request: { id: 'cancel-77', state: 'terminatedWithError', message: 'the service is active: place a cease order instead' },
    });
    expect(await orderState('po-c5')).toBe('completed');
    const again = await rt.engine.cancel({ productOrderId: 'po-c5', id: 'cancel-77' });
    expect(again).toMatchObject({ ok: true, duplicate: true, request: { id: 'cancel-77', state: 'terminatedWithError' } });

    await rt.submitOrder(homeFiberOrder('po-c6'), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    const first = await rt.engine.cancel({ productOrderId: 'po-c6' });
    const second = await rt.engine.cancel({ productOrderId: 'po-c6' });
    if (!first.ok || !second.ok) throw new Error('refused');
    expect(second).toMatchObject({ duplicate: true, request: { id: first.request.id } });
    await rt.settle();
    expect(await compensations('po-c6')).toEqual(['install_slot', 'router', 'ont']);
  });

  it('bad input gets a clear refusal and writes nothing', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c7'), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect(await rt.engine.cancel({ productOrderId: 'po-nope' })).toMatchObject({ ok: false, code: 'not-found', field: 'productOrderId' });
    expect(await rt.engine.cancel({ productOrderId: 'po-c7', itemId: '9' }))
      .toMatchObject({ ok: false, code: 'not-found', field: 'item', problem: expect.stringMatching(/no item 9 .*its items: 1/) });
    expect(await rt.engine.cancel({ productOrderId: '' })).toMatchObject({ ok: false, code: 'invalid', field: 'productOrderId' });
    expect(await rt.engine.cancel({ productOrderId: 'po-c7', reason: 'x'.repeat(501) })).toMatchObject({ ok: false, field: 'reason' });
    expect(await rt.engine.approve('ap-nope', { by: 'x' })).toMatchObject({ ok: false, code: 'not-found', field: 'approval' });
    expect(await rt.engine.approve('ap-nope', { by: '' })).toMatchObject({ ok: false, code: 'invalid', field: 'by' });
    expect(await store.query('SELECT 1 FROM cancel_request')).toEqual([]);
    expect(await orderState('po-c7')).toBe('inProgress');
  });

  it('a compensation that keeps failing raises a fallout case; resumed, it is sent again and the order is cancelled', async () => {
    const rt = await start();
    // Refused six times (the first send and CpeReservation's 5 retries), then the warehouse is repaired.
    const refusals = [...Array.from({ length: 6 }, () => ({ outcome: 'rejected', reason: 'warehouse system down' })), { outcome: 'success' }];
    await rt.submitOrder(homeFiberOrder('po-c8'), { scenario: { steps: { install_slot: { delayMs: LONG }, 'ont:compensate': refusals } } });
    await rt.runUntilIdle();
    await rt.engine.cancel({ productOrderId: 'po-c8' });
    await rt.settle();
    // CpeReservation retries 5 times: 6 sends, then fallout.
    expect((await compensations('po-c8')).filter((s) => s === 'ont')).toHaveLength(6);
    expect(await orderState('po-c8')).toBe('held');
    const [fallout] = await store.query<{ id: string; failed_step_id: string; state: string; resume_command: unknown }>(
      `SELECT id, failed_step_id, state, resume_command FROM fallout_case WHERE state = 'OPEN'`);
    expect(fallout).toMatchObject({ failed_step_id: 'ont', state: 'OPEN' });
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-c8')).toBe('cancelled');
    expect((await stepStates(store, 'po-c8')).ont).toBe('COMPENSATED');
    expect((await compensations('po-c8')).filter((s) => s === 'ont')).toHaveLength(7);
    expect((await cancelRequests(store, 'po-c8'))[0]).toMatchObject({ state: 'done' });
  });

  it('removing the optional item of a bundle cancels that item only; the others complete', async () => {
    const rt = await start();
    const order = {
      id: 'po-c9', relatedParty: [{ id: 'cust-9', role: 'customer' }],
      productOrderItem: [{
        id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK' },
        product: { productCharacteristic: [{ name: 'installation', value: 'technician' }, { name: 'simType', value: 'physical' }] },
        productOrderItem: [{ id: '1.tv', action: 'add', productOffering: { id: 'OTT_STREAMING' } }],
      }],
    };
    await rt.submitOrder(order, { scenario: { steps: { account: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    const result = await rt.engine.cancel({ productOrderId: 'po-c9', itemId: '1.tv' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request.decisions).toEqual([expect.objectContaining({ itemId: '1.tv', rule: 'after account', action: 'compensate' })]);
    await rt.settle();
    const items = Object.fromEntries((await store.query<{ id: string; state: string }>(
      `SELECT id, state FROM product_order_item WHERE product_order_id = 'po-c9'`)).map((r) => [r.id, r.state]));
    expect(items).toEqual({ '1': 'completed', '1.mobile': 'completed', '1.fiber': 'completed', '1.tv': 'cancelled' });
    expect(await orderState('po-c9')).toBe('completed');
    expect(await compensations('po-c9')).toEqual(['account']);
    expect((await cancelRequests(store, 'po-c9'))[0]).toMatchObject({ state: 'done', itemId: '1.tv' });
  });

  it('a step that fails while the approval is awaited follows the plan (fallout); refused, the order is held, not stuck', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c10'), { scenario: { steps: { verify: { delayMs: 300_000, outcome: 'verification_failed' } } } });
    await rt.runUntilIdle();
    await rt.engine.cancel({ productOrderId: 'po-c10' });
    expect((await projectOrder(store, rt.registry, 'po-c10'))?.customerVisibleStatus).toBe('Cancelling your order');
    await rt.settle();
    const [pending] = await approvals(store, 'PENDING');
    await rt.engine.approve((pending as { id: string }).id, { by: 'supervisor-2', approve: false });
    await rt.settle();
    expect(await orderState('po-c10')).toBe('held');
    expect(await store.query(`SELECT failed_step_id, owner_group FROM fallout_case WHERE state = 'OPEN'`))
      .toEqual([{ failed_step_id: 'verify', owner_group: 'field-ops' }]);
  });

  it('a later cancellation announces done; a step whose own compensation requires approval waits for it', async () => {
    // Home Fiber whose `after install` rule needs no approval: the work order's own
    // `compensate cancel_dispatch requires approval` still does.
    const sample = plans.find((p) => p.planId === 'HomeFiber1G');
    if (!sample || sample.kind !== 'plan') throw new Error('no HomeFiber1G');
    const { hash: _hash, ...rest } = {
      ...sample, planVersion: sample.planVersion + 1,
      cancellation: sample.cancellation.map((r) => (r.step === 'install' ? { ...r, requiresApproval: false } : r)),
    };
    const loose = { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-c11'), { plans: [loose], scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await rt.runUntilIdle();
    const result = await rt.engine.cancel({ productOrderId: 'po-c11' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request.decisions[0]).toMatchObject({ rule: 'after install', requiresApproval: false });
    await rt.settle();
    // network undone; the work order waits for its approval.
    expect(await compensations('po-c11')).toEqual(['network']);
    const [pending] = await approvals(store, 'PENDING');
    expect(pending?.subject).toMatch(/undo install .*cancel_dispatch/);
    await rt.engine.approve((pending as { id: string }).id, { by: 'dispatch-lead' });
    await rt.settle();
    expect(await compensations('po-c11')).toEqual(['network', 'install', 'install_slot', 'router', 'ont']);
    expect(await orderState('po-c11')).toBe('cancelled');
    const events = await store.query<{ payload: { state: string } }>(
      `SELECT payload FROM outbox WHERE product_order_id = 'po-c11' AND type = 'CancelProductOrderStateChangeEvent' ORDER BY seq`);
    expect(events.map((e) => e.payload.state)).toEqual(['inProgress', 'done']);
  });

  /** Home Fiber (item 1) with its technician dispatched, and a mobile line (item 2) waiting for its SIM. */
  function twoItemOrder(id: string): unknown {
    const fiber = homeFiberOrder(id) as { productOrderItem: unknown[] };
    const mobile = (mobileOrder(id) as { productOrderItem: Record<string, unknown>[] }).productOrderItem[0];
    return { ...fiber, productOrderItem: [...fiber.productOrderItem, { ...mobile, id: '2' }] };
  }
  const slow = { scenario: { steps: { install: { delayMs: LONG }, sim: { delayMs: LONG } } } };

  it('a whole-order cancel of which one item needs approval is decided as one: refused, no item is cancelled', async () => {
    const rt = await start();
    await rt.submitOrder(twoItemOrder('po-c12'), slow);
    await rt.runUntilIdle();
    const result = await rt.engine.cancel({ productOrderId: 'po-c12', id: 'cancel-12' });
    if (!result.ok) throw new Error(result.problem);
    expect(result.request).toMatchObject({
      state: 'inProgress',
      decisions: [
        { itemId: '1', rule: 'after install', action: 'compensate', requiresApproval: true },
        { itemId: '2', rule: 'after msisdn', action: 'compensate', requiresApproval: false },
      ],
    });
    const pending = await approvals(store, 'PENDING');
    expect(pending).toEqual([expect.objectContaining({ cancelRequestId: 'cancel-12', subject: 'compensation of 1 (after install), and with it the cancellation of 2' })]);
    // Nothing is undone while the decision is awaited, not even the item that needs no approval.
    await rt.runUntilIdle();
    expect(await compensations('po-c12')).toEqual([]);
    await rt.engine.approve((pending[0] as { id: string }).id, { by: 'supervisor-3', approve: false, note: 'truck already on site' });
    await rt.settle();
    expect(await orderState('po-c12')).toBe('completed');
    expect(await compensations('po-c12')).toEqual([]);
    expect((await cancelRequests(store, 'po-c12'))[0]).toMatchObject({
      state: 'terminatedWithError', message: 'the compensation of item 1 was refused by supervisor-3: truck already on site; items 1, 2 go on',
    });
    const events = (await outboxOf(store, 'po-c12')).filter((m) => m.type === 'CancelProductOrderStateChangeEvent');
    expect(events).toHaveLength(2);
  });

  it('the same cancel approved: every item is undone as its rule says, the request is done', async () => {
    const rt = await start();
    await rt.submitOrder(twoItemOrder('po-c13'), slow);
    await rt.runUntilIdle();
    const result = await rt.engine.cancel({ productOrderId: 'po-c13' });
    if (!result.ok) throw new Error(result.problem);
    const [pending] = await approvals(store, 'PENDING');
    await rt.engine.approve((pending as { id: string }).id, { by: 'supervisor-4' });
    await rt.settle();
    expect(await orderState('po-c13')).toBe('cancelled');
    const undone = await compensations('po-c13');
    expect(undone).toEqual(expect.arrayContaining(['install', 'install_slot', 'router', 'ont', 'sim', 'msisdn']));
    expect(undone.filter((s) => s === 'install')).toHaveLength(1);
    expect((await cancelRequests(store, 'po-c13'))[0]).toMatchObject({ state: 'done' });
    expect(await approvals(store, 'PENDING')).toEqual([]);
    const items = await store.query<{ id: string; state: string }>(`SELECT id, state FROM product_order_item WHERE product_order_id = 'po-c13' ORDER BY id`);
    expect(items).toEqual([{ id: '1', state: 'cancelled' }, { id: '2', state: 'cancelled' }]);
  });
});
