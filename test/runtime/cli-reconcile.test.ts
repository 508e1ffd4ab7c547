// `o2a reconcile`, `o2a reconcile --dry-run` and `o2a reconcile --list` as the user runs them,
// through `main` on a PGlite data folder (`--db`) and, when it is reachable, on the local
// PostgreSQL named by the DATABASE_URL environment variable (a database of its own). Two orders
// are set going ten minutes ago by a runtime that stops: the technician's completion of one never
// reached the engine (a repair), the billing system lost the other's readiness (an alert). Exit
// codes: 0 nothing needs a person, 3 something is alerted (or would be, or stands from before).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openStore, type Queryable, type StoreOptions } from '../../runtime/store/store.js';
import { cliStores, o2aWith, type Outcome } from './cli-stores.js';
import { homeFiberOrder, mobileOrder, samplePlans } from './harness.js';

const plans = await samplePlans();
const { stores, scratch } = await cliStores('cli-reconcile');

/** `o2a`: a PGlite folder through `--db`; the PostgreSQL database through DATABASE_URL (no flag). */
function cliFor(store: StoreOptions & { flags: string[] }): (...args: string[]) => Promise<Outcome> {
  if (!store.databaseUrl) return (...args) => o2aWith(store.flags, ...args);
  return async (...args) => {
    const before = process.env.DATABASE_URL;
    process.env.DATABASE_URL = store.databaseUrl;
    try { return await o2aWith([], ...args); } finally {
      if (before === undefined) delete process.env.DATABASE_URL; else process.env.DATABASE_URL = before;
    }
  };
}

describe.each(stores)('o2a reconcile on $name', { timeout: 120_000 }, (storeUnderTest) => {
  it('--dry-run reports and writes nothing; a run repairs one mismatch and alerts the other (exit 3); --list shows what was recorded', async () => {
    const { flags, ...store } = await storeUnderTest.open(scratch());
    const o2a = cliFor({ ...store, flags });
    const tag = randomUUID().slice(0, 6);
    const lost = `po-cli-rec-lost-${tag}`;
    const unbilled = `po-cli-rec-bill-${tag}`;
    /** What the database holds, in one look (each opening of a PGlite folder costs a second or more). */
    const look = async (db: Queryable) => {
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT (SELECT state FROM product_order WHERE id = $1) AS lost, (SELECT state FROM product_order WHERE id = $2) AS unbilled,
                (SELECT count(*) FROM reconciliation_finding) AS findings,
                (SELECT count(*) FROM event_log) + (SELECT count(*) FROM outbox) AS written,
                (SELECT count(*) FROM component_ledger WHERE owner = 'workforce' AND product_order_id = $1 AND applied) AS worked,
                (SELECT count(*) FROM component_ledger WHERE owner = 'billing' AND product_order_id = $2) AS billed`, [lost, unbilled]);
      return {
        lost: row?.lost, unbilled: row?.unbilled, findings: Number(row?.findings), written: Number(row?.written),
        worked: Number(row?.worked), billed: Number(row?.billed),
      };
    };
    let before: Awaited<ReturnType<typeof look>> | undefined;
    const runtime = await Runtime.open({ ...store, clock: new ManualClock(new Date(Date.now() - 10 * 60_000)), reconcileIntervalMs: 0 });
    try {
      await runtime.registerPlans(plans);
      // The workforce completes the work order and records its answer; the answer never arrives.
      expect(await runtime.submitOrder(homeFiberOrder(lost), { scenario: { steps: { install: { outcome: 'timeout', applied: true } } } })).toMatchObject({ ok: true });
      expect(await runtime.submitOrder(mobileOrder(unbilled))).toMatchObject({ ok: true });
      await runtime.runUntilIdle();
      // The billing system loses the mobile line's readiness.
      await runtime.store.query(`DELETE FROM component_ledger WHERE owner = 'billing' AND product_order_id = $1`, [unbilled]);
      before = await look(runtime.store);
    } finally {
      await runtime.close();
    }
    const opened = async () => {
      const db = await openStore(store);
      try { return await look(db); } finally { await db.close(); }
    };
    expect(before).toMatchObject({ lost: 'inProgress', unbilled: 'completed', findings: 0, worked: 1, billed: 0 });

    // A dry run: what it would do, exit 3 (an alert would be raised); nothing written.
    const dry = await o2a('reconcile', '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(new RegExp(`^-  none  work-order-completed-not-updated  order ${lost} step install  at \\S+$`, 'm'));
    expect(dry.stdout).toMatch(/^ {4}dry run: would repair: workforce's recorded answer WorkOrderCompleted delivered again/m);
    expect(dry.stdout).toMatch(new RegExp(`^-  none  product-active-billing-missing  order ${unbilled} step billing`, 'm'));
    expect(dry.stdout).toMatch(/^ {4}dry run: would alert: the product is active but billing has no billing readiness/m);
    expect(await opened()).toEqual(before);

    // The run: the lost answer delivered again (the order completes), the billing gap alerted.
    const run = await o2a('reconcile');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`^rf-\\S+  repaired  work-order-completed-not-updated  order ${lost} step install  at \\S+$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^rf-\\S+  alerted  product-active-billing-missing  order ${unbilled} step billing  at \\S+$`, 'm'));
    // Applied once: the workforce's answer delivered again, nothing sent to billing.
    expect(await opened()).toMatchObject({ lost: 'completed', unbilled: 'completed', findings: 2, worked: 1, billed: 0 });

    // Again: the repaired mismatch is gone; the alert stands (a person must act), not recorded again.
    const again = await o2a('reconcile');
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(new RegExp(`^rf-\\S+  alerted \\(before\\)  product-active-billing-missing  order ${unbilled}`, 'm'));
    expect(again.stdout).not.toContain(lost);

    // What was recorded, newest first: the two findings of the first run, nothing more.
    const listed = await o2a('reconcile', '--list');
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout.match(/^rf-/gm)).toHaveLength(2);
    expect(listed.stdout).toMatch(new RegExp(`^rf-\\S+  repaired  work-order-completed-not-updated  order ${lost} step install  at \\S+$`, 'm'));
    expect(listed.stdout).toMatch(new RegExp(`^rf-\\S+  alerted  product-active-billing-missing  order ${unbilled} step billing  at \\S+$`, 'm'));
    expect(listed.stdout).toMatch(/^ {4}the product is active but billing has no billing readiness for \S+: revenue at risk$/m);

    // Input it does not know: refused, nothing run.
    const bad = await o2a('reconcile', '--dry-rn');
    expect(bad.code).not.toBe(0);
    expect(bad.code).not.toBe(3);
    expect(bad.stderr + bad.stdout).toMatch(/unknown option '--dry-rn'/);
  });
});
