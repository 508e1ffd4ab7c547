// Component callbacks over HTTP: an FTTH order whose appointment, field work and
// activation wait for an external answer (scenario outcome `timeout`: the simulated component
// does not answer) completes through callbacks; repeated callbacks change nothing and are answered
// as the first; callbacks for unknown orders or steps, finished steps, missing evidence, bad bodies
// are refused with the reason; billing signals (first usage, customer acceptance).
import Fastify, { type FastifyInstance, type preHandlerAsyncHookHandler } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { callbacksPlugin } from '../../service/callbacks.js';
import { disposeRuntime, homeFiberOrder, newRuntime, samplePlans, stepStates, storesUnderTest } from '../runtime/harness.js';

// Both stores run the same statements in the hub test; here one is enough (the server one when
// reachable: it opens in a fraction of PGlite's time).
const stores = await storesUnderTest();
const storeUnderTest = stores.find((s) => s.name === 'postgres') ?? (stores[0] as (typeof stores)[number]);
const plans = await samplePlans();
const TOKEN = 'callback-test-token';
const auth = { authorization: `Bearer ${TOKEN}` };
const guard: preHandlerAsyncHookHandler = async (request, reply) => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) await reply.code(401).send({ code: '401', message: 'bearer token required' });
};
const CB = '/o2a/v1/callbacks';
const EVIDENCE = { ont_serial: 'ALCL-0042', photo: 'https://photos.example/wo-1.jpg', optical_power: '-18.2 dBm' };

