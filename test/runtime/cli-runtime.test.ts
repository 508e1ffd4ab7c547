// The runtime commands as the user sees them (`o2a run`, `status`, `events`), on a PGlite data
// folder through `main`: what each outcome prints, with and without --json, and its exit code.
// 0 the order completed (or the query answered); 1 refused input, nothing run (an invalid order,
// a conflict, an order rejected at intake now or before, an unknown order); 2 the order ended held
// or failed, or, as for every command, a usage error or a file that cannot be read.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { Capture, homeFiberOrder, mobileOrder, samplePlans } from './harness.js';

const plans = await samplePlans();
const SIM_TYPE = 'productOrderItem.0.product.productCharacteristic.0.value';
const OFFERING = 'productOrderItem.0.productOffering.id';

const scratch: string[] = [];
afterAll(() => { for (const dir of scratch) rmSync(dir, { recursive: true, force: true }); });

interface Outcome { code: number; stdout: string; stderr: string }

/** A scratch folder with a PGlite data folder, plan files and a helper to run `o2a` on them. */
function workspace(planIds: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-cli-runtime-'));
  scratch.push(dir);
  const db = join(dir, 'db');
  const planFiles = planIds.map((id) => {
    const file = join(dir, `${id}.json`);
    writeFileSync(file, JSON.stringify(plans.find((p) => p.planId === id)));
    return file;
  });
  const file = (name: string, value: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };
  const o2a = async (...args: string[]): Promise<Outcome> => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(['node', 'o2a', ...args, '--db', db], { stdout, stderr });
    return { code, stdout: stdout.text, stderr: stderr.text };
  };
  const run = (order: string, ...more: string[]) => o2a('run', ...planFiles.flatMap((p) => ['--plan', p]), '--order', order, '--quiet', ...more);
  return { dir, file, o2a, run };
}

/** The whole of stdout is one JSON value. */
function json(outcome: Outcome): Record<string, unknown> {
  expect(outcome.stderr).toBe('');
  return JSON.parse(outcome.stdout) as Record<string, unknown>;
}

describe('o2a run: an order that is not a valid TMF622 order', () => {
  it('is refused with exit 1, each problem naming its field; nothing is recorded', async () => {
    const { file, o2a, run } = workspace(['MobilePostpaid']);
    const order = file('bad.json', { id: 'po-bad', productOrderItem: [] });
    const text = await run(order);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).not.toMatch(/^rejected:/m);
    expect(text.stdout).toMatch(/^error: productOrderItem: .+$/m);
    expect(text.stdout).toContain('not a valid TMF622 product order');
    expect(text.stdout).toContain('nothing was recorded');

    const asJson = await run(order, '--json');
    expect(asJson.code).toBe(1);
    expect(json(asJson)).toEqual({
      ok: false, code: 'invalid-order', productOrderId: 'po-bad', message: expect.stringContaining('not a valid TMF622 product order'),
      problems: [{ field: 'productOrderItem', message: expect.any(String) }],
    });
    // Nothing recorded: the id is unknown.
    expect((await o2a('status', 'po-bad')).code).toBe(1);
  });

  it('an order file that is not JSON is refused as an invalid order (exit 1); one that cannot be read is a usage error (exit 2)', async () => {
    const { file, dir, run } = workspace(['MobilePostpaid']);
    const notJson = file('not-json.json', '{ "id": ');
    const text = await run(notJson);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^error: .*not-json\.json: not JSON/m);
    const asJson = await run(notJson, '--json');
    expect(asJson.code).toBe(1);
    expect(json(asJson)).toMatchObject({ ok: false, code: 'invalid-order', problems: [{ field: null, message: expect.stringContaining('not JSON') }] });

    const missing = join(dir, 'missing.json');
    const gone = await run(missing);
    expect(gone.code).toBe(2);
    expect(gone.stdout).toMatch(/^error: cannot read .*missing\.json/m);
    const goneJson = await run(missing, '--json');
    expect(goneJson.code).toBe(2);
    expect(json(goneJson)).toMatchObject({ ok: false, code: 'unreadable-file', problems: [{ field: null, message: expect.stringContaining('missing.json') }] });
  });
});

