// A property test of the order lifecycle (fast-check): random sample orders, random component
// behaviour per step (success, late, duplicated, rejected, timed out with or without the effect
// applied), a cancel at a random moment, an amendment (appointment or speed) at a random moment,
// billing signals at random moments. After each run, on
// every store:
//   - no step succeeded before the steps it depends on;
//   - no side effect applied twice per idempotency key, no unit held by two keys;
//   - every compensated step had run;
//   - billing readiness never confirmed before its trigger;
//   - every order ends completed, partial, cancelled or failed, or is held with an open fallout
//     case, or waits for an approval somebody must give.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledPlan, CompiledSinglePlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const single = new Map(plans.filter((p): p is CompiledSinglePlan => p.kind === 'plan').map((p) => [p.planId, p]));

const OFFERINGS = ['HOME_FIBER_1G', 'MOBILE_POSTPAID', 'OTT_STREAMING', 'FAMILY_PACK'] as const;

function orderOf(offering: (typeof OFFERINGS)[number], id: string): unknown {
  if (offering === 'HOME_FIBER_1G') return homeFiberOrder(id);
  if (offering === 'MOBILE_POSTPAID') return mobileOrder(id);
  if (offering === 'OTT_STREAMING') return { id, productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] };
  return {
    id, productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }, { name: 'simType', value: 'physical' }] },
      productOrderItem: [{ id: '1.tv', action: 'add', productOffering: { id: 'OTT_STREAMING' } }],
    }],
  };
}

const STEP_IDS = [...new Set([...single.values()].flatMap((p) => p.steps.map((s) => s.id)))];

const script = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ outcome: 'success' }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 90_000 }).map((delayMs) => ({ outcome: 'success', delayMs })) },
  { weight: 1, arbitrary: fc.constant({ outcome: 'success', duplicate: true }) },
  { weight: 1, arbitrary: fc.constant({ outcome: 'rejected', reason: 'random rejection' }) },
  { weight: 1, arbitrary: fc.boolean().map((applied) => ({ outcome: 'timeout', applied })) },
);

const run = fc.record({
  offering: fc.constantFrom(...OFFERINGS),
  steps: fc.dictionary(fc.constantFrom(...STEP_IDS), script, { maxKeys: 4 }),
  /** Pump rounds before the cancel (null: no cancel). */
  cancelAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
  approve: fc.boolean(),
  /** Pump rounds before an amendment (null: none), and which. */
  amendAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
  amend: fc.constantFrom(
    { change: 'appointment', with: { preferredDate: '2027-01-15' } },
    { change: 'speed', with: { speed: '2000' } },
  ),
  /** Pump rounds before the first-usage signal (null: none). */
  signalAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
});

interface Entry { seq: number; pos: number; type: string; saga: string | null; step: string | null; payload: Record<string, unknown> }

