// Faults injected at the moment a delivery is acknowledged: a consumer that did its work (and
// committed it) but fails before the relay marks the message published, and a relay whose mark
// fails. The message is delivered again; nothing is applied twice; every order completes. And a
// process that dies holding commands (its components never answered): no order waits for a
// business timeout, none fails.
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { ManualClock } from '../../runtime/clock.js';
import type { Envelope } from '../../runtime/engine/messages.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

/** Pumps until idle, going on after rounds that fail (a fault was injected); returns the failures seen. */
async function settleThroughFaults(runtime: Runtime, rounds = 2000): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < rounds; i++) {
    try {
      if ((await runtime.pump()) === 0) {
        await runtime.settle();
        return failures;
      }
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  throw new Error('did not settle');
}

/** Every side effect applied once per key: each succeeded side-effecting step's key has one applied ledger row, and no other key has one. */
async function expectAppliedOncePerKey(store: Store): Promise<number> {
  const steps = await store.query<{ owner: string; idempotency_key: string }>(
    `SELECT owner, idempotency_key FROM saga_step WHERE state = 'SUCCEEDED' AND idempotency_key IS NOT NULL`);
  const applied = await store.query<{ owner: string; idempotency_key: string }>(
    'SELECT owner, idempotency_key FROM component_ledger WHERE applied');
  const keys = new Set(steps.map((s) => `${s.owner}/${s.idempotency_key}`));
  for (const row of applied) expect(keys.has(`${row.owner}/${row.idempotency_key}`)).toBe(true);
  expect(applied.length).toBe(steps.length);
  const units = await store.query<{ held_by: string; n: string }>(
    `SELECT held_by, count(*) AS n FROM component_resource_unit WHERE held_by IS NOT NULL GROUP BY held_by HAVING count(*) > 1`);
  expect(units).toEqual([]);
  return applied.length;
}

async function orderStates(store: Store): Promise<Record<string, number>> {
  const rows = await store.query<{ state: string; n: string }>('SELECT state, count(*) AS n FROM product_order GROUP BY state');
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

describe.each(stores)('delivery faults on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  let second: Runtime | undefined;
  afterEach(async () => {
    await second?.stop();
    second = undefined;
    if (runtime) await disposeRuntime(runtime);
    runtime = undefined;
  });

  it('a component that committed its work but fails before acknowledging gets the command again and applies it once', async () => {
    let clock: ManualClock;
    let store: Store;
    ({ runtime, clock, store } = await newRuntime(storeUnderTest));
    void clock;
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    // The fault: every third batch of commands is taken (committed, answered) and then the
    // consumer fails before the relay may mark it published.
    let batches = 0;
    let injected = 0;
    rt.bus.subscribeRest(async (messages: Envelope[]) => {
      await rt.components.consume(messages);
      if (++batches % 3 === 0) { injected++; throw new Error('injected: consumer failed before acknowledging'); }
    });
    const orders = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? homeFiberOrder(`po-f${i}`) : mobileOrder(`po-f${i}`)));
    const results = await rt.submitOrders(orders.map((order) => ({ order })));
    expect(results.every((r) => r.ok)).toBe(true);
    const failures = await settleThroughFaults(rt);
    expect(injected).toBeGreaterThan(2);
    expect(failures.filter((f) => f.startsWith('injected'))).toHaveLength(injected);
    expect(await orderStates(store)).toEqual({ completed: 6 });
    // Delivered again, recognised, answered again under the same ids, applied once.
    const counts = Object.values(rt.components.snapshot());
    expect(counts.reduce((n, c) => n + c.duplicates, 0)).toBeGreaterThan(0);
    expect(counts.reduce((n, c) => n + c.resent, 0)).toBeGreaterThan(0);
    const applied = await expectAppliedOncePerKey(store);
    expect(rt.components.sideEffects()).toBe(applied);
    expect(await store.query(`SELECT 1 FROM fallout_case`)).toEqual([]);
    expect(await store.query(`SELECT 1 FROM outbox_pending`)).toEqual([]);
  });

  it('a relay whose mark fails after the consumers took the messages delivers them again; nothing is applied twice', async () => {
    let store: Store;
    ({ runtime, store } = await newRuntime(storeUnderTest));
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    let marks = 0;
    const markPublished = rt.relay.markPublished.bind(rt.relay);
    rt.relay.markPublished = async (claimed) => {
      if (++marks % 2 === 0) throw new Error('injected: mark failed');
      return markPublished(claimed);
    };
    await rt.submitOrders([{ order: homeFiberOrder('po-m1') }, { order: mobileOrder('po-m2') }]);
    const failures = await settleThroughFaults(rt);
    expect(failures.length).toBeGreaterThan(2);
    expect(await orderStates(store)).toEqual({ completed: 2 });
    const applied = await expectAppliedOncePerKey(store);
    expect(rt.components.sideEffects()).toBe(applied);
    expect(await store.query(`SELECT 1 FROM outbox_pending`)).toEqual([]);
  });

  it('a process that dies holding commands its components took: another finishes every order, no step times out', async () => {
    // A lease of 10 minutes, longer than the first step's business timeout (1 minute, on
    // timeout fail): the timeout must wait for the delivery, not fail the order.
    let store: Store;
    let clock: ManualClock;
    ({ runtime, store, clock } = await newRuntime(storeUnderTest, { leaseMs: 600_000 }));
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    // Process A's components commit what they did, then the process dies before the engine takes
    // the answers: nothing of it is acknowledged, and A's memory is gone.
    // (It never returns, and says nothing to the database any more: a process killed.)
    let dead = false;
    rt.bus.subscribeRest(async (messages: Envelope[]) => {
      if (dead) return new Promise<void>(() => undefined);
      const store = rt.components;
      dead = true;
      await store.consume(messages.filter((m) => m.kind === 'command')).catch(() => undefined);
      return new Promise<void>(() => undefined);
    });
    await rt.submitOrders([{ order: homeFiberOrder('po-d1') }, { order: homeFiberOrder('po-d2') }]);
    for (let i = 0; i < 100 && !dead; i++) await Promise.race([rt.pump(), new Promise((resolve) => setTimeout(resolve, 50))]);
    expect(dead).toBe(true);
    rt.relay.abandon();
    // Process B, on the same database: it takes A's commands once their lease runs out.
    second = new Runtime({ store, clock, workerId: 'worker-b', leaseMs: 600_000 });
    await second.settle(2 * 3600_000);
    expect(await orderStates(store)).toEqual({ completed: 2 });
    expect(await expectAppliedOncePerKey(store)).toBeGreaterThan(0);
    const audit = async (type: string) => (await store.query(`SELECT 1 FROM audit_trail WHERE type = $1`, [type])).length;
    expect(await audit('StepTimedOut')).toBe(0);
    expect(await audit('StepTimeoutDeferred')).toBeGreaterThan(0);
    expect(await store.query(`SELECT 1 FROM outbox_pending`)).toEqual([]);
  });
});
