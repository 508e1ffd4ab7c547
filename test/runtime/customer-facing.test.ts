// The check every §30 scenario test ends with (`expectCustomerFacingClean`, §23): what it takes
// for an internal state name, and that it fails an order whose plan maps a status to one.
import { afterEach, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import type { CompiledPlan, CompiledSinglePlan } from '../../compiler/emit/schema.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import {
  disposeRuntime, expectCustomerFacingClean, homeFiberOrder, leaksInternalState, newRuntime, samplePlans, storesUnderTest,
} from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

describe('internal state names in customer-facing texts', () => {
  it('a state name as the whole text, or a word no sentence uses, is a leak; plain words in a sentence are not', () => {
    for (const text of ['inProgress', 'completed', ' held ', 'NOT_STARTED', 'Status: SUCCEEDED', 'Your order is pendingCancellation',
      'RESOURCE_RESERVED, please wait', 'terminatedWithError']) {
      expect(leaksInternalState(text), text).not.toBeNull();
    }
    for (const text of ['Order received', 'Partly completed', 'Cancelled', 'Completed', 'Action needed: please reschedule',
      'Your line is active', 'We could not complete your order', 'On hold: we will contact you', 'Activating your service']) {
      expect(leaksInternalState(text), text).toBeNull();
    }
  });
});

describe.each(stores)('expectCustomerFacingClean on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  it('fails an order whose plan shows the customer an internal state name, and names where', async () => {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    const sample = plans.find((p) => p.planId === 'HomeFiber1G') as CompiledSinglePlan;
    // A careless mapping: the appointment running is shown as the step state.
    const statusMapping = sample.statusMapping.map((m) => (m.step === 'install_slot' && m.state === 'running' ? { ...m, text: 'STARTED' } : m));
    const { hash: _hash, ...rest } = { ...sample, planVersion: sample.planVersion + 1, statusMapping };
    const careless = { ...rest, hash: sha256Hex(canonicalJson(rest)) } as CompiledPlan;
    await runtime.registerPlans(plans as CompiledPlan[]);
    await runtime.submitOrder(homeFiberOrder('po-leak'), { plans: [careless], scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } });
    await runtime.runUntilIdle();
    expect((await projectOrder(opened.store, runtime.registry, 'po-leak'))?.customerVisibleStatus).toBe('STARTED');
    await expect(expectCustomerFacingClean(opened.store, 'po-leak')).rejects.toThrow(/customerVisibleStatus[\s\S]*STARTED/);
    // The sample plan's own text passes.
    await runtime.submitOrder(homeFiberOrder('po-clean'), { plans: [sample], scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } });
    await runtime.runUntilIdle();
    expect(await expectCustomerFacingClean(opened.store, 'po-clean')).toContain('Preparing your installation');
  });
});