async function checkInvariants(store: Store, rt: Runtime, orderId: string): Promise<void> {
  const trail = (await store.query<Record<string, unknown>>(
    'SELECT seq, pos, type, saga_id, step_id, payload FROM audit_trail WHERE product_order_id = $1 ORDER BY seq, pos', [orderId]))
    .map((r): Entry => ({
      seq: Number(r.seq), pos: Number(r.pos), type: String(r.type), saga: (r.saga_id as string | null) ?? null,
      step: (r.step_id as string | null) ?? null, payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    }));
  const sagas = await store.query<{ id: string; plan_hash: string; state: string; signals: unknown }>(
    'SELECT id, plan_hash, state, signals FROM saga WHERE product_order_id = $1', [orderId]);
  for (const saga of sagas) {
    const plan = plans.find((p) => p.hash === saga.plan_hash) as CompiledSinglePlan;
    const changes = trail.filter((e) => e.type === 'StepStateChanged' && e.saga === saga.id);
    const firstIndex = (step: string, to: string) => changes.findIndex((e) => e.step === step && e.payload.to === to);
    for (const planStep of plan.steps) {
      const done = firstIndex(planStep.id, 'SUCCEEDED');
      if (done < 0) continue;
      // No step succeeds before its dependencies (each succeeded or was skipped earlier).
      for (const dep of planStep.dependsOn) {
        const depDone = Math.max(firstIndex(dep, 'SUCCEEDED'), firstIndex(dep, 'SKIPPED'));
        const nonBlocking = plan.steps.find((s) => s.id === dep)?.kind === 'billing_trigger' && plan.billing?.blocksCompletion === false;
        if (!nonBlocking) expect(depDone, `${planStep.id} succeeded before ${dep}`).toBeGreaterThanOrEqual(0);
        if (!nonBlocking) expect(depDone).toBeLessThan(done);
      }
      // Billing readiness never before its trigger.
      if (planStep.kind === 'billing_trigger' && plan.billing) {
        const received = trail.filter((e) => e.type === 'SignalReceived' && e.saga === saga.id).map((e) => String(e.payload.signal));
        if (plan.billing.trigger === 'first_usage') expect(received).toContain('first-usage');
        if (plan.billing.trigger === 'activation') {
          for (const a of plan.steps.filter((s) => s.kind === 'activation')) {
            const activated = Math.max(firstIndex(a.id, 'SUCCEEDED'), firstIndex(a.id, 'SKIPPED'));
            expect(activated, `billing before activation ${a.id}`).toBeGreaterThanOrEqual(0);
            expect(activated).toBeLessThan(done);
          }
        }
      }
    }
    // Every compensated step had run (succeeded, or timed out with its effect unknown).
    for (const e of changes.filter((c) => c.payload.to === 'COMPENSATED')) {
      const ran = changes.some((c) => c.step === e.step && (c.payload.to === 'SUCCEEDED' || (c.payload.to === 'FAILED' && c.payload.outcome === 'timeout')));
      expect(ran, `${e.step} compensated without having run`).toBe(true);
    }
  }
  // Side effects: one applied ledger row per key is the table's key; a unit held by one key only.
  const units = await store.query(
    'SELECT held_by FROM component_resource_unit WHERE held_by IS NOT NULL GROUP BY held_by HAVING count(*) > 1');
  expect(units).toEqual([]);
  const reservations = await store.query<{ resource_id: string }>(
    `SELECT resource_id FROM resource_reservation WHERE state IN ('RESERVED', 'ASSIGNED', 'ACTIVATING', 'ACTIVE')
      GROUP BY resource_id HAVING count(*) > 1`);
  expect(reservations).toEqual([]);
  // Where every order ends.
  const [order] = await store.query<{ state: string }>('SELECT state FROM product_order WHERE id = $1', [orderId]);
  const state = String(order?.state);
  if (['completed', 'partial', 'cancelled', 'failed'].includes(state)) return;
  const open = await store.query(`SELECT 1 FROM fallout_case WHERE product_order_id = $1 AND state = 'OPEN'`, [orderId]);
  const pending = await store.query(`SELECT 1 FROM approval WHERE product_order_id = $1 AND state = 'PENDING'`, [orderId]);
  const billingAwaited = (await store.query(
    `SELECT 1 FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = $1 AND st.outcome = 'awaiting-trigger' AND st.state = 'NOT_STARTED'`,
    [orderId])).length > 0;
  expect(open.length + pending.length > 0 || billingAwaited, `order ${orderId} ends ${state} with nothing able to move it`).toBe(true);
  void rt;
}

describe.each(stores)('the order lifecycle, random runs, on $name', (storeUnderTest) => {
  const runtimes: Runtime[] = [];
  afterAll(async () => { for (const rt of runtimes) await disposeRuntime(rt); });

  it('keeps its invariants under random component behaviour, cancels, amendments and signals', async () => {
    const { runtime: rt, store } = await newRuntime(storeUnderTest);
    runtimes.push(rt);
    await rt.registerPlans(plans as CompiledPlan[]);
    let n = 0;
    await fc.assert(fc.asyncProperty(run, async (r) => {
      const id = `po-prop-${n++}`;
      const submitted = await rt.submitOrder(orderOf(r.offering, id), { scenario: { steps: r.steps } });
      expect(submitted.ok).toBe(true);
      for (let round = 0; round <= 12; round++) {
        if (r.cancelAfter === round) {
          const result = await rt.engine.cancel({ productOrderId: id, reason: 'property test' });
          expect(result.ok).toBe(true);
        }
        if (r.amendAfter === round) {
          // Refused or taken, as the plan's rules say for where the order is: never a crash.
          const itemId = r.offering === 'FAMILY_PACK' ? '1.fiber' : '1';
          const amended = await rt.engine.amend({ productOrderId: id, itemId, change: r.amend.change, with: r.amend.with });
          if (!amended.ok) expect(amended.problem).toBeTruthy();
        }
        if (r.signalAfter === round) expect((await rt.engine.signal({ productOrderId: id, signal: 'first-usage' })).ok).toBe(true);
        await rt.pump();
      }
      await rt.settle();
      for (const pending of await store.query<{ id: string }>(`SELECT id FROM approval WHERE product_order_id = $1 AND state = 'PENDING'`, [id])) {
        await rt.engine.approve(pending.id, { by: 'property-test', approve: r.approve });
        await rt.settle();
      }
      await checkInvariants(store, rt, id);
    }), { numRuns: 24, seed: 20261204 });
  }, 240_000);
});
