// §9 on every store: messages carry the ids of what they concern besides the order, item, saga
// and step (service order and its item, reservation, activation command, work order, appointment,
// customer) where those exist; kept with the outbox row (migration 016), relayed with the envelope,
// shown in the audit trail and by `o2a events`, and an order is found by any of them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { approvals } from '../../runtime/engine/cancellation.js';
import { SERVICE_ORDER_OWNER } from '../../runtime/engine/envelope-refs.js';
import { refsOfStored, replyTo, type Envelope, type EnvelopeRefs } from '../../runtime/engine/messages.js';
import { renderTrail } from '../../runtime/cli-commands.js';
import { orderOfRef, orderTrail } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import { parseJson } from '../../runtime/store/sql.js';
import type { Store } from '../../runtime/store/store.js';
import { Capture, disposeRuntime, homeFiberOrder, newRuntime, one, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

interface Sent { type: string; kind: string; step: string | null; messageId: string; refs: EnvelopeRefs | undefined }

describe.each(stores)('envelope ids (§9) on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<Runtime> {
    ({ runtime, store } = await newRuntime(storeUnderTest, { plans }));
    return runtime;
  }
  const sent = async (id: string): Promise<Sent[]> => (await store.query<Record<string, unknown>>(
    'SELECT type, kind, step_id, message_id, refs FROM outbox WHERE product_order_id = $1 ORDER BY seq', [id]))
    .map((r) => ({ type: String(r.type), kind: String(r.kind), step: (r.step_id as string | null) ?? null, messageId: String(r.message_id), refs: refsOfStored(r.refs) }));
  const sagaOf = async (id: string) => (await one<{ id: string }>(store, 'SELECT id FROM saga WHERE product_order_id = $1', [id])).id;

  it('a Home Fiber order: service order and item, activation command and customer on the messages; relayed, in the audit trail, found by any', async () => {
    const rt = await start();
    const relayed: Envelope[] = [];
    rt.onFacts((messages) => { for (const m of messages) if (m.productOrderId === 'po-r1') relayed.push(m); });
    await rt.submitOrder(homeFiberOrder('po-r1'));
    await rt.settle();
    const sagaId = await sagaOf('po-r1');
    // TMF641 shows the saga as a ServiceOrder: its plan has a service step of service order management.
    const plan = plans.find((p) => p.planId === 'HomeFiber1G');
    const serviceSteps = plan?.kind === 'plan' ? plan.steps.filter((s) => s.owner === SERVICE_ORDER_OWNER && s.ref?.type === 'service').map((s) => s.id) : [];
    expect(serviceSteps).toEqual(['internet']);
    const messages = await sent('po-r1');
    // Every message of the order names its customer; every one of the saga its service order.
    expect(messages.filter((m) => m.refs?.customerId !== 'cust-42')).toEqual([]);
    const ofSaga = messages.filter((m) => m.kind === 'command' || m.type === 'FulfillmentPlanGenerated' || m.type === 'ServiceOrderCompleted');
    expect(ofSaga.length).toBeGreaterThan(9);
    expect(ofSaga.filter((m) => m.refs?.serviceOrderId !== sagaId)).toEqual([]);
    // The order's own facts concern no one service order.
    expect(messages.filter((m) => m.type.startsWith('ProductOrder')).map((m) => m.refs)).toEqual(
      messages.filter((m) => m.type.startsWith('ProductOrder')).map(() => ({ customerId: 'cust-42' })));
    // The service order item: on the service step's command only.
    expect(messages.filter((m) => m.refs?.serviceOrderItemId !== undefined).map((m) => [m.type, m.refs?.serviceOrderItemId]))
      .toEqual([['CreateServiceOrder', 'internet']]);
    // The activation command: the one the runtime keeps for the step.
    const activation = await one<{ id: string }>(store, 'SELECT a.id FROM activation_command a WHERE a.saga_id = $1', [sagaId]);
    expect(messages.filter((m) => m.refs?.activationCommandId !== undefined).map((m) => [m.type, m.step, m.refs?.activationCommandId]))
      .toEqual([['SubmitActivationCommand', 'network', activation.id]]);
    // Work order, appointment and reservation ids come with the owner's answer: no command before it carries one.
    expect(messages.filter((m) => m.refs?.workOrderId || m.refs?.appointmentId || m.refs?.resourceReservationId)).toEqual([]);
    // Relayed with the envelope as stored.
    expect(relayed.length).toBeGreaterThan(0);
    for (const m of relayed) expect(m.refs, m.type).toEqual(messages.find((s) => s.messageId === m.messageId)?.refs);
    // In the audit trail: each message sent, with its ids (head entries and compact ones alike).
    const trail = await orderTrail(store, 'po-r1');
    const out = trail.filter((e) => e.direction === 'out');
    expect(out).toHaveLength(messages.length);
    for (const e of out) expect(e.payload.refs, e.type).toEqual(messages.find((m) => m.messageId === e.messageId)?.refs);
    // As o2a events prints it: the ids under the message.
    const lines = renderTrail(trail);
    const at = lines.findIndex((l) => l.includes('SubmitActivationCommand'));
    expect(lines[at + 1]).toBe(`${' '.repeat(18)}ids: serviceOrderId ${sagaId}, activationCommandId ${activation.id}, customerId cust-42`);
    // The order, found by any of them.
    expect(await orderOfRef(store, activation.id)).toEqual({ productOrderId: 'po-r1', name: 'activationCommandId' });
    expect(await orderOfRef(store, sagaId)).toEqual({ productOrderId: 'po-r1', name: 'serviceOrderId' });
    const workOrder = await one<{ external_ref: string }>(store, `SELECT external_ref FROM saga_step WHERE saga_id = $1 AND step_id = 'install'`, [sagaId]);
    expect(await orderOfRef(store, workOrder.external_ref)).toEqual({ productOrderId: 'po-r1', name: 'workOrderId' });
    const [reservation] = await store.query<{ id: string }>('SELECT id FROM resource_reservation WHERE saga_id = $1', [sagaId]);
    expect(await orderOfRef(store, (reservation as { id: string }).id)).toEqual({ productOrderId: 'po-r1', name: 'resourceReservationId' });
    expect(await orderOfRef(store, 'nothing-of-the-kind')).toBeNull();
    expect(await orderOfRef(store, '')).toBeNull();
  });

  it('a cancellation after installation: the compensations name the reservations, the appointment and the work order the owners answered with', async () => {
    const rt = await start();
    // Verification answers after 5 minutes: cancelled while it runs (after install: compensate, with approval).
    await rt.submitOrder(homeFiberOrder('po-r2'), { scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await rt.runUntilIdle();
    const cancel = await rt.engine.cancel({ productOrderId: 'po-r2' });
    if (!cancel.ok) throw new Error(cancel.problem);
    const [pending] = await approvals(store, 'PENDING');
    expect(await rt.engine.approve((pending as { id: string }).id, { by: 'supervisor-1' })).toMatchObject({ ok: true });
    await rt.settle();
    const sagaId = await sagaOf('po-r2');
    const steps = new Map((await store.query<{ step_id: string; external_ref: string | null }>(
      'SELECT step_id, external_ref FROM saga_step WHERE saga_id = $1', [sagaId])).map((s) => [s.step_id, s.external_ref]));
    const reservations = new Map((await store.query<{ step_id: string; id: string }>(
      'SELECT step_id, id FROM resource_reservation WHERE saga_id = $1', [sagaId])).map((r) => [r.step_id, r.id]));
    const activation = await one<{ id: string }>(store, 'SELECT id FROM activation_command WHERE saga_id = $1', [sagaId]);
    const compensations = new Map((await sent('po-r2')).filter((m) => m.type === 'CompensateStep').map((m) => [m.step, m.refs]));
    expect(compensations.get('ont')).toMatchObject({ serviceOrderId: sagaId, resourceReservationId: reservations.get('ont') });
    expect(compensations.get('router')).toMatchObject({ resourceReservationId: reservations.get('router') });
    expect(compensations.get('install_slot')).toMatchObject({ appointmentId: steps.get('install_slot') });
    expect(compensations.get('install')).toMatchObject({ workOrderId: steps.get('install') });
    expect(compensations.get('network')).toMatchObject({ activationCommandId: activation.id });
    expect(steps.get('install')).toEqual(expect.any(String));
    expect(steps.get('install_slot')).toEqual(expect.any(String));
    expect(await orderOfRef(store, steps.get('install') as string)).toEqual({ productOrderId: 'po-r2', name: 'workOrderId' });
    expect(await orderOfRef(store, steps.get('install_slot') as string)).toEqual({ productOrderId: 'po-r2', name: 'appointmentId' });
  });

  it('an order without a customer names none; a stored refs value that is not ids is read as none', async () => {
    const rt = await start();
    await rt.submitOrder({ id: 'po-r3', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] });
    await rt.settle();
    const messages = await sent('po-r3');
    expect(messages.filter((m) => m.refs?.customerId !== undefined)).toEqual([]);
    // Bad stored values: never a crash, never a made-up id.
    for (const bad of [null, 'not json', '[1,2]', 42, { customerId: 7, workOrderId: '', other: 'x' }, '{"appointmentId": null}']) {
      expect(refsOfStored(bad)).toBeUndefined();
    }
    expect(refsOfStored(JSON.stringify({ workOrderId: 'WO-1', unknown: 'x' }))).toEqual({ workOrderId: 'WO-1' });
    expect(parseJson(null)).toBeNull();
  });

  it('a component\'s answer carries the ids of the command it answers', () => {
    const command: Envelope = {
      messageId: 'm-1', kind: 'command', type: 'SubmitActivationCommand', schemaVersion: 1, destination: 'network', orderingKey: 's-1',
      correlationId: 'c-1', causationId: null, productOrderId: 'po-1', productOrderItemId: '1', sagaId: 's-1', stepId: 'network',
      idempotencyKey: 'k', refs: { serviceOrderId: 's-1', activationCommandId: 'ac-1' }, payload: {}, createdAt: new Date(0).toISOString(),
    };
    expect(replyTo(command, { type: 'ActivationSucceeded', payload: {} }, new Date(0)).refs).toEqual({ serviceOrderId: 's-1', activationCommandId: 'ac-1' });
    const { refs: _refs, ...bare } = command;
    expect('refs' in replyTo(bare, { type: 'ActivationSucceeded', payload: {} }, new Date(0))).toBe(false);
  });
});