describe('o2a run: a conflict under --json', () => {
  it('is one JSON object naming the field that differs, exit 1 as in text', async () => {
    const { file, run } = workspace(['MobilePostpaid']);
    expect((await run(file('same.json', mobileOrder('po-json-conflict')))).code).toBe(0);
    const changed = await run(file('changed.json', mobileOrder('po-json-conflict', { simType: 'esim' })), '--json');
    expect(changed.code).toBe(1);
    expect(json(changed)).toEqual({
      ok: false, code: 'conflict', productOrderId: 'po-json-conflict', field: SIM_TYPE,
      message: expect.stringContaining('already exists with a different body'),
      problems: [{ field: SIM_TYPE, message: expect.stringMatching(/^conflict: product order po-json-conflict already exists/) }],
    });
  });
});

describe('o2a run: an order rejected at intake (no plan for its offering)', () => {
  it('is refused with exit 1, and a resubmission says it was rejected before and why, not an accepted duplicate', async () => {
    const { file, o2a, run } = workspace(['MobilePostpaid']);
    const order = file('fiber.json', homeFiberOrder('po-no-plan'));
    const first = await run(order);
    expect(first.code).toBe(1);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`rejected: ${OFFERING}: no fulfillment plan for offering HOME_FIBER_1G`);
    expect(first.stdout).toContain('po-no-plan');

    const again = await run(order);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('');
    expect(again.stdout).toContain('product order po-no-plan was rejected at intake before');
    expect(again.stdout).toContain(`${OFFERING}: no fulfillment plan for offering HOME_FIBER_1G`);
    expect(again.stdout).not.toContain('internal state');

    const againJson = await run(order, '--json');
    expect(againJson.code).toBe(1);
    expect(json(againJson)).toEqual({
      ok: false, code: 'rejected-before', productOrderId: 'po-no-plan', message: expect.stringContaining('rejected at intake before'),
      problems: [{ field: OFFERING, message: 'no fulfillment plan for offering HOME_FIBER_1G' }],
    });
    // The rejection is recorded: status shows it.
    const status = await o2a('status', 'po-no-plan');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('rejected');
  });

  it('under --json the first refusal is one object too', async () => {
    const { file, run } = workspace(['MobilePostpaid']);
    const first = await run(file('fiber.json', homeFiberOrder('po-no-plan-json')), '--json');
    expect(first.code).toBe(1);
    expect(json(first)).toEqual({
      ok: false, code: 'rejected', productOrderId: 'po-no-plan-json', message: expect.stringContaining('recorded as rejected'),
      problems: [{ field: OFFERING, message: 'no fulfillment plan for offering HOME_FIBER_1G' }],
    });
  });

  it('an order without an id is recorded under an id of its own, which the refusal gives (text and --json)', async () => {
    const { file, o2a, run } = workspace(['MobilePostpaid']);
    const order = homeFiberOrder('x') as Record<string, unknown>;
    delete order.id;
    const text = await run(file('no-id.json', order));
    expect(text.code).toBe(1);
    const id = /product order (po-\S+) recorded as rejected at intake/.exec(text.stdout)?.[1];
    expect(id).toBeDefined();
    expect((await o2a('status', id as string)).stdout).toContain('internal state:    rejected');

    const asJson = await run(file('no-id.json', order), '--json');
    expect(asJson.code).toBe(1);
    const refusal = json(asJson);
    expect(refusal).toEqual({
      ok: false, code: 'rejected', productOrderId: expect.stringMatching(/^po-/), message: expect.stringContaining('recorded as rejected'),
      problems: [{ field: OFFERING, message: 'no fulfillment plan for offering HOME_FIBER_1G' }],
    });
    expect(refusal.message).toContain(refusal.productOrderId as string);
    expect(refusal.productOrderId).not.toBe(id);
  });
});

