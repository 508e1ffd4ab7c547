// The §30 scenario rows that need neither cancellation nor amendment, on every store.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { ManualClock } from '../../runtime/clock.js';
import { ENGINE, type Envelope } from '../../runtime/engine/messages.js';
import type { LogRow } from '../../runtime/engine/unit-of-work.js';
import { projectOrder, orderTrail } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { homeFiberFixture } from '../fixtures/runtime/plans.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, mobileOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest,
  type OutboxView,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

function expectWellFormedOutbox(outbox: OutboxView[]): void {
  const ids = outbox.map((m) => m.messageId);
  expect(new Set(ids).size).toBe(ids.length);
  for (const m of outbox) {
    expect(m.published).toBe(true);
    expect(m.correlationId).toMatch(/^ota-/);
    if (m.kind === 'command' && m.destination !== ENGINE) expect(m.idempotencyKey).toBeTruthy();
  }
}

function commands(outbox: OutboxView[], type?: string): OutboxView[] {
  return outbox.filter((m) => m.kind === 'command' && (type === undefined || m.type === type));
}

describe.each(stores)('runtime scenarios on $name', (storeUnderTest) => {
  let runtime: Runtime;
  let clock: ManualClock;
  let store: Store;

  beforeAll(async () => {
    expect(plans.length).toBeGreaterThan(0);
  });

  async function start(options: { pools?: Record<string, number>; leaseMs?: number } = {}): Promise<void> {
    ({ runtime, clock, store } = await newRuntime(storeUnderTest, options));
    await runtime.registerPlans(plans as CompiledPlan[]);
  }

  afterEach(async () => {
    if (runtime) await disposeRuntime(runtime);
  });

  afterAll(async () => {
    // PGlite instance is process-wide for this file; nothing else to close.
  });

  it('new mobile activation succeeds: resources active, activations succeeded, charging ready, customer notified', async () => {
    await start();
    const submitted = await runtime.submitOrder(mobileOrder('po-mobile-1'));
    expect(submitted).toMatchObject({ ok: true, state: 'acknowledged' });
    await runtime.settle();

    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mobile-1'])).toEqual({ state: 'completed' });
    expect(await one(store, 'SELECT state FROM saga WHERE product_order_id = $1', ['po-mobile-1'])).toEqual({ state: 'COMPLETED' });
    const states = await stepStates(store, 'po-mobile-1');
    expect(states).toMatchObject({ mobile: 'SUCCEEDED', msisdn: 'SUCCEEDED', sim: 'SUCCEEDED', hlr: 'SUCCEEDED', charging: 'SUCCEEDED', verify: 'SUCCEEDED', inventory: 'SUCCEEDED', billing: 'SUCCEEDED', notify: 'SUCCEEDED' });
    const activations = await store.query<{ state: string }>('SELECT a.state FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = $1', ['po-mobile-1']);
    expect(activations.map((a) => a.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const reservations = await store.query<{ state: string; resource_id: string }>('SELECT r.state, r.resource_id FROM resource_reservation r JOIN saga s ON s.id = r.saga_id WHERE s.product_order_id = $1 ORDER BY r.resource_id', ['po-mobile-1']);
    expect(reservations.map((r) => r.state)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(reservations.map((r) => r.resource_id)).toEqual(['MSISDN-00001', 'SIM_CARD-00001']);

    const outbox = await outboxOf(store, 'po-mobile-1');
    expectWellFormedOutbox(outbox);
    const stepCommands = commands(outbox).map((c) => `${c.stepId}:${c.type}`);
    expect(stepCommands).toEqual(expect.arrayContaining(['hlr:SubmitActivationCommand', 'charging:SubmitActivationCommand', 'billing:ConfirmBillingReadiness', 'notify:NotifyCustomer']));
    expect(stepCommands.length).toBe(Object.values(states).filter((s) => s === 'SUCCEEDED').length);
    expect(outbox.map((m) => m.type)).toEqual(expect.arrayContaining(['ProductOrderAccepted', 'ProductOrderFulfillmentStarted', 'ProductOrderCompleted']));

    expect(runtime.components.sideEffects('activation-gateway')).toBe(2);
    expect(runtime.components.sideEffects('resource-inventory')).toBe(2);
    expect(runtime.components.sideEffects('billing')).toBe(1);
    expect(runtime.components.countsOf('notification').commands).toBe(1);

    const view = await projectOrder(store, runtime.registry, 'po-mobile-1');
    expect(view).toMatchObject({ internalState: 'completed', customerVisibleStatus: 'Your line is active', currentBlockingStep: null, falloutCaseId: null, estimatedNextAction: null });
    await expectCustomerFacingClean(store, 'po-mobile-1');
  });

  it('FTTH install succeeds: appointment and work order completed, activation verified, billing ready', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-ftth-1'));
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-ftth-1'])).toEqual({ state: 'completed' });
    const states = await stepStates(store, 'po-ftth-1');
    expect(Object.values(states).every((s) => s === 'SUCCEEDED')).toBe(true);
    expect(Object.keys(states).length).toBeGreaterThanOrEqual(10);
    const install = await one<{ evidence: Record<string, string> }>(store, `SELECT st.evidence FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = $1 AND st.step_id = 'install'`, ['po-ftth-1']);
    expect(Object.keys(install.evidence)).toEqual(expect.arrayContaining(['ont_serial', 'photo']));
    const outbox = await outboxOf(store, 'po-ftth-1');
    expectWellFormedOutbox(outbox);
    // Every step command was caused by the event that made it runnable, all under one correlation id.
    const trail = await orderTrail(store, 'po-ftth-1');
    const known = new Set(trail.map((e) => e.messageId));
    for (const c of commands(outbox)) expect(known.has(c.causationId as string)).toBe(true);
    expect(new Set(outbox.map((m) => m.correlationId)).size).toBe(1);
    expect(runtime.components.snapshot()).toMatchObject({
      'resource-inventory': { applied: 2 }, appointment: { applied: 1 }, workforce: { applied: 1 }, 'activation-gateway': { applied: 1 },
      inventory: { applied: 1 }, billing: { applied: 1 },
    });
    await expectCustomerFacingClean(store, 'po-ftth-1');
  });

  it('the audit trail reads back every entry the engine committed, in order, with its ids and payload', async () => {
    await start();
    const committed: LogRow[] = [];
    runtime.onCommit((rows) => committed.push(...rows.filter((r) => r.productOrderId === 'po-trail')));
    await runtime.submitOrder(homeFiberOrder('po-trail'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    await runtime.settle();
    const [fallout] = await store.query<{ id: string }>('SELECT id FROM fallout_case WHERE product_order_id = $1', ['po-trail']);
    await runtime.resume((fallout as { id: string }).id);
    await runtime.settle();
    const trail = await orderTrail(store, 'po-trail');
    const view = (e: Omit<LogRow, 'productOrderId'>) => ({
      messageId: e.messageId, causationId: e.causationId, correlationId: e.correlationId, direction: e.direction, type: e.type,
      sagaId: e.sagaId, stepId: e.stepId, payload: e.payload, occurredAt: e.occurredAt,
    });
    expect(committed.length).toBeGreaterThan(50);
    expect(trail.map(view)).toEqual(committed.map(view));
    // Rows written in the form of migration 004 read the same.
    await store.query(
      `INSERT INTO event_log (product_order_id, correlation_id, message_id, causation_id, direction, type, saga_id, step_id, payload, occurred_at, entries)
       VALUES ('po-old', 'c-1', 'm-1', NULL, 'in', 'ProductOrderAccepted', NULL, NULL, '{}', $1, $2)`,
      [clock.now().toISOString(), JSON.stringify([
        { messageId: 'm-2', direction: 'state', type: 'SagaStarted', sagaId: 's-1', causationId: 'm-1', payload: { planId: 'p' } },
        { messageId: 'm-3', direction: 'out', type: 'CreateServiceOrder', sagaId: 's-1', stepId: 'internet', causationId: 'm-1', payload: { destination: 'service-order' } },
      ])]);
    expect((await orderTrail(store, 'po-old')).map((e) => [e.messageId, e.direction, e.type, e.sagaId, e.stepId, e.causationId, e.correlationId])).toEqual([
      ['m-1', 'in', 'ProductOrderAccepted', null, null, null, 'c-1'],
      ['m-2', 'state', 'SagaStarted', 's-1', null, 'm-1', 'c-1'],
      ['m-3', 'out', 'CreateServiceOrder', 's-1', 'internet', 'm-1', 'c-1'],
    ]);
    // Fewer rows than entries: one row per order and transaction.
    const { n } = await one<{ n: number }>(store, 'SELECT count(*)::int AS n FROM event_log WHERE product_order_id = $1', ['po-trail']);
    expect(n).toBeLessThan(committed.length / 3);
  });

  it('self-installation without a router skips the router reservation (rule over item characteristics)', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-ftth-self', { installation: 'self', routerIncluded: false }));
    await runtime.settle();
    const states = await stepStates(store, 'po-ftth-self');
    expect(states.router).toBe('SKIPPED');
    expect(states.notify).toBe('SUCCEEDED');
    expect(runtime.components.sideEffects('resource-inventory')).toBe(1);
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-ftth-self'])).toEqual({ state: 'completed' });
  });

  it('appointment no-access holds the order for the customer, with no technical failure; resume completes it', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-noaccess'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-noaccess'])).toEqual({ state: 'held' });
    expect(await one(store, 'SELECT state, held_step_id FROM saga WHERE product_order_id = $1', ['po-noaccess'])).toEqual({ state: 'HELD', held_step_id: 'install' });
    const states = await stepStates(store, 'po-noaccess');
    expect(states).toMatchObject({ install: 'WAITING', network: 'NOT_STARTED' });
    expect(Object.values(states)).not.toContain('FAILED');
    expect(runtime.components.countsOf('activation-gateway').commands).toBe(0);
    const fallout = await one<Record<string, unknown>>(store, 'SELECT * FROM fallout_case WHERE product_order_id = $1', ['po-noaccess']);
    expect(fallout).toMatchObject({ party: 'customer', owner_group: 'customer-care', failed_step_id: 'install', state: 'OPEN' });
    const view = await projectOrder(store, runtime.registry, 'po-noaccess');
    expect(view).toMatchObject({
      customerVisibleStatus: 'Action needed: please reschedule', internalState: 'held', currentBlockingStep: 'install',
      customerActionRequired: true, providerActionRequired: false, falloutCaseId: fallout.id,
    });
    await expectCustomerFacingClean(store, 'po-noaccess');

    const resumed = await runtime.resume(String(fallout.id));
    expect(resumed).toMatchObject({ ok: true, stepId: 'install' });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-noaccess'])).toEqual({ state: 'completed' });
    expect(runtime.components.snapshot().workforce).toMatchObject({ commands: 2, applied: 1 });
    expect(await runtime.resume(String(fallout.id))).toMatchObject({ ok: false });
    await expectCustomerFacingClean(store, 'po-noaccess');
  });

  it('resource reservation failed raises fallout and holds the saga; resume re-runs the step with a new key', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-resfail'), { scenario: { steps: { ont: { outcome: 'rejected', reason: 'warehouse out of stock' } } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-resfail'])).toEqual({ state: 'held' });
    expect((await stepStates(store, 'po-resfail')).ont).toBe('FAILED');
    const fallout = await one<Record<string, unknown>>(store, 'SELECT * FROM fallout_case WHERE product_order_id = $1', ['po-resfail']);
    expect(fallout).toMatchObject({ party: 'provider', owner_group: 'resource-inventory', failed_step_id: 'ont', product_order_item_id: '1' });
    for (const field of ['saga_id', 'failure_reason', 'suggested_repair', 'safe_retry', 'affected', 'sla_impact', 'resume_command']) expect(fallout[field]).toBeTruthy();
    expect(String(fallout.failure_reason)).toContain('warehouse out of stock');
    const view = await projectOrder(store, runtime.registry, 'po-resfail');
    expect(view).toMatchObject({ providerActionRequired: true, customerActionRequired: false, falloutCaseId: fallout.id, currentBlockingStep: 'ont' });

    expect(await runtime.resume(String(fallout.id))).toMatchObject({ ok: true });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-resfail'])).toEqual({ state: 'completed' });
    const ontCommands = commands(await outboxOf(store, 'po-resfail'), 'ReserveResources').filter((c) => c.stepId === 'ont');
    expect(ontCommands).toHaveLength(2);
    expect(ontCommands[0]?.idempotencyKey).not.toBe(ontCommands[1]?.idempotencyKey);
    expect(runtime.components.sideEffects('resource-inventory')).toBe(2);
    await expectCustomerFacingClean(store, 'po-resfail');
  });

  it('activation timeout then read-back success: UNKNOWN, reconciled, saga continues', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-timeout-present'), { scenario: { steps: { network: { outcome: 'timeout', applied: true } } } });
    await runtime.runUntilIdle();
    expect((await stepStates(store, 'po-timeout-present')).network).toBe('STARTED');
    let view = await projectOrder(store, runtime.registry, 'po-timeout-present');
    expect(view?.customerVisibleStatus).toBe('Activating your service');
    await expectCustomerFacingClean(store, 'po-timeout-present');
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-timeout-present'])).toEqual({ state: 'completed' });
    const trail = await orderTrail(store, 'po-timeout-present');
    const activation = trail.filter((e) => e.type === 'ActivationCommandStateChanged').map((e) => e.payload.to);
    expect(activation).toEqual(['CREATED', 'SENT', 'TIMEOUT', 'UNKNOWN', 'RECONCILED_SUCCEEDED']);
    expect(trail.filter((e) => e.stepId === 'network' && e.type === 'StepStateChanged').map((e) => e.payload.to)).toEqual(['STARTED', 'UNKNOWN', 'SUCCEEDED']);
    expect(trail.some((e) => e.type === 'FalloutCaseRaised')).toBe(false);
    const outbox = await outboxOf(store, 'po-timeout-present');
    expect(outbox.map((m) => m.type)).toEqual(expect.arrayContaining(['ActivationCommandUnknown', 'ReadTargetState']));
    expect(commands(outbox, 'SubmitActivationCommand')).toHaveLength(1);
    expect(runtime.components.countsOf('activation-gateway')).toMatchObject({ applied: 1, reads: 1 });
    view = await projectOrder(store, runtime.registry, 'po-timeout-present');
    expect(view?.internalState).toBe('completed');
    await expectCustomerFacingClean(store, 'po-timeout-present');
  });

  it('activation timeout then read-back absent: safe retry with the same idempotency key', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-timeout-absent'), { scenario: { steps: { network: { outcome: 'timeout', applied: false } } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-timeout-absent'])).toEqual({ state: 'completed' });
    const sent = commands(await outboxOf(store, 'po-timeout-absent'), 'SubmitActivationCommand');
    expect(sent).toHaveLength(2);
    expect(sent[0]?.idempotencyKey).toBe(sent[1]?.idempotencyKey);
    expect(sent[0]?.messageId).not.toBe(sent[1]?.messageId);
    // Commands count the read-back too: two submissions and one read.
    expect(runtime.components.countsOf('activation-gateway')).toMatchObject({ commands: 3, applied: 1, reads: 1 });
    expect(await one(store, `SELECT a.state, a.attempts FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = $1`, ['po-timeout-absent']))
      .toEqual({ state: 'SUCCEEDED', attempts: 2 });
    await expectCustomerFacingClean(store, 'po-timeout-absent');
  });

  it('activation timeout with read-back absent on every retry ends in fallout, never FAILED by timeout alone', async () => {
    await start();
    const timeoutAbsent = { outcome: 'timeout', applied: false };
    await runtime.submitOrder(homeFiberOrder('po-timeout-exhausted'), { scenario: { steps: { network: [timeoutAbsent, timeoutAbsent, timeoutAbsent] } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-timeout-exhausted'])).toEqual({ state: 'held' });
    expect(await one(store, `SELECT a.state FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = $1`, ['po-timeout-exhausted'])).toEqual({ state: 'RECONCILED_FAILED' });
    expect(await one(store, 'SELECT failed_step_id, party FROM fallout_case WHERE product_order_id = $1', ['po-timeout-exhausted'])).toEqual({ failed_step_id: 'network', party: 'provider' });
    expect(runtime.components.countsOf('activation-gateway')).toMatchObject({ commands: 6, applied: 0, reads: 3 });
    await expectCustomerFacingClean(store, 'po-timeout-exhausted');
  });

  it('duplicate ProductOrderAccepted creates no second saga', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-dup-accept'));
    const delivered: Envelope[] = [];
    runtime.bus.subscribe(ENGINE, async (messages) => { delivered.push(...messages); });
    expect(await runtime.relay.relayOnce()).toBe(1);
    const accepted = delivered.find((m) => m.type === 'ProductOrderAccepted') as Envelope;
    expect(accepted).toBeDefined();
    // Redelivered as is, and re-sent under a new message id by a confused upstream.
    await runtime.bus.publish([{ ...accepted }, { ...accepted, messageId: 'another-id' }]);
    await runtime.settle();
    expect(await store.query('SELECT id FROM saga WHERE product_order_id = $1', ['po-dup-accept'])).toHaveLength(1);
    expect(commands(await outboxOf(store, 'po-dup-accept'), 'CreateServiceOrder')).toHaveLength(1);
    expect(runtime.components.countsOf('service-order').commands).toBe(1);
    const trail = await orderTrail(store, 'po-dup-accept');
    expect(trail.filter((e) => e.type === 'DuplicateIgnored')).toHaveLength(1);
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-dup-accept'])).toEqual({ state: 'completed' });
    await expectCustomerFacingClean(store, 'po-dup-accept');
  });

  it('orders taken together in one intake each get their own saga; an id given twice or already known is a duplicate', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-batch-known'));
    const results = await runtime.submitOrders([
      { order: homeFiberOrder('po-batch-1') },
      { order: mobileOrder('po-batch-2'), scenario: { steps: {} } },
      { order: homeFiberOrder('po-batch-1') },
      { order: homeFiberOrder('po-batch-known') },
      { order: { productOrderItem: 'not a list' } },
    ]);
    expect(results.map((r) => (r.ok ? { id: r.productOrderId, duplicate: r.duplicate } : 'rejected'))).toEqual([
      { id: 'po-batch-1', duplicate: false }, { id: 'po-batch-2', duplicate: false }, { id: 'po-batch-1', duplicate: true },
      { id: 'po-batch-known', duplicate: true }, 'rejected',
    ]);
    const first = results[0] as { correlationId: string };
    expect(results[2]).toMatchObject({ correlationId: first.correlationId });
    await runtime.settle();
    for (const id of ['po-batch-1', 'po-batch-2', 'po-batch-known']) {
      expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', [id])).toEqual({ state: 'completed' });
      expect(await store.query('SELECT id FROM saga WHERE product_order_id = $1', [id])).toHaveLength(1);
      expectWellFormedOutbox(await outboxOf(store, id));
    }
  });

  it('duplicate WorkOrderCompleted callback completes the step once', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-dup-wo'), { scenario: { steps: { install: { duplicate: true } } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-dup-wo'])).toEqual({ state: 'completed' });
    const trail = await orderTrail(store, 'po-dup-wo');
    const received = trail.filter((e) => e.direction === 'in' && e.type === 'WorkOrderCompleted');
    // Same message id twice: the inbox drops one; a new id: the step's guard refuses it.
    expect(received).toHaveLength(2);
    expect(trail.filter((e) => e.type === 'MessageRefused' && e.stepId === 'install')).toHaveLength(1);
    expect(trail.filter((e) => e.type === 'StepStateChanged' && e.stepId === 'install' && e.payload.to === 'SUCCEEDED')).toHaveLength(1);
    expect(commands(await outboxOf(store, 'po-dup-wo'), 'SubmitActivationCommand')).toHaveLength(1);
    expect(runtime.components.countsOf('workforce')).toMatchObject({ applied: 1, replies: 3 });
    await expectCustomerFacingClean(store, 'po-dup-wo');
  });

  it('out-of-order and delayed events change nothing they should not', async () => {
    await start();
    await runtime.submitOrder(homeFiberOrder('po-ooo'), { scenario: { steps: { ont: { delayMs: 60_000 } } } });
    await runtime.runUntilIdle();
    // The router answered, the ONT has not: the appointment waits for both.
    expect(await stepStates(store, 'po-ooo')).toMatchObject({ router: 'SUCCEEDED', ont: 'STARTED', install_slot: 'NOT_STARTED' });
    const [saga] = await store.query<{ id: string; correlation_id: string }>('SELECT id, correlation_id FROM saga WHERE product_order_id = $1', ['po-ooo']);
    // A completion for a step that has not started, and a failure for one that already succeeded.
    const forged = (stepId: string, type: string, payload: Record<string, unknown>): Envelope => ({
      messageId: `forged-${stepId}`, kind: 'event', type, schemaVersion: 1, destination: ENGINE, orderingKey: saga!.id,
      correlationId: saga!.correlation_id, causationId: null, productOrderId: 'po-ooo', productOrderItemId: '1', sagaId: saga!.id,
      stepId, idempotencyKey: `${saga!.id}/${stepId}/0`, payload, createdAt: clock.now().toISOString(),
    });
    await runtime.bus.publish([
      forged('install', 'WorkOrderCompleted', { evidence: { ont_serial: 'x', photo: 'y', optical_power: 'z' } }),
      forged('router', 'ResourceReservationFailed', { outcome: 'rejected' }),
    ]);
    expect(await stepStates(store, 'po-ooo')).toMatchObject({ router: 'SUCCEEDED', install: 'NOT_STARTED' });
    const refused = (await orderTrail(store, 'po-ooo')).filter((e) => e.type === 'MessageRefused');
    expect(refused.map((e) => e.stepId).sort()).toEqual(['install', 'router']);
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-ooo'])).toEqual({ state: 'completed' });
    expect(runtime.components.countsOf('workforce').applied).toBe(1);
    await expectCustomerFacingClean(store, 'po-ooo');
  });

  it('a worker killed between claim and completion loses nothing and repeats no side effect', async () => {
    await start({ leaseMs: 30_000 });
    await runtime.submitOrder(mobileOrder('po-killed'));
    await runtime.relay.relayOnce(); // ProductOrderAccepted -> saga, CreateServiceOrder in the outbox
    // The transaction that wrote the command leased it to this worker's relay, which dies before
    // publishing it: what it held in memory is gone, the lease stays.
    expect(runtime.relay.queued).toBeGreaterThan(0);
    runtime.relay.abandon();
    const { OutboxRelay } = await import('../../runtime/outbox/relay.js');
    const workerB = new OutboxRelay({ store, clock, sink: runtime.bus, workerId: 'worker-b', leaseMs: 30_000 });
    expect(await workerB.claim()).toEqual([]);
    clock.advance(30_001);
    const claimedByB = await workerB.claim();
    expect(claimedByB.map((m) => m.type)).toContain('CreateServiceOrder');
    // Worker C finds B's lease.
    const workerC = new OutboxRelay({ store, clock, sink: runtime.bus, workerId: 'worker-c', leaseMs: 30_000 });
    expect(await workerC.claim()).toEqual([]);
    // B publishes (the side effect happens), then dies before marking: the lease runs out again.
    await workerB.publish(claimedByB);
    expect(runtime.components.countsOf('service-order')).toMatchObject({ commands: 1, duplicates: 0 });
    runtime.relay.abandon(); // what B's publish led the engine to write here went with the process too
    clock.advance(30_001);
    await runtime.settle();
    expect(runtime.components.countsOf('service-order')).toMatchObject({ commands: 1, duplicates: 1 });
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-killed'])).toEqual({ state: 'completed' });
    expect(runtime.components.sideEffects('activation-gateway')).toBe(2);
    expect(runtime.components.sideEffects('resource-inventory')).toBe(2);
    const outbox = await outboxOf(store, 'po-killed');
    expectWellFormedOutbox(outbox);
    expect(outbox.every((m) => m.published)).toBe(true);
    expect(commands(outbox, 'CreateServiceOrder')).toHaveLength(1);
  });

  it('a message written while another process holds an earlier one of the same saga waits for it: published in order', async () => {
    await start();
    const { Runtime } = await import('../../runtime/runtime.js');
    const other = new Runtime({ store, clock, workerId: 'worker-b' });
    const published: { by: string; type: string; seq: number }[] = [];
    const seqOf = async (id: string) => Number((await one<{ seq: string }>(store, 'SELECT seq FROM outbox WHERE message_id = $1', [id])).seq);
    for (const [name, rt] of [['a', runtime], ['b', other]] as const) {
      for (const destination of ['service-order', 'resource-inventory']) {
        rt.bus.subscribe(destination, async (messages) => {
          for (const m of messages) published.push({ by: name, type: m.type, seq: await seqOf(m.messageId) });
        });
      }
    }
    await runtime.submitOrder(homeFiberOrder('po-two'));
    await runtime.relay.relayOnce(); // the saga starts here: CreateServiceOrder is pending, leased to this process
    const saga = await one<{ id: string; correlation_id: string }>(store, 'SELECT id, correlation_id FROM saga WHERE product_order_id = $1', ['po-two']);
    // The other process takes the service order's answer first, and writes the next commands.
    await other.bus.publish([{
      messageId: 'reply-internet', kind: 'event', type: 'ServiceOrderCreated', schemaVersion: 1, destination: ENGINE, orderingKey: saga.id,
      correlationId: saga.correlation_id, causationId: null, productOrderId: 'po-two', productOrderItemId: '1', sagaId: saga.id,
      stepId: 'internet', idempotencyKey: `${saga.id}/internet/0`, payload: { externalRef: 'so-1' }, createdAt: clock.now().toISOString(),
    }]);
    const pending = await store.query<{ type: string; lease_owner: string | null }>(
      'SELECT o.type, p.lease_owner FROM outbox_pending p JOIN outbox o ON o.seq = p.seq WHERE o.ordering_key = $1 ORDER BY p.seq', [saga.id]);
    expect(pending).toEqual([
      { type: 'FulfillmentPlanGenerated', lease_owner: 'worker-a' },
      { type: 'CreateServiceOrder', lease_owner: 'worker-a' },
      { type: 'ReserveResources', lease_owner: null },
      { type: 'ReserveResources', lease_owner: null },
    ]);
    expect(await other.relay.relayOnce()).toBe(0); // the saga's head is held by this process
    expect(await runtime.relay.relayOnce()).toBeGreaterThanOrEqual(2); // and the order's own facts
    expect(await other.relay.relayOnce()).toBe(2);
    expect(published.map((p) => `${p.by}:${p.type}`)).toEqual(['a:CreateServiceOrder', 'b:ReserveResources', 'b:ReserveResources']);
    expect(published.map((p) => p.seq)).toEqual([...published.map((p) => p.seq)].sort((x, y) => x - y));
    expect(await store.query('SELECT 1 FROM outbox_pending p JOIN outbox o ON o.seq = p.seq WHERE o.ordering_key = $1', [saga.id])).toHaveLength(0);
  });

  it('billing readiness failed with a non-blocking policy: service completes, the gap goes to revenue assurance', async () => {
    await start();
    const plan = homeFiberFixture(false);
    await runtime.registerPlans([plan]);
    const order = { id: 'po-billing-gap', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: plan.offeringId }, product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] } }] };
    await runtime.submitOrder(order, { scenario: { steps: { billing: { outcome: 'rejected', reason: 'no billing account' } } } });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-billing-gap'])).toEqual({ state: 'completed' });
    expect(await stepStates(store, 'po-billing-gap')).toMatchObject({ billing: 'FAILED', notify: 'SUCCEEDED', inventory: 'SUCCEEDED' });
    expect((await outboxOf(store, 'po-billing-gap')).map((m) => m.type)).toContain('RevenueAssuranceAlertRaised');
    expect(await store.query('SELECT id FROM fallout_case WHERE product_order_id = $1', ['po-billing-gap'])).toHaveLength(0);
    await expectCustomerFacingClean(store, 'po-billing-gap');
  });
});