describe(`component callbacks on ${storeUnderTest.name}`, () => {
  let runtime: Runtime;
  let store: Store;
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
    if (runtime) await disposeRuntime(runtime);
  });

  async function start(): Promise<FastifyInstance> {
    ({ runtime, store } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans as CompiledPlan[]);
    app = Fastify();
    await app.register(callbacksPlugin, { runtime, guard });
    await app.ready();
    return app;
  }
  const post = (path: string, payload: object, headers: Record<string, string> = auth) =>
    (app as FastifyInstance).inject({ method: 'POST', url: `${CB}/${path}`, headers, payload });
  const orderState = async (id: string) => (await store.query<{ state: string }>('SELECT state FROM product_order WHERE id = $1', [id]))[0]?.state;
  const callbacksInAudit = async (id: string) => (await store.query(
    `SELECT 1 FROM audit_trail WHERE product_order_id = $1 AND direction = 'in' AND message_id LIKE 'callback:%'`, [id])).length;

  it('an FTTH order whose appointment, field work and activation answer by callback completes; repeats change nothing; refusals say why', async () => {
    await start();
    const scenario = { steps: { install_slot: { outcome: 'timeout' }, install: { outcome: 'timeout' }, network: { outcome: 'timeout' } } };
    expect(await runtime.submitOrder(homeFiberOrder('po-cb-1'), { scenario })).toMatchObject({ ok: true });
    await runtime.runUntilIdle();
    expect(await stepStates(store, 'po-cb-1')).toMatchObject({ install_slot: 'STARTED', install: 'NOT_STARTED' });

    // Field work before its turn: the step has not started.
    const early = await post('work-orders', { messageId: 'wo-early', productOrderId: 'po-cb-1', status: 'completed', evidence: EVIDENCE });
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/step install of item 1 is NOT_STARTED and has not started/);

    const slot = await post('appointments', {
      messageId: 'appt-1', productOrderId: 'po-cb-1', status: 'confirmed', externalRef: 'APPT-77',
      slot: { start: '2030-01-02T08:00:00Z', end: '2030-01-02T12:00:00Z' },
    });
    expect(slot.statusCode).toBe(200);
    expect(slot.json()).toMatchObject({ stepId: 'install_slot', itemId: '1', accepted: true, step: { state: 'SUCCEEDED' } });
    await runtime.runUntilIdle();
    expect((await stepStates(store, 'po-cb-1')).install).toBe('STARTED');
    const moved = await post('appointments', { messageId: 'appt-2', productOrderId: 'po-cb-1', status: 'confirmed', slot: { start: '2030-01-03T08:00:00Z' } });
    expect(moved.statusCode).toBe(409);
    expect(moved.json().message).toMatch(/install_slot of item 1 is SUCCEEDED .*amend the order \(PATCH .*productOrder\/po-cb-1\)/);

    // Completion is proven: without the plan's evidence, refused and nothing written.
    const partial = await post('work-orders', { messageId: 'wo-1', productOrderId: 'po-cb-1', status: 'completed', evidence: { ont_serial: 'ALCL-0042' } });
    expect(partial.statusCode).toBe(422);
    expect(partial.json()).toMatchObject({ field: 'evidence', message: expect.stringMatching(/missing photo, optical_power/) });
    expect((await stepStates(store, 'po-cb-1')).install).toBe('STARTED');

    const done = await post('work-orders', { messageId: 'wo-1', productOrderId: 'po-cb-1', stepId: 'install', status: 'completed', externalRef: 'WO-1', evidence: EVIDENCE });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ messageId: 'wo-1', stepId: 'install', step: { state: 'SUCCEEDED', outcome: 'success' } });
    const again = await post('work-orders', { messageId: 'wo-1', productOrderId: 'po-cb-1', stepId: 'install', status: 'completed', externalRef: 'WO-1', evidence: EVIDENCE });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(done.json());
    const reused = await post('work-orders', { messageId: 'wo-1', productOrderId: 'po-cb-1', status: 'failed', outcome: 'no_access' });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().message).toMatch(/messageId: wo-1 was used by another callback/);
    const late = await post('work-orders', { messageId: 'wo-2', productOrderId: 'po-cb-1', status: 'failed', outcome: 'no_access' });
    expect(late.statusCode).toBe(409);
    expect(late.json().message).toMatch(/step install of item 1 is SUCCEEDED/);

    await runtime.runUntilIdle();
    const [install] = await store.query<{ evidence: unknown; external_ref: string }>(
      `SELECT st.evidence, st.external_ref FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = 'po-cb-1' AND st.step_id = 'install'`);
    expect(typeof install?.evidence === 'string' ? JSON.parse(install.evidence) : install?.evidence).toEqual(EVIDENCE);
    expect(install?.external_ref).toBe('WO-1');
    expect((await stepStates(store, 'po-cb-1')).network).toBe('STARTED');
    expect(await orderState('po-cb-1')).toBe('inProgress');

    const activated = await post('activations', { messageId: 'act-1', productOrderId: 'po-cb-1', status: 'succeeded', externalRef: 'OLT-9' });
    expect(activated.statusCode).toBe(200);
    await runtime.runUntilIdle();
    expect(await orderState('po-cb-1')).toBe('completed');
    // Each callback went through the engine's inbox once.
    expect(await callbacksInAudit('po-cb-1')).toBe(3);
    const [activation] = await store.query<{ state: string }>(`SELECT a.state FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = 'po-cb-1'`);
    expect(activation?.state).toBe('SUCCEEDED');

    // Unknown order, unknown step, no token, bad bodies: refused, nothing written.
    expect((await post('activations', { messageId: 'x1', productOrderId: 'po-nope', status: 'succeeded' })).json())
      .toMatchObject({ status: '404', field: 'productOrderId', message: 'productOrderId: no product order po-nope' });
    expect((await post('work-orders', { messageId: 'x2', productOrderId: 'po-cb-1', stepId: 'instal', status: 'completed' })).json())
      .toMatchObject({ status: '404', field: 'stepId', message: expect.stringMatching(/no work order step instal \(its work order steps: install\)/) });
    expect((await post('work-orders', { messageId: 'x3', productOrderId: 'po-cb-1', status: 'completed' }, {})).statusCode).toBe(401);
    const unknownField = await post('work-orders', { messageId: 'x4', productOrderId: 'po-cb-1', status: 'completed', sql: "'; DROP TABLE saga;--" });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json()).toMatchObject({ field: 'sql', message: 'sql: unknown field' });
    const badStatus = await post('work-orders', { messageId: 'x5', productOrderId: 'po-cb-1', status: 'done' });
    expect(badStatus.statusCode).toBe(400);
    expect(badStatus.json().field).toBe('status');
    const noId = await post('appointments', { productOrderId: 'po-cb-1', status: 'confirmed' });
    expect(noId.json()).toMatchObject({ status: '400', field: 'messageId' });
    expect(await callbacksInAudit('po-cb-1')).toBe(3);
  });

  it('a failure reported by callback acts as the plan says (fallout); billing signals by callback', async () => {
    await start();
    const scenario = { steps: { install_slot: { outcome: 'timeout' } } };
    expect(await runtime.submitOrder(homeFiberOrder('po-cb-2'), { scenario })).toMatchObject({ ok: true });
    await runtime.runUntilIdle();
    const failed = await post('appointments', { messageId: 'appt-f', productOrderId: 'po-cb-2', status: 'failed', outcome: 'no_slot', reason: 'no technician this month' });
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ stepId: 'install_slot', step: { state: 'FAILED', outcome: 'no_slot' } });
    await runtime.runUntilIdle();
    expect(await orderState('po-cb-2')).toBe('held');
    const [fallout] = await store.query<{ failure_reason: string }>(`SELECT failure_reason FROM fallout_case WHERE product_order_id = 'po-cb-2'`);
    expect(fallout?.failure_reason).toMatch(/no_slot: no technician this month/);

    // First usage (the OTT plan bills on it, revenue assurance: complete before).
    expect(await runtime.submitOrder({ id: 'po-cb-3', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] })).toMatchObject({ ok: true });
    await runtime.settle();
    expect((await stepStates(store, 'po-cb-3')).billing).toBe('NOT_STARTED');
    const usage = await post('first-usage', { messageId: 'usage-1', productOrderId: 'po-cb-3' });
    expect(usage.statusCode).toBe(200);
    expect(usage.json()).toMatchObject({ signal: 'first-usage', sagas: [{ itemId: '1', duplicate: false, billingStarted: true }] });
    expect((await post('first-usage', { messageId: 'usage-1', productOrderId: 'po-cb-3' })).json()).toEqual(usage.json());
    await runtime.settle();
    expect((await stepStates(store, 'po-cb-3')).billing).toBe('SUCCEEDED');
    expect((await post('customer-acceptance', { messageId: 'acc-1', productOrderId: 'po-cb-3', itemId: '9' })).json())
      .toMatchObject({ status: '404', field: 'itemId' });
    expect((await post('customer-acceptance', { messageId: 'acc-2', productOrderId: 'po-none' })).statusCode).toBe(404);
    const accepted = await post('customer-acceptance', { messageId: 'acc-3', productOrderId: 'po-cb-3' });
    expect(accepted.json()).toMatchObject({ signal: 'customer-accepted', sagas: [{ duplicate: false, billingStarted: false }] });
  });
});
