// #16: a timer that comes while its saga is held (a fallout case or a party holds another step)
// is parked, not dropped: when the saga goes on, it is due at once, so a sibling step that was
// running or backing off before a retry finishes too. On every store.
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, mobileOrder, newRuntime, one, samplePlans, stepStates, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

describe.each(stores)('timers of a held saga on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let store: Store;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  async function start(): Promise<Runtime> {
    const opened = await newRuntime(storeUnderTest, { plans });
    runtime = opened.runtime;
    store = opened.store;
    return runtime;
  }
  const parked = async (id: string) => store.query<{ step_id: string; kind: string }>(
    `SELECT t.step_id, t.kind FROM timer t JOIN saga s ON s.id = t.saga_id WHERE s.product_order_id = $1 AND t.due_at > '9000-01-01' ORDER BY t.step_id`, [id]);

  it('two parallel branches: one held by fallout, the other timing out then retrying; resumed, both finish', async () => {
    const rt = await start();
    // The number pool refuses (fallout, the saga held); the SIM warehouse does not
    // answer its first command: its step times out while the saga is held.
    await rt.submitOrder(mobileOrder('po-h1'), { scenario: { steps: {
      msisdn: { outcome: 'rejected', reason: 'numbering plan exhausted' },
      sim: { outcome: 'timeout' },
    } } });
    await rt.settle();
    expect(await one<{ state: string }>(store, `SELECT state FROM saga WHERE product_order_id = 'po-h1'`)).toEqual({ state: 'HELD' });
    expect(await stepStates(store, 'po-h1')).toMatchObject({ msisdn: 'FAILED', sim: 'STARTED', hlr: 'NOT_STARTED' });
    // The SIM's timeout came while the saga was held: parked, with its attempt, not lost.
    expect(await parked('po-h1')).toEqual([{ step_id: 'sim', kind: 'step_timeout' }]);
    expect((await store.query(`SELECT 1 FROM audit_trail WHERE product_order_id = 'po-h1' AND type = 'StepTimerParked'`)).length).toBe(1);

    const [fallout] = await store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-h1' AND state = 'OPEN'`);
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await one<{ state: string }>(store, `SELECT state FROM product_order WHERE id = 'po-h1'`)).toEqual({ state: 'completed' });
    const steps = await stepStates(store, 'po-h1');
    expect(steps).toMatchObject({ msisdn: 'SUCCEEDED', sim: 'SUCCEEDED', hlr: 'SUCCEEDED', notify: 'SUCCEEDED' });
    expect(await parked('po-h1')).toEqual([]);
    // The SIM step timed out once (after the resume) and its retry reserved one unit.
    const sim = await one<{ attempt: number }>(store,
      `SELECT st.attempt FROM saga_step st JOIN saga s ON s.id = st.saga_id WHERE s.product_order_id = 'po-h1' AND st.step_id = 'sim'`);
    expect(sim.attempt).toBe(2);
  });

  it('a retry backing off when the saga is held runs once the saga goes on', async () => {
    const rt = await start();
    const plan = plans.find((p) => p.planId === 'EnterpriseFiber');
    if (!plan || plan.kind !== 'plan') throw new Error('no EnterpriseFiber');
    const vlan = plan.steps.find((s) => s.id === 'vlan');
    const survey = plan.steps.find((s) => s.id === 'survey');
    if (!vlan || !survey) throw new Error('no vlan or survey step');
    // The VLAN reservation gets no answer: it times out, and backs off before its retry; while it
    // waits, the site survey finds nobody there: the saga is held for the customer.
    const noAccessAt = vlan.timeout.ms + 10_000;
    expect(noAccessAt).toBeLessThan(vlan.timeout.ms + vlan.retry.initialDelayMs * 0.8);
    expect(noAccessAt).toBeLessThan(survey.timeout.ms);
    await rt.submitOrder({
      id: 'po-h2', relatedParty: [{ id: 'cust-9', role: 'customer' }],
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'ENTERPRISE_FIBER' },
        product: { productCharacteristic: [{ name: 'contractStartDate', value: '2020-01-01' }] } }],
    }, { scenario: { steps: { vlan: { outcome: 'timeout' }, survey: { outcome: 'no_access', delayMs: noAccessAt } } } });
    await rt.settle();
    expect(await one<{ state: string }>(store, `SELECT state FROM saga WHERE product_order_id = 'po-h2'`)).toEqual({ state: 'HELD' });
    expect(await stepStates(store, 'po-h2')).toMatchObject({ survey: 'WAITING', vlan: 'WAITING' });
    expect(await parked('po-h2')).toEqual([{ step_id: 'vlan', kind: 'retry' }]);
    const [fallout] = await store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-h2' AND state = 'OPEN'`);
    expect(await rt.resume((fallout as { id: string }).id)).toMatchObject({ ok: true });
    await rt.settle();
    expect(await one<{ state: string }>(store, `SELECT state FROM product_order WHERE id = 'po-h2'`)).toEqual({ state: 'completed' });
    expect(await stepStates(store, 'po-h2')).toMatchObject({ survey: 'SUCCEEDED', vlan: 'SUCCEEDED', pe: 'SUCCEEDED' });
    expect(await parked('po-h2')).toEqual([]);
  });
});
