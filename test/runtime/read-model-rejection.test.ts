// An order rejected at intake on the read side: the read model (`o2a status`, text and --json)
// gives its rejection reasons, each as field and message, on the operator's side of the view;
// the customer-visible status stays the plan's (or the default) customer text, never the internal
// state or the reasons (§23). `o2a events` prints the reasons under the rejection entry. For an
// order rejected before migration 009 the audit entry has no reasons: the read model takes those
// kept with the order's row, or says they were not recorded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { renderTrail } from '../../runtime/cli-commands.js';
import { orderTrail, projectOrder } from '../../runtime/projection/read-model.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { Capture, disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from './harness.js';

const plans = await samplePlans();
const mobilePlan = plans.find((p) => p.planId === 'MobilePostpaid') as CompiledPlan;
const pglite = (await storesUnderTest()).filter((s) => s.name === 'pglite');

const OFFERING = 'productOrderItem.0.productOffering.id';
const NO_FIBER_PLAN = 'no fulfillment plan for offering HOME_FIBER_1G';

/** The audit entry of the rejection without its reasons, as an order rejected before migration 009 has it. */
async function forgetTrailReasons(store: Store, id: string): Promise<void> {
  await store.query(
    `UPDATE event_log SET more = (
       SELECT json_agg(CASE WHEN x.e->'payload' ? 'reasons' THEN jsonb_set(x.e, '{payload}', (x.e->'payload') - 'reasons') ELSE x.e END ORDER BY x.n)
         FROM jsonb_array_elements(more::jsonb) WITH ORDINALITY AS x(e, n))::json
      WHERE product_order_id = $1 AND more IS NOT NULL`, [id]);
  await store.query(
    `UPDATE event_log SET entries = (
       SELECT jsonb_agg(CASE WHEN x.e->'payload' ? 'reasons' THEN jsonb_set(x.e, '{payload}', (x.e->'payload') - 'reasons') ELSE x.e END ORDER BY x.n)
         FROM jsonb_array_elements(entries) WITH ORDINALITY AS x(e, n))
      WHERE product_order_id = $1 AND entries IS NOT NULL`, [id]);
  await store.query(`UPDATE event_log SET payload = payload - 'reasons' WHERE product_order_id = $1`, [id]);
}

describe.each(pglite)('the read model of an order rejected at intake on $name', (storeUnderTest) => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  /** A runtime that knows the mobile plan only: home fiber orders are rejected at intake. */
  async function start(): Promise<{ runtime: Runtime; store: Store }> {
    const opened = await newRuntime(storeUnderTest);
    runtime = opened.runtime;
    await runtime.registerPlans([mobilePlan]);
    return opened;
  }

  it('gives the reasons, field and message each, for the operator; the customer sees customer text only', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(homeFiberOrder('po-rm-rejected'));
    const view = await projectOrder(store, runtime.registry, 'po-rm-rejected');
    expect(view).toMatchObject({
      internalState: 'rejected',
      rejectionReasons: [{ field: OFFERING, message: NO_FIBER_PLAN }],
      customerVisibleStatus: 'Order not accepted',
      estimatedNextAction: null,
    });
    // Neither the internal state nor the reasons reach the customer's status.
    expect(view?.customerVisibleStatus).not.toMatch(/rejected|productOrderItem|fulfillment plan/);

    // Several reasons, in the order the intake gave them.
    await runtime.submitOrder({
      id: 'po-rm-items', productOrderItem: [
        { id: 'a', action: 'add', productOffering: { id: 'MOBILE_POSTPAID' } },
        { id: 'b', action: 'add', productOffering: { id: 'NO_SUCH_OFFERING' } },
        { id: 'c', action: 'add', productOffering: { id: 'HOME_FIBER_1G' } },
      ],
    });
    expect((await projectOrder(store, runtime.registry, 'po-rm-items'))?.rejectionReasons).toEqual([
      { field: 'productOrderItem.1.productOffering.id', message: 'no fulfillment plan for offering NO_SUCH_OFFERING' },
      { field: 'productOrderItem.2.productOffering.id', message: 'no fulfillment plan for offering HOME_FIBER_1G' },
    ]);
  });

  it('an order that was not rejected has none', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(mobileOrder('po-rm-taken'));
    await runtime.settle();
    const view = await projectOrder(store, runtime.registry, 'po-rm-taken');
    expect(view?.internalState).toBe('completed');
    expect(view?.rejectionReasons).toBeNull();
  });

  it('rejected before migration 009: the reasons kept with the order, else says they were not recorded', async () => {
    const { runtime, store } = await start();
    await runtime.submitOrder(homeFiberOrder('po-rm-old'));
    await forgetTrailReasons(store, 'po-rm-old');
    // Migration 009 filled the column from the outbox where it could.
    expect((await projectOrder(store, runtime.registry, 'po-rm-old'))?.rejectionReasons).toEqual([{ field: OFFERING, message: NO_FIBER_PLAN }]);
    // The trail has none to print under the rejection: it says so.
    const trail = renderTrail(await orderTrail(store, 'po-rm-old'));
    const rejection = trail.findIndex((l) => /ProductOrder acknowledged -> rejected/.test(l));
    expect(trail[rejection + 1]).toMatch(/^ {18}reasons: not in this entry \(rejected before migration 009\); o2a status gives/);
    // Where it could not, the reasons are unknown: one entry says so, no field named.
    await store.query('UPDATE product_order SET rejection_reasons = NULL WHERE id = $1', ['po-rm-old']);
    expect((await projectOrder(store, runtime.registry, 'po-rm-old'))?.rejectionReasons).toEqual([
      { field: null, message: expect.stringMatching(/not recorded.*before migration 009/) },
    ]);
  });
});

