// Amendment (§19), the §30 rows "amendment changes appointment" (replan the appointment and the
// work order only) and "amendment changes speed after activation" (refused with the plan's text:
// a modify order instead, which then runs), on every store. Each asserts the request and its
// lineage, the compensations issued, the commands per step (new idempotency keys for the replanned
// ones only, carrying the delta), the components' ledgers, and that a refusal writes nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { amendmentRequests } from '../../runtime/engine/amendment.js';
import { cancelRequests } from '../../runtime/engine/cancellation.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, expectCustomerFacingClean, homeFiberOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

const LONG = 3_600_000;

describe.each(stores)('amendment on $name', (storeUnderTest) => {
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
  /** The forward commands sent per step (compensations apart), with their keys and payloads. */
  const commands = async (id: string) => store.query<{ step_id: string; type: string; idempotency_key: string; payload: Record<string, unknown> }>(
    `SELECT step_id, type, idempotency_key, payload FROM outbox WHERE product_order_id = $1 AND kind = 'command' ORDER BY seq`, [id]);
  const countsPerStep = async (id: string) => {
    const counts: Record<string, number> = {};
    for (const c of await commands(id)) if (c.type !== 'CompensateStep' && c.type !== 'ReadTargetState') counts[c.step_id] = (counts[c.step_id] ?? 0) + 1;
    return counts;
  };
  const compensations = async (id: string) => (await outboxOf(store, id)).filter((m) => m.type === 'CompensateStep').map((m) => m.stepId);
  const ledger = async (owner: string) => store.query<{ command_type: string; applied: boolean; idempotency_key: string; reply: Record<string, unknown> }>(
    'SELECT command_type, applied, idempotency_key, reply FROM component_ledger WHERE owner = $1 ORDER BY recorded_at, idempotency_key', [owner]);
  /** Everything an order has written: a refusal must leave it as it was. */
  const footprint = async (id: string) => ({
    audit: (await store.query('SELECT 1 FROM audit_trail WHERE product_order_id = $1', [id])).length,
    outbox: (await store.query('SELECT 1 FROM outbox WHERE product_order_id = $1', [id])).length,
    requests: (await store.query('SELECT 1 FROM amendment_request WHERE product_order_id = $1', [id])).length,
    order: await store.query('SELECT state, version FROM product_order WHERE id = $1', [id]),
    items: await store.query('SELECT state, characteristics FROM product_order_item WHERE product_order_id = $1 ORDER BY id', [id]),
    steps: await store.query(
      'SELECT st.step_id, st.state, st.idempotency_key FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = $1 ORDER BY st.step_id', [id]),
  });

  it('amendment changes appointment: the old appointment is cancelled, install_slot and install run again with the delta, nothing else', async () => {
    const rt = await start();
    // The appointment is answered an hour late: the customer changes the date meanwhile.
    await rt.submitOrder(homeFiberOrder('po-a1', { preferredDate: '2026-12-01' }), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect(await stepStates(store, 'po-a1')).toMatchObject({ ont: 'SUCCEEDED', router: 'SUCCEEDED', install_slot: 'STARTED', install: 'NOT_STARTED' });
    const sagaId = (await one<{ id: string }>(store, `SELECT id FROM saga WHERE product_order_id = 'po-a1'`)).id;
    // Two amendments at once: the order's lock lets one in, the other finds it in progress.
    const [first, second] = await Promise.all([
      rt.engine.amend({ productOrderId: 'po-a1', itemId: '1', change: 'appointment', with: { preferredDate: '2026-12-08' }, id: 'am-1', requestedBy: 'crm' }),
      rt.engine.amend({ productOrderId: 'po-a1', itemId: '1', change: 'appointment', with: { preferredDate: '2026-12-09' }, id: 'am-2' }),
    ]);
    const results = [first, second];
    const accepted = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(accepted).toHaveLength(1);
    expect(refused).toEqual([expect.objectContaining({ ok: false, code: 'refused', field: 'item', problem: expect.stringMatching(/still in progress/) })]);
    const request = accepted[0];
    if (!request?.ok) throw new Error('refused');
    const date = request.request.id === 'am-1' ? '2026-12-08' : '2026-12-09';
    expect(request.request).toMatchObject({
      state: 'inProgress', change: 'appointment', itemId: '1', delta: { preferredDate: { old: '2026-12-01', new: date } }, lineage: [],
    });
    expect(await amendmentRequests(store, 'po-a1')).toHaveLength(1);
    // Nothing is undone while the appointment's outcome is unknown.
    await rt.runUntilIdle();
    expect(await compensations('po-a1')).toEqual([]);
    await rt.settle();
    expect(await orderState('po-a1')).toBe('completed');
    // The old appointment was cancelled by its declared compensation, once.
    expect(await compensations('po-a1')).toEqual(['install_slot']);
    const appointments = await ledger('appointment');
    expect(appointments.filter((l) => l.command_type === 'CompensateStep' && l.applied)).toHaveLength(1);
    // install_slot ran again under a new key with the delta; install ran (once) with it too.
    const sent = await commands('po-a1');
    const slot = sent.filter((c) => c.step_id === 'install_slot' && c.type !== 'CompensateStep');
    expect(slot.map((c) => c.idempotency_key)).toEqual([`${sagaId}/install_slot/0`, `${sagaId}/install_slot/1`]);
    expect(slot[0]?.payload.delta).toBeUndefined();
    expect(slot[1]?.payload).toMatchObject({ delta: { preferredDate: { old: '2026-12-01', new: date } }, characteristics: { preferredDate: date } });
    const install = sent.filter((c) => c.step_id === 'install');
    // install had not run: its first run, under its first key, with the delta.
    expect(install.map((c) => c.idempotency_key)).toEqual([`${sagaId}/install/0`]);
    expect(install[0]?.payload).toMatchObject({ delta: { preferredDate: { old: '2026-12-01', new: date } } });
    // The component applied the new appointment once under the new key, and recorded the delta.
    const booked = appointments.find((l) => l.idempotency_key === `${sagaId}/install_slot/1`);
    expect(booked).toMatchObject({ applied: true, reply: { delta: { preferredDate: { old: '2026-12-01', new: date } } } });
    // No other step ran again.
    expect(await countsPerStep('po-a1')).toEqual({
      internet: 1, ont: 1, router: 1, install_slot: 2, install: 1, network: 1, verify: 1, inventory: 1, billing: 1, notify: 1,
    });
    expect(sent.filter((c) => c.step_id !== 'install_slot' && c.step_id !== 'install').every((c) => c.payload.delta === undefined)).toBe(true);
    // The lineage: which request changed which step, from which attempt and key.
    const [done] = await amendmentRequests(store, 'po-a1');
    expect(done).toMatchObject({
      state: 'done', requestedBy: request.request.requestedBy,
      lineage: [{ stepId: 'install_slot', fromAttempt: 1, fromKey: `${sagaId}/install_slot/0`, toKey: `${sagaId}/install_slot/1` }],
    });
    const audit = await store.query<{ type: string }>(
      `SELECT type FROM audit_trail WHERE product_order_id = 'po-a1' AND type LIKE 'Amendment%' ORDER BY occurred_at`);
    expect(audit.map((a) => a.type)).toEqual(['AmendmentRequested', 'AmendmentRequestStateChanged', 'AmendmentRequestStateChanged']);
    const facts = (await outboxOf(store, 'po-a1')).filter((m) => m.kind === 'event').map((m) => m.type);
    expect(facts).toEqual(expect.arrayContaining(['ProductOrderItemAmended', 'StepReplanned']));
    expect((await one<{ characteristics: Record<string, unknown> }>(store, `SELECT characteristics FROM product_order_item WHERE product_order_id = 'po-a1'`))
      .characteristics).toMatchObject({ preferredDate: date });
  });

  it('amendment changes appointment after a no-access visit: the held work order is replanned too, the fallout case closed', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a2'), { scenario: { steps: { install: { outcome: 'no_access', reason: 'nobody home' } } } });
    await rt.settle();
    expect(await orderState('po-a2')).toBe('held');
    expect(await stepStates(store, 'po-a2')).toMatchObject({ install_slot: 'SUCCEEDED', install: 'WAITING' });
    const sagaId = (await one<{ id: string }>(store, `SELECT id FROM saga WHERE product_order_id = 'po-a2'`)).id;
    const result = await rt.engine.amend({ productOrderId: 'po-a2', itemId: '1', change: 'appointment', with: { preferredDate: '2027-01-04' } });
    if (!result.ok) throw new Error(result.problem);
    // The old appointment is being cancelled; the held work order is abandoned with its case.
    expect(result.request.state).toBe('inProgress');
    expect((await one<{ state: string }>(store, `SELECT state FROM fallout_case WHERE product_order_id = 'po-a2'`)).state).toBe('CANCELLED');
    await rt.settle();
    expect(await orderState('po-a2')).toBe('completed');
    expect(await compensations('po-a2')).toEqual(['install_slot']);
    const [done] = await amendmentRequests(store, 'po-a2');
    expect(done).toMatchObject({
      state: 'done', delta: { preferredDate: { old: null, new: '2027-01-04' } },
      lineage: [
        { stepId: 'install_slot', fromAttempt: 1, fromKey: `${sagaId}/install_slot/0`, toKey: `${sagaId}/install_slot/1` },
        { stepId: 'install', fromAttempt: 1, fromKey: `${sagaId}/install/0`, toKey: `${sagaId}/install/1` },
      ],
    });
    // The work order: the failed visit under the old key, the new one applied once under the new key.
    const workforce = await ledger('workforce');
    expect(workforce.map((l) => [l.idempotency_key, l.applied])).toEqual([[`${sagaId}/install/0`, false], [`${sagaId}/install/1`, true]]);
    expect(await countsPerStep('po-a2')).toMatchObject({ internet: 1, ont: 1, router: 1, install_slot: 2, install: 2, network: 1 });
  });

  it('amendment changes speed after activation: refused with the plan\'s text, nothing written; the speed change order runs', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a3', { downloadMbps: 1000 }));
    await rt.settle();
    expect(await orderState('po-a3')).toBe('completed');
    const before = await footprint('po-a3');
    const refused = await rt.engine.amend({ productOrderId: 'po-a3', itemId: '1', change: 'speed', with: { downloadMbps: 2000 } });
    expect(refused).toEqual({ ok: false, code: 'refused', field: 'change', problem: 'change: the line is active: place a speed change order' });
    expect(await footprint('po-a3')).toEqual(before);
    // The modify order the text points to.
    const modify = await rt.submitOrder({
      id: 'po-a3-speed', relatedParty: [{ id: 'cust-42', role: 'customer' }],
      productOrderItem: [{
        id: '1', action: 'modify', productOffering: { id: 'FIBER_SPEED_CHANGE' },
        product: { productCharacteristic: [{ name: 'downloadMbps', value: 2000 }] },
      }],
    });
    expect(modify).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-a3-speed')).toBe('completed');
    expect(await stepStates(store, 'po-a3-speed')).toMatchObject({ profile: 'SUCCEEDED', verify: 'SUCCEEDED', notify: 'SUCCEEDED' });
    expect(await orderState('po-a3')).toBe('completed');
  });

  it('a speed change before activation is allowed: the item takes the new value, the steps not started carry the delta', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a4', { downloadMbps: 1000 }), { scenario: { steps: { install: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect(await stepStates(store, 'po-a4')).toMatchObject({ install: 'STARTED', network: 'NOT_STARTED' });
    const result = await rt.engine.amend({ productOrderId: 'po-a4', itemId: '1', change: 'speed', with: { downloadMbps: 2000 } });
    if (!result.ok) throw new Error(result.problem);
    // Nothing to run again: done at once, no lineage.
    expect(result.request).toMatchObject({ state: 'done', delta: { downloadMbps: { old: 1000, new: 2000 } }, lineage: [] });
    expect(await amendmentRequests(store, 'po-a4')).toEqual([result.request]);
    await rt.settle();
    expect(await orderState('po-a4')).toBe('completed');
    expect(await compensations('po-a4')).toEqual([]);
    const sent = await commands('po-a4');
    const network = sent.find((c) => c.step_id === 'network');
    expect(network?.payload).toMatchObject({ characteristics: { downloadMbps: 2000 }, delta: { downloadMbps: { old: 1000, new: 2000 } } });
    // The running work order is not touched; nothing ran twice.
    expect(sent.find((c) => c.step_id === 'install')?.payload.delta).toBeUndefined();
    expect(Object.values(await countsPerStep('po-a4')).every((n) => n === 1)).toBe(true);
    // Once the network step has started, the same change is refused.
    expect(await rt.engine.amend({ productOrderId: 'po-a4', itemId: '1', change: 'speed', with: { downloadMbps: 500 } }))
      .toMatchObject({ ok: false, code: 'refused', problem: 'change: the line is active: place a speed change order' });
  });

  it('bad input is refused naming the field, and nothing is written', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a5'), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    const before = await footprint('po-a5');
    const amend = (input: Record<string, unknown>) => rt.engine.amend({
      productOrderId: 'po-a5', itemId: '1', change: 'appointment', with: { preferredDate: '2026-12-08' }, ...input,
    } as never);
    expect(await amend({ productOrderId: 'po-nope' })).toMatchObject({ ok: false, code: 'not-found', field: 'productOrderId' });
    expect(await amend({ itemId: '9' })).toMatchObject({ ok: false, code: 'not-found', field: 'item', problem: expect.stringMatching(/no item 9 \(its items: 1\)/) });
    expect(await amend({ change: 'colour' })).toMatchObject({
      ok: false, code: 'invalid', field: 'change', problem: expect.stringMatching(/no amendment 'colour' \(did you mean: appointment, speed\?\)/),
    });
    for (const bad of [null, [], 'x', 42]) {
      expect(await amend({ with: bad })).toMatchObject({ ok: false, code: 'invalid', field: 'with' });
    }
    expect(await amend({ with: {} })).toMatchObject({ ok: false, code: 'invalid', field: 'with' });
    expect(await amend({ with: { preferredDate: { day: 8 } } })).toMatchObject({ ok: false, code: 'invalid', field: 'with.preferredDate' });
    expect(await amend({ change: '' })).toMatchObject({ ok: false, code: 'invalid', field: 'change' });
    expect(await footprint('po-a5')).toEqual(before);
    // A second amendment while the first is in progress: refused, nothing more written.
    const first = await amend({ id: 'am-5' });
    expect(first).toMatchObject({ ok: true, request: { state: 'inProgress' } });
    const during = await footprint('po-a5');
    expect(await amend({ with: { preferredDate: '2026-12-09' } })).toMatchObject({ ok: false, code: 'refused', field: 'item', problem: expect.stringMatching(/am-5 .* still in progress/) });
    // The same request again is the same request.
    expect(await amend({ id: 'am-5' })).toMatchObject({ ok: true, duplicate: true, request: { id: 'am-5' } });
    expect(await footprint('po-a5')).toEqual(during);
  });

  it('an appointment change while the technician is dispatched is refused: undoing the dispatch needs approval, that is a cancellation', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a6'), { scenario: { steps: { install: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    expect((await stepStates(store, 'po-a6')).install).toBe('STARTED');
    const before = await footprint('po-a6');
    expect(await rt.engine.amend({ productOrderId: 'po-a6', itemId: '1', change: 'appointment', with: { preferredDate: '2027-02-01' } })).toEqual({
      ok: false, code: 'refused', field: 'change',
      problem: 'change: install is running and undoing it requires approval: cancel the item instead (o2a cancel), or amend before install runs',
    });
    expect(await footprint('po-a6')).toEqual(before);
    await rt.settle();
    expect(await orderState('po-a6')).toBe('completed');
    expect(await compensations('po-a6')).toEqual([]);
  });

  it('an undo that keeps failing raises a fallout case; resumed, it is sent again and the amendment is done', async () => {
    const rt = await start();
    const plan = plans.find((p) => p.planId === 'HomeFiber1G');
    if (!plan || plan.kind !== 'plan') throw new Error('no HomeFiber1G');
    const sends = 1 + (plan.steps.find((s) => s.id === 'install_slot')?.retry.maxRetries ?? 0);
    const refusals = [...Array.from({ length: sends }, () => ({ outcome: 'rejected', reason: 'scheduling system down' })), { outcome: 'success' }];
    await rt.submitOrder(homeFiberOrder('po-a7'), { scenario: { steps: { install_slot: { delayMs: LONG }, 'install_slot:compensate': refusals } } });
    await rt.runUntilIdle();
    const result = await rt.engine.amend({ productOrderId: 'po-a7', itemId: '1', change: 'appointment', with: { preferredDate: '2027-02-02' } });
    if (!result.ok) throw new Error(result.problem);
    await rt.settle();
    expect(await compensations('po-a7')).toEqual(Array.from({ length: sends }, () => 'install_slot'));
    expect(await orderState('po-a7')).toBe('held');
    expect((await amendmentRequests(store, 'po-a7'))[0]).toMatchObject({ state: 'inProgress' });
    const [fallout] = await store.query<{ id: string; failed_step_id: string; failure_reason: string }>(
      `SELECT id, failed_step_id, failure_reason FROM fallout_case WHERE product_order_id = 'po-a7' AND state = 'OPEN'`);
    expect(fallout).toMatchObject({ failed_step_id: 'install_slot', failure_reason: expect.stringMatching(/compensation_failed/) });
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-a7')).toBe('completed');
    expect(await compensations('po-a7')).toHaveLength(sends + 1);
    expect((await ledger('appointment')).filter((l) => l.command_type === 'CompensateStep' && l.applied)).toHaveLength(1);
    expect((await amendmentRequests(store, 'po-a7'))[0]).toMatchObject({ state: 'done', lineage: [expect.objectContaining({ stepId: 'install_slot' })] });
    expect(await countsPerStep('po-a7')).toMatchObject({ install_slot: 2, install: 1 });
  });

  it('an order cancelled while an amendment undoes the appointment: the amendment ends cancelled, nothing is undone twice', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-a8'), { scenario: { steps: { install_slot: { delayMs: LONG } } } });
    await rt.runUntilIdle();
    const amended = await rt.engine.amend({ productOrderId: 'po-a8', itemId: '1', change: 'appointment', with: { preferredDate: '2027-02-03' }, id: 'am-8' });
    expect(amended).toMatchObject({ ok: true, request: { state: 'inProgress' } });
    const cancelled = await rt.engine.cancel({ productOrderId: 'po-a8', id: 'cancel-8' });
    expect(cancelled).toMatchObject({ ok: true, request: { state: 'inProgress', decisions: [{ rule: 'after ont', action: 'compensate' }] } });
    expect((await amendmentRequests(store, 'po-a8'))[0]).toMatchObject({
      id: 'am-8', state: 'cancelled', message: 'item 1 was cancelled (cancel request cancel-8) before the amendment was carried out',
    });
    await rt.settle();
    expect(await orderState('po-a8')).toBe('cancelled');
    expect((await cancelRequests(store, 'po-a8'))[0]).toMatchObject({ id: 'cancel-8', state: 'done' });
    // The appointment undone once (by the cancellation), then the equipment, last step first; install never ran.
    expect(await compensations('po-a8')).toEqual(['install_slot', 'router', 'ont']);
    expect((await ledger('appointment')).filter((l) => l.command_type === 'CompensateStep' && l.applied)).toHaveLength(1);
    expect(await countsPerStep('po-a8')).toMatchObject({ install_slot: 1 });
    expect((await countsPerStep('po-a8')).install).toBeUndefined();
    // A second amendment of the cancelled item is refused.
    expect(await rt.engine.amend({ productOrderId: 'po-a8', itemId: '1', change: 'appointment', with: { preferredDate: '2027-02-04' } }))
      .toMatchObject({ ok: false, code: 'refused' });
    const events = (await outboxOf(store, 'po-a8')).filter((m) => m.type === 'ProductOrderAmendmentStateChangeEvent');
    expect(events).toHaveLength(2);
  });
});
