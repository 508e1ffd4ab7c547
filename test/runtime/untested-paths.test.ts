// Paths no other test walked (#16), on every store: billing readiness refused where the plan says
// it blocks completion (§28: the plan's answer to the refusal, the service left active, the order
// not completed while readiness is missing), and a work order reported complete without the
// completion evidence its plan step requires (§12.1, §16: "audit evidence complete").
import { afterEach, describe, expect, it } from 'vitest';
import { projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, newRuntime, one, outboxOf, samplePlans, stepStates, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const homeFiber = plans.find((p) => p.planId === 'HomeFiber1G');
if (!homeFiber || homeFiber.kind !== 'plan') throw new Error('no HomeFiber1G sample');

describe.each(stores)('untested paths on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<Runtime> {
    ({ runtime, store } = await newRuntime(storeUnderTest, { plans }));
    return runtime;
  }
  const orderState = async (id: string) => (await one<{ state: string }>(store, 'SELECT state FROM product_order WHERE id = $1', [id])).state;
  const openCases = async (id: string) => store.query<{ id: string; failed_step_id: string; failure_reason: string; owner_group: string; party: string }>(
    `SELECT id, failed_step_id, failure_reason, owner_group, party FROM fallout_case WHERE product_order_id = $1 AND state = 'OPEN'`, [id]);
  /** The technical side: the activation command and the reserved units, as the saga left them. */
  const technical = async (id: string) => ({
    activations: (await store.query<{ state: string }>(
      `SELECT a.state FROM activation_command a JOIN saga s ON s.id = a.saga_id WHERE s.product_order_id = $1`, [id])).map((r) => r.state),
    reservations: (await store.query<{ state: string }>(
      `SELECT r.state FROM resource_reservation r JOIN saga s ON s.id = r.saga_id WHERE s.product_order_id = $1 ORDER BY r.step_id`, [id])).map((r) => r.state),
  });

  it('§28 billing readiness refused where it blocks completion: the plan\'s fallout (revenue assurance), the service left active, the order not completed until readiness is confirmed', async () => {
    // HomeFiber1G: `billing starts on activation, blocks completion`; its BillingReadiness step: `on rejected fallout revenue-assurance`.
    expect(homeFiber.billing).toMatchObject({ trigger: 'activation', blocksCompletion: true });
    const billingStep = homeFiber.steps.find((s) => s.kind === 'billing_trigger');
    expect(billingStep?.outcomes.rejected).toMatchObject({ action: 'fallout', ownerGroup: 'revenue-assurance' });
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-u1'), { scenario: { steps: { billing: [{ outcome: 'rejected', reason: 'no billing account' }] } } });
    await rt.settle();
    // Held on billing: the completion waits for readiness; what follows billing did not run.
    expect(await orderState('po-u1')).toBe('held');
    expect(await stepStates(store, 'po-u1')).toMatchObject({ network: 'SUCCEEDED', verify: 'SUCCEEDED', inventory: 'SUCCEEDED', billing: 'FAILED', notify: 'NOT_STARTED' });
    expect(await one(store, `SELECT state, held_step_id FROM saga WHERE product_order_id = 'po-u1'`)).toEqual({ state: 'HELD', held_step_id: 'billing' });
    const cases = await openCases('po-u1');
    expect(cases).toEqual([expect.objectContaining({
      failed_step_id: 'billing', owner_group: 'revenue-assurance', party: 'provider', failure_reason: expect.stringMatching(/rejected: no billing account/),
    })]);
    // The customer does not lose the service (§28): nothing undone, the line and its units active.
    expect(await technical('po-u1')).toEqual({ activations: ['SUCCEEDED'], reservations: ['ACTIVE', 'ACTIVE'] });
    expect((await outboxOf(store, 'po-u1')).filter((m) => m.type === 'CompensateStep')).toEqual([]);
    // Blocking is no revenue-assurance retry: no retry timer, no alert of the non-blocking branch; the case is the alert.
    expect(await store.query(`SELECT 1 FROM timer t JOIN saga s ON s.id = t.saga_id WHERE s.product_order_id = 'po-u1'`)).toEqual([]);
    expect((await outboxOf(store, 'po-u1')).filter((m) => m.type === 'RevenueAssuranceAlertRaised')).toEqual([]);
    expect((await outboxOf(store, 'po-u1')).filter((m) => m.type === 'ServiceOrderFalloutRaised')).toHaveLength(1);
    let view = await projectOrder(store, rt.registry, 'po-u1');
    expect(view).toMatchObject({
      internalState: 'held', commercialState: null, currentBlockingStep: 'billing', providerActionRequired: true, customerActionRequired: false,
      falloutCaseId: cases[0]?.id, items: [{ id: '1', billingReadiness: 'failed' }],
    });
    expect(rt.components.sideEffects('billing')).toBe(0);
    // Nothing moves by itself: more time passes, still held, still not billed.
    await rt.settle(24 * 3600_000);
    expect(await orderState('po-u1')).toBe('held');
    // Revenue assurance repairs the account and resumes: readiness confirmed (a new key), then the order completes.
    expect(await rt.resume((cases[0] as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-u1')).toBe('completed');
    expect(await stepStates(store, 'po-u1')).toMatchObject({ billing: 'SUCCEEDED', notify: 'SUCCEEDED' });
    expect(rt.components.sideEffects('billing')).toBe(1);
    const billingKeys = (await outboxOf(store, 'po-u1')).filter((m) => m.type === 'ConfirmBillingReadiness').map((m) => m.idempotencyKey);
    expect(new Set(billingKeys).size).toBe(2);
    view = await projectOrder(store, rt.registry, 'po-u1');
    expect(view).toMatchObject({ internalState: 'completed', commercialState: 'complete', items: [{ billingReadiness: 'confirmed' }] });
    await expectCustomerFacingClean(store, 'po-u1');
  });

  it('§28 billing readiness refused with an outcome the plan does not name, where it blocks: a fallout with the step\'s owner, nothing undone', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-u2'), { scenario: { steps: { billing: [{ outcome: 'account_closed', reason: 'closed in 2025' }] } } });
    await rt.settle();
    expect(await orderState('po-u2')).toBe('held');
    expect(await openCases('po-u2')).toEqual([expect.objectContaining({ failed_step_id: 'billing', owner_group: 'billing', party: 'provider' })]);
    expect(await technical('po-u2')).toEqual({ activations: ['SUCCEEDED'], reservations: ['ACTIVE', 'ACTIVE'] });
    expect((await stepStates(store, 'po-u2')).notify).toBe('NOT_STARTED');
    await expectCustomerFacingClean(store, 'po-u2');
  });

  it('§12.1 a work order reported complete without its required evidence: the step fails (evidence_missing), a fallout case names what is missing, nothing after it runs; resumed, completed with the evidence', async () => {
    const install = homeFiber.steps.find((s) => s.id === 'install');
    expect(install?.evidence).toEqual(['ont_serial', 'photo', 'optical_power']);
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-u3'), { scenario: { steps: { install: [{ withholdEvidence: ['photo', 'optical_power'] }] } } });
    await rt.settle();
    expect(await orderState('po-u3')).toBe('held');
    const steps = await stepStates(store, 'po-u3');
    expect(steps).toMatchObject({ install_slot: 'SUCCEEDED', install: 'FAILED', network: 'NOT_STARTED', verify: 'NOT_STARTED', billing: 'NOT_STARTED' });
    // The incomplete completion is not taken as the step's: no evidence recorded, no activation sent.
    expect(await one(store, `SELECT st.outcome, st.evidence FROM saga_step st JOIN saga s ON s.id = st.saga_id
        WHERE s.product_order_id = 'po-u3' AND st.step_id = 'install'`)).toEqual({ outcome: 'evidence_missing', evidence: null });
    expect((await technical('po-u3')).activations).toEqual([]);
    const cases = await openCases('po-u3');
    expect(cases).toEqual([expect.objectContaining({
      failed_step_id: 'install', party: 'provider', owner_group: install?.owner, failure_reason: expect.stringMatching(/evidence_missing: missing evidence: photo, optical_power$/),
    })]);
    const view = await projectOrder(store, rt.registry, 'po-u3');
    expect(view).toMatchObject({ internalState: 'held', currentBlockingStep: 'install', providerActionRequired: true, customerActionRequired: false, falloutCaseId: cases[0]?.id });
    // The provider's problem: the customer is not asked to act.
    expect(view?.customerVisibleStatus).not.toMatch(/action needed/i);
    await expectCustomerFacingClean(store, 'po-u3');
    // Field ops gets the evidence in; resumed: the work order is completed again, with it, and the order goes on.
    expect(await rt.resume((cases[0] as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await orderState('po-u3')).toBe('completed');
    const evidence = await one<{ evidence: unknown }>(store, `SELECT st.evidence FROM saga_step st JOIN saga s ON s.id = st.saga_id
        WHERE s.product_order_id = 'po-u3' AND st.step_id = 'install'`);
    const recorded = (typeof evidence.evidence === 'string' ? JSON.parse(evidence.evidence) : evidence.evidence) as Record<string, string>;
    expect(Object.keys(recorded).sort()).toEqual(['ont_serial', 'optical_power', 'photo']);
    await expectCustomerFacingClean(store, 'po-u3');
  });

  it('§12.1 evidence withheld on a step the plan asks none of changes nothing', async () => {
    const rt = await start();
    await rt.submitOrder(homeFiberOrder('po-u4'), { scenario: { steps: { network: [{ withholdEvidence: ['photo'] }] } } });
    await rt.settle();
    expect(await orderState('po-u4')).toBe('completed');
    expect(await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = 'po-u4'`)).toEqual([]);
  });
});