const scratch: string[] = [];
afterAll(() => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }); });

/** `o2a` on a PGlite data folder of its own, with the mobile plan only. */
function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-read-model-rejection-'));
  scratch.push(dir);
  const db = join(dir, 'db');
  const planFile = join(dir, 'MobilePostpaid.json');
  writeFileSync(planFile, JSON.stringify(mobilePlan));
  const file = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };
  const o2a = async (...args: string[]) => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(['node', 'o2a', ...args, '--db', db], { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  const run = (order: string) => o2a('run', '--plan', planFile, '--order', order, '--quiet');
  return { file, o2a, run };
}

describe('o2a status and o2a events of an order rejected at intake', () => {
  it('status shows the reasons on the operator side (text and --json); events prints them under the rejection', async () => {
    const { file, o2a, run } = workspace();
    expect((await run(file('fiber.json', homeFiberOrder('po-cli-rejected')))).code).toBe(1);

    const status = await o2a('status', 'po-cli-rejected');
    expect(status.code).toBe(0);
    expect(status.stderr).toBe('');
    const lines = status.stdout.split('\n');
    const customer = lines.find((l) => l.includes('customer sees:'));
    expect(customer).toBe('  customer sees:     Order not accepted');
    const at = lines.indexOf('  internal state:    rejected');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 3)).toEqual([
      '  rejected because:',
      `    ${OFFERING}: ${NO_FIBER_PLAN}`,
    ]);

    const asJson = await o2a('status', 'po-cli-rejected', '--json');
    expect(asJson.code).toBe(0);
    expect(asJson.stderr).toBe('');
    const view = JSON.parse(asJson.stdout) as Record<string, unknown>;
    expect(view).toMatchObject({
      productOrderId: 'po-cli-rejected', customerVisibleStatus: 'Order not accepted', internalState: 'rejected',
      rejectionReasons: [{ field: OFFERING, message: NO_FIBER_PLAN }],
    });

    const events = await o2a('events', 'po-cli-rejected');
    expect(events.code).toBe(0);
    expect(events.stderr).toBe('');
    const trail = events.stdout.split('\n');
    const rejection = trail.findIndex((l) => /ProductOrder acknowledged -> rejected/.test(l));
    expect(rejection).toBeGreaterThan(0);
    expect(trail[rejection + 1]).toBe(`${' '.repeat(18)}reason: ${OFFERING}: ${NO_FIBER_PLAN}`);
    // Only under the rejection entry.
    expect(trail.filter((l) => l.includes('reason:'))).toHaveLength(1);
  });

  it('an order that was not rejected shows no reasons', async () => {
    const { file, o2a, run } = workspace();
    expect((await run(file('mobile.json', mobileOrder('po-cli-taken')))).code).toBe(0);
    const status = await o2a('status', 'po-cli-taken');
    expect(status.stdout).not.toContain('rejected because');
    expect(JSON.parse((await o2a('status', 'po-cli-taken', '--json')).stdout)).toMatchObject({ rejectionReasons: null });
    expect((await o2a('events', 'po-cli-taken')).stdout).not.toContain('reason:');
  });
});