describe('o2a events by a §9 id (PGlite data folder)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-refs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const o2a = async (...args: string[]) => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(['node', 'o2a', ...args, '--db', join(dir, 'db')], { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };

  it('given a work order id instead of an order id, prints the trail of its order; the ids under each message sent', async () => {
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plans.find((p) => p.planId === 'HomeFiber1G')));
    const orderFile = join(dir, 'order.json');
    writeFileSync(orderFile, JSON.stringify(homeFiberOrder('po-cli-r1')));
    expect((await o2a('run', '--plan', planFile, '--order', orderFile, '--quiet')).code).toBe(0);
    const asJson = await o2a('events', 'po-cli-r1', '--json');
    const trail = JSON.parse(asJson.stdout) as { type: string; stepId: string | null; payload: Record<string, unknown> }[];
    const done = trail.find((e) => e.type === 'StepStateChanged' && e.stepId === 'install' && e.payload.to === 'SUCCEEDED');
    const workOrderId = String(done?.payload.externalRef);
    expect(workOrderId).not.toBe('undefined');
    const byWorkOrder = await o2a('events', workOrderId);
    expect(byWorkOrder.code).toBe(0);
    const lines = byWorkOrder.stdout.split('\n');
    expect(lines[0]).toBe(`workOrderId ${workOrderId}: product order po-cli-r1`);
    expect(lines[1]).toMatch(/^correlation /);
    expect(lines.filter((l) => /^ {18}ids: serviceOrderId saga-/.test(l)).length).toBeGreaterThan(5);
    // The same trail as by the order's id, after the line naming the order.
    expect(lines.slice(1).join('\n')).toBe((await o2a('events', 'po-cli-r1')).stdout);
    expect(await o2a('events', 'wo-nobody')).toEqual({ code: 1, stderr: '', stdout: 'error: no order wo-nobody\n' });
  });
});