describe('o2a run: orders that run', () => {
  it('exit 0 when the order completes, 2 when it ends held; --json prints only the read model, same codes', async () => {
    const { file, run } = workspace(['MobilePostpaid', 'HomeFiber1G']);
    const done = await run(file('mobile.json', mobileOrder('po-done')), '--json');
    expect(done.code).toBe(0);
    expect(json(done)).toMatchObject({ productOrderId: 'po-done', internalState: 'completed' });
    // The same order again is a duplicate: not taken twice, said so, shown as it is (exit 0).
    const again = await run(file('mobile.json', mobileOrder('po-done')));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('product order po-done was taken before with the same body: not taken again; as it is now:');
    expect(again.stdout).toContain('internal state:    completed');

    const noAccess = file('no-access.json', { name: 'no access', steps: { install: { outcome: 'no_access' } } });
    const held = await run(file('fiber.json', homeFiberOrder('po-held')), '--scenario', noAccess);
    expect(held.code).toBe(3);
    expect(held.stdout).toContain('internal state:    held');
    const heldJson = await run(file('fiber2.json', homeFiberOrder('po-held-json')), '--scenario', noAccess, '--json');
    expect(heldJson.code).toBe(3);
    expect(json(heldJson)).toMatchObject({ productOrderId: 'po-held-json', internalState: 'held' });
  });

  it('a scenario that is not valid is refused with exit 1, as one JSON object under --json', async () => {
    const { file, run } = workspace(['MobilePostpaid']);
    const order = file('mobile.json', mobileOrder('po-bad-scenario'));
    const scenario = file('scenario.json', '[]');
    expect((await run(order, '--scenario', scenario)).code).toBe(1);
    const asJson = await run(order, '--scenario', scenario, '--json');
    expect(asJson.code).toBe(1);
    expect(json(asJson)).toMatchObject({ ok: false, code: 'invalid-scenario', problems: [expect.objectContaining({ message: expect.any(String) })] });
  });
});

describe('o2a resume', () => {
  it('refuses a scenario that is not valid before resuming anything (exit 1; the case stays open); exit 0 once the order completes', async () => {
    const { file, o2a, run } = workspace(['HomeFiber1G']);
    const noAccess = file('no-access.json', { name: 'no access', steps: { install: { outcome: 'no_access' } } });
    expect((await run(file('fiber.json', homeFiberOrder('po-resume')), '--scenario', noAccess)).code).toBe(3);
    const open = json(await o2a('fallout', 'list', '--json')) as unknown as { id: string; state: string }[];
    expect(open).toHaveLength(1);
    const caseId = (open[0] as { id: string }).id;

    const refused = await o2a('resume', caseId, '--scenario', file('bad-scenario.json', '[]'));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^error: /m);
    expect(refused.stdout).not.toContain('resumed');
    expect(json(await o2a('fallout', 'list', '--json'))).toEqual([expect.objectContaining({ id: caseId, state: 'OPEN' })]);

    expect((await o2a('resume', 'fc-nobody')).code).toBe(1);
    const nobody = await o2a('resume', 'fc-nobody', '--json');
    expect(nobody.code).toBe(1);
    expect(json(nobody)).toMatchObject({ ok: false, code: 'not-resumable', problems: [{ field: null, message: expect.stringContaining('fc-nobody') }] });
    const badJson = await o2a('resume', caseId, '--json', '--scenario', file('bad-scenario.json', '[]'));
    expect(badJson.code).toBe(1);
    expect(json(badJson)).toMatchObject({ ok: false, code: 'invalid-scenario' });
    const resumed = await o2a('resume', caseId, '--json', '--scenario', file('success.json', { name: 'success', steps: {} }));
    expect(resumed.code).toBe(0);
    expect(json(resumed)).toMatchObject({ internalState: 'completed', resumed: { caseId, stepId: 'install' } });
  });
});

describe('o2a status and o2a events of an unknown order', () => {
  it('exit 1 with a message; under --json one object, same code', async () => {
    const { o2a } = workspace([]);
    for (const command of ['status', 'events']) {
      const text = await o2a(command, 'po-nobody');
      expect(text).toEqual({ code: 1, stderr: '', stdout: 'error: no order po-nobody\n' });
      const asJson = await o2a(command, 'po-nobody', '--json');
      expect(asJson.code).toBe(1);
      expect(json(asJson)).toEqual({
        ok: false, code: 'unknown-order', productOrderId: 'po-nobody', message: 'no order po-nobody',
        problems: [{ field: null, message: 'no order po-nobody' }],
      });
    }
  });
});
