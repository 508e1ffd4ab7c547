// Cancellation as the user sees it (`o2a cancel`, `approve`, `approvals`, `cancellations`), through
// `main` on a PGlite data folder and, when it is reachable, on the local PostgreSQL (a database of
// its own per test). Each command is a process of its own on the same database: an order is set
// going by a runtime that stops while a step waits for its (delayed) answer, and that answer, kept
// in the database, is delivered when a later command drives the runtime. Exit codes: 0 the
// cancellation is done (approve --refuse: the order goes on), 1 refused input and nothing written,
// 3 not done: refused by the plan, or waiting for an approval.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openStore } from '../../runtime/store/store.js';
import { cliStores, o2aWith, type Outcome } from './cli-stores.js';
import { homeFiberOrder, mobileOrder, samplePlans } from './harness.js';

const plans = await samplePlans();
const LONG = 3_600_000;

const { stores, scratch } = await cliStores('cli-cancel');

// Each command opens the database anew (a PGlite folder takes a second or so): more time than the default.
describe.each(stores)('o2a cancel on $name', { timeout: 180_000 }, (storeUnderTest) => {
  /** A scratch folder, the database, a runtime to set orders going, and `o2a` on the database. */
  async function workspace() {
    const dir = scratch();
    const { flags, ...store } = await storeUnderTest.open(dir);
    const o2a = (...args: string[]): Promise<Outcome> => o2aWith(flags, ...args);
    /** Takes the order and runs it until nothing is due now: a delayed answer stays in the database. */
    const start = async (order: unknown, scenario: unknown): Promise<void> => {
      const runtime = await Runtime.open({ ...store, clock: new ManualClock(new Date()) });
      try {
        await runtime.registerPlans(plans);
        const submitted = await runtime.submitOrder(order, { scenario });
        expect(submitted).toMatchObject({ ok: true });
        await runtime.runUntilIdle();
      } finally {
        await runtime.close();
      }
    };
    const query = async <R,>(sql: string, params: unknown[] = []): Promise<R[]> => {
      const db = await openStore(store);
      try { return await db.query<R>(sql, params); } finally { await db.close(); }
    };
    const planFile = (id: string): string => {
      const file = join(dir, `${id}.json`);
      writeFileSync(file, JSON.stringify(plans.find((p) => p.planId === id)));
      return file;
    };
    const file = (name: string, value: unknown): string => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(value));
      return path;
    };
    return { o2a, start, query, planFile, file };
  }

  /** The whole of stdout is one JSON value. */
  function json(outcome: Outcome): Record<string, unknown> {
    expect(outcome.stderr).toBe('');
    return JSON.parse(outcome.stdout) as Record<string, unknown>;
  }

  /** The steps whose compensation started, in the order the live progress printed them. */
  function compensated(stdout: string): string[] {
    return [...stdout.matchAll(/^ {2}\S+\s+(\S+)\s+SUCCEEDED\s+-> COMPENSATING$/gm)].map((m) => m[1] as string);
  }

  it('o2a signal first-usage bills an OTT order that completed without billing; an unknown signal is refused (exit 1)', async () => {
    const { o2a, start, query } = await workspace();
    const id = `po-cli-s1-${randomUUID().slice(0, 6)}`;
    await start({ id, productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] }, {});
    const billed = async () => query<{ applied: boolean }>(
      `SELECT applied FROM component_ledger WHERE owner = 'billing' AND product_order_id = $1`, [id]);
    expect(await billed()).toEqual([]);
    const typo = await o2a('signal', id, 'first-usge');
    expect(typo.code).toBe(1);
    expect(typo.stderr + typo.stdout).toContain('signal: unknown signal "first-usge"; expected one of customer-accepted, first-usage');
    const signal = await o2a('signal', id, 'first-usage');
    expect(signal.stderr).toBe('');
    expect(signal.code).toBe(0);
    expect(signal.stdout).toContain('item 1: first-usage received; billing readiness requested');
    expect(await billed()).toEqual([{ applied: true }]);
    const again = json(await o2a('signal', id, 'first-usage', '--json'));
    expect(again).toMatchObject({ signal: 'first-usage', sagas: [{ itemId: '1', duplicate: true, billingStarted: false }] });
  });

  it('cancel after reservation: compensated in reverse order, the units released, the order cancelled (exit 0)', async () => {
    const { o2a, start, query } = await workspace();
    const id = `po-cli-c1-${randomUUID().slice(0, 6)}`;
    // The appointment is answered an hour late: the cancel arrives while it runs.
    await start(homeFiberOrder(id), { steps: { install_slot: { delayMs: LONG } } });
    const cancel = await o2a('cancel', id, '--reason', 'moving abroad', '--by', 'crm');
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(new RegExp(`^cancel request cpo-\\S+ for order ${id}: inProgress$`, 'm'));
    expect(cancel.stdout).toContain('  item 1: after ont -> compensate\n');
    expect(cancel.stdout).toMatch(/^cancel request cpo-\S+: done$/m);
    expect(cancel.stdout).toContain(`  order ${id}: cancelled  (customer sees: Cancelled)`);
    // The appointment's late answer came in (this command drove the runtime), then each step was undone.
    expect(compensated(cancel.stdout)).toEqual(['install_slot', 'router', 'ont']);
    const units = await query<{ state: string; held_by: string | null }>(
      `SELECT u.state, u.held_by FROM component_resource_unit u
        JOIN resource_reservation r ON r.resource_id = u.id JOIN saga s ON s.id = r.saga_id WHERE s.product_order_id = $1`, [id]);
    expect(units).toEqual([{ state: 'AVAILABLE', held_by: null }, { state: 'AVAILABLE', held_by: null }]);

    const status = await o2a('status', id);
    expect(status.stdout).toMatch(/ont\s+COMPENSATED/);
    expect(status.stdout).toContain('internal state:    cancelled');
    const list = await o2a('cancellations', id);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^cpo-\S+ {2}done {2}whole order {2}at \S+ by crm: moving abroad$/m);
    expect(list.stdout).toContain('  item 1: after ont -> compensate');
    // The same cancel again is the same request, shown as it is.
    const again = await o2a('cancel', id, '--json');
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ duplicate: true, state: 'done', productOrderId: id, order: { internalState: 'cancelled' } });
  });

  it('a cancel of a completed order is refused with the plan\'s text (exit 3); the order stays completed', async () => {
    const { o2a, planFile, file } = await workspace();
    const id = `po-cli-c2-${randomUUID().slice(0, 6)}`;
    const run = await o2a('run', '--plan', planFile('HomeFiber1G'), '--order', file('fiber.json', homeFiberOrder(id)), '--quiet');
    expect(run.code).toBe(0);
    const refused = await o2a('cancel', id, '--id', `cancel-${id}`);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toContain(`cancel request cancel-${id}: terminatedWithError`);
    expect(refused.stdout).toContain('  item 1: after notify -> reject\n');
    expect(refused.stdout).toContain('  refused: the service is active: place a cease order instead\n');
    expect(refused.stdout).toContain(`  order ${id}: completed`);
    // Under --json one object: the request as it is, the order after.
    const asJson = await o2a('cancel', id, '--id', `cancel-${id}`, '--json');
    expect(asJson.code).toBe(3);
    expect(json(asJson)).toMatchObject({
      id: `cancel-${id}`, productOrderId: id, itemId: null, state: 'terminatedWithError', duplicate: true,
      message: 'the service is active: place a cease order instead',
      decisions: [{ itemId: '1', rule: 'after notify', action: 'reject' }], approvals: [],
      order: { productOrderId: id, internalState: 'completed' },
    });
    expect(json(await o2a('cancellations', id, '--json'))).toEqual([
      expect.objectContaining({ id: `cancel-${id}`, state: 'terminatedWithError', approvals: [] }),
    ]);
  });

  it('cancel after hlr waits for an approval (exit 3); approved in a later command, the line is undone (exit 0)', async () => {
    const { o2a, start, query } = await workspace();
    const id = `po-cli-c3-${randomUUID().slice(0, 6)}`;
    await start(mobileOrder(id), { steps: { hlr: { delayMs: LONG, outcome: 'success' } } });
    const cancel = await o2a('cancel', id, '--by', 'care');
    expect(cancel.code).toBe(3);
    const approvalId = /requires approval (ap-\S+)$/m.exec(cancel.stdout)?.[1];
    expect(approvalId).toBeDefined();
    expect(cancel.stdout).toContain(`  item 1: after hlr -> compensate, requires approval ${approvalId}\n`);
    expect(cancel.stdout).toContain(`  awaiting approval ${approvalId}: o2a approve ${approvalId} --by <who>`);
    expect(cancel.stdout).toMatch(/^cancel request cpo-\S+: inProgress$/m);
    expect(cancel.stdout).toContain(`  order ${id}: pendingCancellation`);
    // Nothing is undone before the approval.
    expect(compensated(cancel.stdout)).toEqual([]);

    const pending = json(await o2a('approvals', '--json')) as unknown as { id: string; productOrderId: string; state: string }[];
    expect(pending).toContainEqual(expect.objectContaining({ id: approvalId, productOrderId: id, state: 'PENDING' }));
    expect((await o2a('approvals')).stdout).toContain(`${approvalId}  PENDING  order ${id}  compensation of 1 (after hlr)`);

    const approved = await o2a('approve', approvalId as string, '--by', 'supervisor-7', '--note', 'customer moved abroad');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain(`approval ${approvalId} approved by supervisor-7 (customer moved abroad): compensation of 1 (after hlr), order ${id}`);
    expect(compensated(approved.stdout)).toEqual(['hlr', 'sim', 'msisdn']);
    expect(approved.stdout).toMatch(/^cancel request cpo-\S+: done$/m);
    expect(approved.stdout).toContain(`  item 1: after hlr -> compensate, approved by supervisor-7 (approval ${approvalId})`);
    expect(approved.stdout).toContain(`  order ${id}: cancelled`);
    // The number goes to quarantine, the SIM back to its pool, as the plan says.
    const units = await query<{ id: string; state: string }>(
      `SELECT u.id, u.state FROM component_resource_unit u
        JOIN resource_reservation r ON r.resource_id = u.id JOIN saga s ON s.id = r.saga_id WHERE s.product_order_id = $1 ORDER BY u.id`, [id]);
    expect(units.map((u) => `${u.id.replace(/-\d+$/, '')} ${u.state}`)).toEqual(['MSISDN QUARANTINED', 'SIM_CARD AVAILABLE']);

    // Decided once: a second decision is refused, saying by whom.
    const twice = await o2a('approve', approvalId as string, '--by', 'someone-else');
    expect(twice.code).toBe(1);
    expect(twice.stdout).toMatch(new RegExp(`^error: approval: ${approvalId} is already APPROVED \\(by supervisor-7 at `, 'm'));
    expect(json(await o2a('approve', approvalId as string, '--by', 'someone-else', '--json'))).toMatchObject({ ok: false, code: 'already-decided' });
    expect((await o2a('approvals')).stdout).not.toContain(approvalId);
    expect((await o2a('approvals', '--all')).stdout).toContain(`${approvalId}  APPROVED  order ${id}`);
  });

  it('an approval refused: the cancel request ends refused and the order goes on and completes (exit 0)', async () => {
    const { o2a, start } = await workspace();
    const id = `po-cli-c4-${randomUUID().slice(0, 6)}`;
    // Verification answers after 5 minutes (its timeout is 10): the cancel comes after install.
    await start(homeFiberOrder(id), { steps: { verify: { delayMs: 300_000 } } });
    const cancel = await o2a('cancel', id, '--json');
    expect(cancel.code).toBe(3);
    const request = json(cancel) as { id: string; state: string; approvals: { id: string; state: string }[]; decisions: unknown[] };
    expect(request).toMatchObject({ state: 'inProgress', decisions: [{ rule: 'after install', action: 'compensate', requiresApproval: true }] });
    expect(request.approvals).toEqual([expect.objectContaining({ state: 'PENDING' })]);
    const approvalId = (request.approvals[0] as { id: string }).id;

    const refused = await o2a('approve', approvalId, '--by', 'supervisor-1', '--refuse', '--note', 'fee not agreed', '--json');
    expect(refused.code).toBe(0);
    expect(json(refused)).toMatchObject({
      id: approvalId, state: 'REFUSED', decidedBy: 'supervisor-1', note: 'fee not agreed',
      cancelRequest: { id: request.id, state: 'terminatedWithError', message: expect.stringMatching(/refused by supervisor-1: fee not agreed/) },
      order: { productOrderId: id, internalState: 'completed' },
    });
  });

  it('an unknown order or item is refused naming the field (exit 1), and nothing is written', async () => {
    const { o2a, start } = await workspace();
    const id = `po-cli-c5-${randomUUID().slice(0, 6)}`;
    await start(homeFiberOrder(id), { steps: { install_slot: { delayMs: LONG } } });

    const nobody = await o2a('cancel', 'po-nobody');
    expect(nobody).toEqual({ code: 1, stderr: '', stdout: 'error: productOrderId: no product order po-nobody\n' });
    expect(json(await o2a('cancel', 'po-nobody', '--json'))).toEqual({
      ok: false, code: 'unknown-order', productOrderId: 'po-nobody', message: 'productOrderId: no product order po-nobody',
      problems: [{ field: 'productOrderId', message: 'no product order po-nobody' }],
    });
    const noItem = await o2a('cancel', id, '--item', '9');
    expect(noItem).toEqual({ code: 1, stderr: '', stdout: `error: item: product order ${id} has no item 9 (its items: 1)\n` });
    expect(json(await o2a('cancel', id, '--item', '9', '--json'))).toMatchObject({
      ok: false, code: 'unknown-item', productOrderId: id, problems: [{ field: 'item', message: `product order ${id} has no item 9 (its items: 1)` }],
    });
    const badReason = await o2a('cancel', id, '--reason', 'x'.repeat(501), '--json');
    expect(badReason.code).toBe(1);
    expect(json(badReason)).toMatchObject({ ok: false, code: 'invalid-request', problems: [{ field: 'reason' }] });

    expect(await o2a('approve', 'ap-nope', '--by', 'x')).toEqual({ code: 1, stderr: '', stdout: 'error: approval: no approval ap-nope\n' });
    expect((await o2a('approve', 'ap-nope', '--by', '')).stdout).toBe('error: by: who decides must be named\n');
    // --by is required: a usage error.
    expect((await o2a('approve', 'ap-nope')).code).toBe(2);

    // Nothing written: no request, and the order runs on.
    expect(await o2a('cancellations', id)).toEqual({ code: 0, stderr: '', stdout: `no cancel requests for order ${id}\n` });
    expect((await o2a('status', id)).stdout).toContain('internal state:    inProgress');
    const unknown = await o2a('cancellations', 'po-nobody', '--json');
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toMatchObject({ ok: false, code: 'unknown-order' });
  });
});
