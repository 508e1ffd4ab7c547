// `o2a amend` and `o2a amendments` as the user sees them, through `main` on a PGlite data folder
// and, when it is reachable, on the local PostgreSQL (a database of its own): an order is set going
// by a runtime that stops while the appointment waits for its (delayed) answer; `o2a amend`
// replans it and drives the runtime to the end. Exit codes: 0 done, 3 refused by the plan (or
// another amendment in progress), 1 refused input; nothing written for a refusal.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openStore } from '../../runtime/store/store.js';
import { cliStores, o2aWith } from './cli-stores.js';
import { homeFiberOrder, samplePlans } from './harness.js';

const plans = await samplePlans();
const { stores, scratch } = await cliStores('cli-amend');

describe.each(stores)('o2a amend on $name', { timeout: 180_000 }, (storeUnderTest) => {
  it('replans the appointment (exit 0), refuses a speed change after activation with the plan\'s text (exit 3), bad input (exit 1)', async () => {
    const { flags, ...store } = await storeUnderTest.open(scratch());
    const o2a = (...args: string[]) => o2aWith(flags, ...args);
    const id = `po-cli-a1-${randomUUID().slice(0, 6)}`;
    const runtime = await Runtime.open({ ...store, clock: new ManualClock(new Date()) });
    try {
      await runtime.registerPlans(plans);
      expect(await runtime.submitOrder(homeFiberOrder(id), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } })).toMatchObject({ ok: true });
      await runtime.runUntilIdle();
    } finally {
      await runtime.close();
    }
    const count = async () => {
      const db = await openStore(store);
      try { return (await db.query('SELECT 1 FROM amendment_request WHERE product_order_id = $1', [id])).length; } finally { await db.close(); }
    };

    const malformed = await o2a('amend', id, '--item', '1', '--change', 'appointment', '--with', '{"preferredDate":');
    expect(malformed.code).toBe(1);
    expect(malformed.stdout + malformed.stderr).toMatch(/error: with: not JSON/);
    const unknown = await o2a('amend', id, '--item', '1', '--change', 'colour', '--with', '{"x":1}', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ ok: false, code: 'unknown-change', problems: [{ field: 'change' }] });
    expect(await count()).toBe(0);

    const amended = await o2a('amend', id, '--item', '1', '--change', 'appointment', '--with', '{"preferredDate":"2026-12-08"}', '--by', 'crm');
    expect(amended.stderr).toBe('');
    expect(amended.code).toBe(0);
    expect(amended.stdout).toMatch(/amendment request apo-\S+: done/);
    expect(amended.stdout).toContain('preferredDate: null -> "2026-12-08"');
    expect(amended.stdout).toMatch(/replanned install_slot: attempt 1 \(\S+\/install_slot\/0\) -> \S+\/install_slot\/1/);
    expect(amended.stdout).toMatch(new RegExp(`order ${id}: completed`));

    const speed = await o2a('amend', id, '--item', '1', '--change', 'speed', '--with', '{"downloadMbps":2000}');
    expect(speed.code).toBe(3);
    expect(speed.stdout + speed.stderr).toContain('the line is active: place a speed change order');
    expect(await count()).toBe(1);

    // The requests of the order, as operations read them.
    const listed = await o2a('amendments', id);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^apo-\S+ {2}done {2}item 1 {2}appointment {2}at \S+ by crm$/m);
    expect(listed.stdout).toContain('  preferredDate: null -> "2026-12-08"');
    expect(listed.stdout).toMatch(/ {2}replanned install_slot: attempt 1 \(\S+\/install_slot\/0\) -> \S+\/install_slot\/1/);
    const json = await o2a('amendments', id, '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ state: 'done', change: 'appointment', requestedBy: 'crm', lineage: [expect.objectContaining({ stepId: 'install_slot' })] })]);
    const nobody = await o2a('amendments', 'po-nobody', '--json');
    expect(nobody.code).toBe(1);
    expect(JSON.parse(nobody.stdout)).toMatchObject({ ok: false, code: 'unknown-order' });
  });
});
