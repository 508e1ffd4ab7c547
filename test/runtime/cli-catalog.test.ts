// `o2a catalog retire` and `o2a catalog retired` (§31.4, stale catalog snapshot) as the user runs
// them, through `main` on a PGlite data folder and, when it is reachable, on the local PostgreSQL:
// an order is in flight on Home Fiber compiled against the October snapshot; the snapshot is
// retired; `o2a run` of a new order on that plan is refused naming it (exit 1), and the saga in
// flight is untouched. Exit codes: 0 done (or retired before), 1 refused input.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { projectRoot } from '../../compiler/project-root.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openStore } from '../../runtime/store/store.js';
import { cliStores, o2aWith } from './cli-stores.js';
import { homeFiberOrder } from './harness.js';

const ROOT = projectRoot();
const october = await loadPlans([join(ROOT, 'test', 'fixtures', 'diff', 'catalog-changed', 'previous', 'plans.o2a')], join(ROOT, 'catalogs', '2026.10'));
const stalePlan = october.plans.find((p) => p.offeringId === 'HOME_FIBER_1G') as CompiledPlan;
const { stores, scratch } = await cliStores('cli-catalog');

describe.each(stores)('o2a catalog on $name', { timeout: 120_000 }, (storeUnderTest) => {
  it('retire: new orders on the retired snapshot\'s plans refused naming it (o2a run exit 1), the saga in flight untouched; retired: listed; bad input: exit 1', async () => {
    expect(stalePlan?.catalog.version).toBe('2026.10');
    const dir = scratch();
    const { flags, ...store } = await storeUnderTest.open(dir);
    const o2a = (...args: string[]) => o2aWith(flags, ...args);
    const tag = randomUUID().slice(0, 6);
    const inFlight = `po-cli-cat-a-${tag}`;
    const fresh = `po-cli-cat-b-${tag}`;
    const runtime = await Runtime.open({ ...store, clock: new ManualClock(new Date()) });
    try {
      await runtime.registerPlans([stalePlan]);
      // The appointment answers an hour late: the saga is in flight when the snapshot is retired.
      expect(await runtime.submitOrder(homeFiberOrder(inFlight), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } })).toMatchObject({ ok: true });
      await runtime.runUntilIdle();
    } finally {
      await runtime.close();
    }

    const retire = await o2a('catalog', 'retire', 'telco-core', '2026.10', '--reason', 'superseded', '--replaced-by', '2026.11');
    expect(retire).toMatchObject({ code: 0, stderr: '' });
    expect(retire.stdout).toMatch(/^catalog telco-core 2026\.10: retired on \S+ \(superseded\); replaced by 2026\.11$/m);
    expect(retire.stdout).toContain(`1 registered plan compiled against it take no new order: HomeFiber1G version 2 (${stalePlan.hash.slice(0, 12)})`);
    expect(retire.stdout).toContain('1 saga in flight on them finish as they are');

    const blank = await o2a('catalog', 'retire', 'telco-core', ' ', '--json');
    expect(blank.code).toBe(1);
    expect(JSON.parse(blank.stdout)).toMatchObject({ ok: false, code: 'invalid', field: 'version' });

    // A new order on the October plan: refused, naming the plan and the snapshot.
    const planFile = join(dir, 'home-fiber-2026.10.json');
    writeFileSync(planFile, JSON.stringify(stalePlan));
    const orderFile = join(dir, 'order.json');
    writeFileSync(orderFile, JSON.stringify(homeFiberOrder(fresh)));
    const run = await o2a('run', '--plan', planFile, '--order', orderFile);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('productOrderItem.0.productOffering.id: plan HomeFiber1G version 2');
    expect(run.stdout).toContain('was compiled against catalog telco-core 2026.10, retired on');
    expect(run.stdout).toContain('(superseded): it takes no new order; compile the plan against telco-core 2026.11');

    const listed = await o2a('catalog', 'retired');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(/^telco-core 2026\.10 {2}retired on \S+ {2}\(superseded\) {2}replaced by 2026\.11$/m);

    const db = await openStore(store);
    try {
      const rows = await db.query<{ id: string; state: string; sagas: string | number }>(
        `SELECT id, state, (SELECT count(*) FROM saga s WHERE s.product_order_id = po.id) AS sagas FROM product_order po
          WHERE id = ANY($1) ORDER BY id`, [[inFlight, fresh]]);
      expect(rows.map((r) => [r.id, r.state, Number(r.sagas)])).toEqual([[inFlight, 'inProgress', 1], [fresh, 'rejected', 0]]);
      expect(await db.query(`SELECT plan_hash FROM saga WHERE product_order_id = $1`, [inFlight])).toEqual([{ plan_hash: stalePlan.hash }]);
    } finally {
      await db.close();
    }
  });
});
