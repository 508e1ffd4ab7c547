// `o2a sagas migrate`: a saga held mid-way under plan v1 moves to a v2 that changes only steps it
// has not started, and completes under v2; a v2 that changes a step it has run is refused and the
// saga is left as it was; --dry-run changes nothing. On every store.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import type { ManualClock } from '../../runtime/clock.js';
import { sagasMigrateCommand } from '../../runtime/migration/command.js';
import type { SagaMigrationReport } from '../../runtime/migration/migrate-sagas.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, newRuntime, one, samplePlans, stepStates, storesUnderTest } from './harness.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
const CATALOG = join(ROOT, 'catalogs', '2026.11');
const scratch: string[] = [];

/** A copy of plans/ with home-fiber.o2a edited (every edit must apply): the file of a new version. */
async function homeFiberVersion(edits: [RegExp, string][]): Promise<{ file: string; plan: CompiledPlan }> {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-plans-'));
  scratch.push(dir);
  for (const f of readdirSync(join(ROOT, 'plans'))) writeFileSync(join(dir, f), readFileSync(join(ROOT, 'plans', f), 'utf8'));
  const file = join(dir, 'home-fiber.o2a');
  let source = readFileSync(file, 'utf8');
  for (const [pattern, replacement] of [[/plan HomeFiber1G version 2\b/, 'plan HomeFiber1G version 3'], ...edits] as [RegExp, string][]) {
    if (!pattern.test(source)) throw new Error(`plans/home-fiber.o2a has no ${pattern}`);
    source = source.replace(pattern, replacement);
  }
  writeFileSync(file, source);
  const loaded = await loadPlans([file], CATALOG);
  const plan = loaded.plans.find((p) => p.planId === 'HomeFiber1G');
  if (!plan) throw new Error(`the new version does not compile: ${loaded.problems.join('; ')}`);
  return { file, plan };
}

// Only steps after `install` change: a longer verification timeout and a notification at the end.
const safe = await homeFiberVersion([
  [/(step verify: verification after network \{)/, '$1\n    timeout 2d'],
  [/(step notify: notification after billing \{[^}]*\})/, '$1\n  step survey: notification after notify { template SERVICE_DELAYED }'],
]);
// The router reservation, which a held technician install has already run, is gone.
const routerRemoved = await homeFiberVersion([
  [/( *\/\/\/[^\n]*\n)? *step router from CpeReservation after internet \{[^}]*\}\n/, ''],
  [/after ont, router/, 'after ont'],
]);
// A step not yet run takes a new id.
const inventoryRenamed = await homeFiberVersion([
  [/step inventory from InventoryCommit after verify/, 'step commit_inventory from InventoryCommit after verify'],
  [/BillingReadiness after inventory\b/, 'BillingReadiness after commit_inventory'],
]);

const stores = await storesUnderTest();
const plans = await samplePlans();
const v1 = plans.find((p) => p.planId === 'HomeFiber1G') as CompiledPlan;

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe.each(stores)('o2a sagas migrate on $name', (storeUnderTest) => {
  let runtime: Runtime;
  let clock: ManualClock;
  let store: Store;

  afterEach(async () => {
    if (runtime) await disposeRuntime(runtime);
  });

  /** An order held by the customer at `install` (no access): everything before it has run. */
  async function heldOrder(id: string, characteristics: Record<string, string | boolean> = {}): Promise<{ sagaId: string; caseId: string }> {
    ({ runtime, clock, store } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans);
    await runtime.submitOrder(homeFiberOrder(id, characteristics), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    await runtime.settle();
    const saga = await one<{ id: string; state: string; plan_hash: string }>(store, 'SELECT id, state, plan_hash FROM saga WHERE product_order_id = $1', [id]);
    expect(saga).toMatchObject({ state: 'HELD', plan_hash: v1.hash });
    const fallout = await one<{ id: string }>(store, 'SELECT id FROM fallout_case WHERE product_order_id = $1', [id]);
    return { sagaId: saga.id, caseId: fallout.id };
  }

  async function migrateTo(file: string, flags: { dryRun?: boolean; json?: boolean } = {}): Promise<{ code: number; text: string }> {
    const out = new Capture();
    const code = await sagasMigrateCommand({ plan: [file], catalog: CATALOG, ...flags }, out, { store, clock });
    return { code, text: out.text };
  }

  const snapshot = async (sagaId: string) => ({
    saga: await one(store, 'SELECT plan_hash, state, updated_at FROM saga WHERE id = $1', [sagaId]),
    steps: await store.query('SELECT step_id, kind, owner, state, attempt, updated_at FROM saga_step WHERE saga_id = $1 ORDER BY step_id', [sagaId]),
    lineage: await store.query('SELECT * FROM saga_plan_migration'),
    events: (await store.query('SELECT count(*)::int AS n FROM event_log'))[0],
  });

  it('moves a held saga whose changed steps have not started, records the lineage, and the saga completes under v2', async () => {
    const { sagaId, caseId } = await heldOrder('po-mig-safe');
    const before = await stepStates(store, 'po-mig-safe');
    expect(before).toMatchObject({ ont: 'SUCCEEDED', router: 'SUCCEEDED', install: 'WAITING', verify: 'NOT_STARTED' });

    const { code, text } = await migrateTo(safe.file);
    expect(code).toBe(0);
    expect(text).toContain(`from version 2 (${v1.hash.slice(0, 12)}):`);
    expect(text).toContain(`✓ moved saga ${sagaId} (order po-mig-safe item 1, HELD)`);
    expect(text).toContain('safe      timeout-lengthened [verify] timeout.ms');
    expect(text).toContain('+ step survey (NOT_STARTED)');
    expect(text).toContain('1 moved, 0 refused, 0 sagas in flight already on the target version');

    expect(await one(store, 'SELECT plan_hash FROM saga WHERE id = $1', [sagaId])).toEqual({ plan_hash: safe.plan.hash });
    const lineage = await store.query<{ saga_id: string; from_hash: string; to_hash: string; migrated_at: Date | string; changes: unknown }>(
      'SELECT saga_id, from_hash, to_hash, migrated_at, changes FROM saga_plan_migration');
    expect(lineage).toHaveLength(1);
    expect(lineage[0]).toMatchObject({ saga_id: sagaId, from_hash: v1.hash, to_hash: safe.plan.hash });
    expect(new Date(lineage[0]!.migrated_at).toISOString()).toBe(clock.now().toISOString());
    const changes = (typeof lineage[0]!.changes === 'string' ? JSON.parse(lineage[0]!.changes) : lineage[0]!.changes) as { rule: string; stepId: string | null }[];
    expect(changes.map((c) => `${c.rule}:${c.stepId}`).sort()).toEqual(['plan-version-changed:null', 'step-added:survey', 'timeout-lengthened:verify']);
    // Nothing that ran is touched; the new step is waiting its turn.
    const after = await stepStates(store, 'po-mig-safe');
    expect(after).toEqual({ ...before, survey: 'NOT_STARTED' });

    // A second run has nothing to do.
    expect(await migrateTo(safe.file)).toMatchObject({ code: 0, text: expect.stringContaining('nothing to migrate: 1 saga in flight already on the target version') });

    expect(await runtime.resume(caseId)).toMatchObject({ ok: true });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-safe'])).toEqual({ state: 'completed' });
    const done = await stepStates(store, 'po-mig-safe');
    expect(done.survey).toBe('SUCCEEDED');
    expect(Object.values(done).every((s) => s === 'SUCCEEDED')).toBe(true);
    expect(runtime.components.countsOf('notification').commands).toBe(2);
    const view = await projectOrder(store, runtime.registry, 'po-mig-safe');
    expect(view?.internalState).toBe('completed');

    // New orders take the newest registered version.
    await runtime.submitOrder(homeFiberOrder('po-after-mig'));
    await runtime.settle();
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE product_order_id = $1', ['po-after-mig'])).toEqual({ plan_hash: safe.plan.hash, state: 'COMPLETED' });
  });

  it('refuses a saga that has run a step the new version removes, says why, and leaves it untouched', async () => {
    const { sagaId, caseId } = await heldOrder('po-mig-unsafe');
    const before = await snapshot(sagaId);

    const { code, text } = await migrateTo(routerRemoved.file);
    expect(code).toBe(3);
    expect(text).toContain(`✗ refused saga ${sagaId} (order po-mig-unsafe item 1, HELD): stays on version 2`);
    expect(text).toContain('step router has run (SUCCEEDED): step-removed');
    expect(text).toContain('0 moved, 1 refused');
    expect(await snapshot(sagaId)).toEqual(before);
    expect(await store.query('SELECT hash FROM plan WHERE hash = $1', [routerRemoved.plan.hash])).toEqual([]);

    const json = await migrateTo(routerRemoved.file, { json: true });
    expect(json.code).toBe(3);
    const report = JSON.parse(json.text) as SagaMigrationReport;
    expect(report.moved).toEqual([]);
    expect(report.refused).toMatchObject([{ sagaId, fromHash: v1.hash, toHash: routerRemoved.plan.hash, reasons: ['step router has run (SUCCEEDED): step-removed'] }]);
    expect(report.refused[0]!.refusals[0]!.change).toMatchObject({ rule: 'step-removed', level: 'breaking', stepId: 'router' });

    // The refused saga goes on under v1.
    await runtime.resume(caseId);
    await runtime.settle();
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE id = $1', [sagaId])).toEqual({ plan_hash: v1.hash, state: 'COMPLETED' });
  });

  it('moves a saga that skipped the removed step, dropping only that row', async () => {
    const { sagaId, caseId } = await heldOrder('po-mig-self', { installation: 'self', routerIncluded: false });
    expect((await stepStates(store, 'po-mig-self')).router).toBe('SKIPPED');
    const { code, text } = await migrateTo(routerRemoved.file);
    expect(code).toBe(0);
    expect(text).toContain('- step router (was SKIPPED)');
    const steps = await stepStates(store, 'po-mig-self');
    expect(steps.router).toBeUndefined();
    expect(steps).toMatchObject({ ont: 'SUCCEEDED', install: 'WAITING' });
    await runtime.resume(caseId);
    await runtime.settle();
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE id = $1', [sagaId])).toEqual({ plan_hash: routerRemoved.plan.hash, state: 'COMPLETED' });
  });

  it('moves a saga across the rename of a step it has not run: the row takes the new id', async () => {
    const { sagaId, caseId } = await heldOrder('po-mig-rename');
    const { code, text } = await migrateTo(inventoryRenamed.file);
    expect(code).toBe(0);
    expect(text).toContain('~ step inventory -> commit_inventory (NOT_STARTED)');
    const steps = await stepStates(store, 'po-mig-rename');
    expect(steps.inventory).toBeUndefined();
    expect(steps.commit_inventory).toBe('NOT_STARTED');
    await runtime.resume(caseId);
    await runtime.settle();
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE id = $1', [sagaId])).toEqual({ plan_hash: inventoryRenamed.plan.hash, state: 'COMPLETED' });
    expect((await stepStates(store, 'po-mig-rename')).commit_inventory).toBe('SUCCEEDED');
  });

  it('--dry-run prints what it would move and changes nothing', async () => {
    const { sagaId } = await heldOrder('po-mig-dry');
    const before = await snapshot(sagaId);
    const { code, text } = await migrateTo(safe.file, { dryRun: true });
    expect(code).toBe(0);
    expect(text).toContain(`would move saga ${sagaId}`);
    expect(text).toContain('1 would move, 0 refused, 0 sagas in flight already on the target version (dry run: nothing changed)');
    expect(await snapshot(sagaId)).toEqual(before);
    expect(await store.query('SELECT hash FROM plan WHERE hash = $1', [safe.plan.hash])).toEqual([]);

    const refused = await migrateTo(routerRemoved.file, { dryRun: true, json: true });
    expect(refused.code).toBe(3);
    expect((JSON.parse(refused.text) as SagaMigrationReport)).toMatchObject({ dryRun: true, moved: [], refused: [{ sagaId }] });
    expect(await snapshot(sagaId)).toEqual(before);
  });
});

describe('o2a sagas migrate through the command line', () => {
  it('moves a saga in a PGlite data folder, and exits 1 on a plan that does not compile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'o2a-db-'));
    scratch.push(dir);
    const db = join(dir, 'db');
    const runtime = await Runtime.open({ dataDir: db });
    try {
      await runtime.registerPlans(plans);
      await runtime.submitOrder(homeFiberOrder('po-cli'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
      await runtime.runUntilIdle();
    } finally {
      await runtime.close();
    }
    const run = async (args: string[]) => {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(['node', 'o2a', ...args], { stdout, stderr });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    const dry = await run(['sagas', 'migrate', '--plan', safe.file, '--catalog', CATALOG, '--db', db, '--dry-run', '--json']);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as SagaMigrationReport).moved).toHaveLength(1);
    const moved = await run(['sagas', 'migrate', '--plan', safe.file, '--catalog', CATALOG, '--db', db]);
    expect(moved).toMatchObject({ code: 0, stdout: expect.stringContaining('1 moved, 0 refused') });

    const broken = join(dir, 'broken.o2a');
    writeFileSync(broken, 'catalog telco-core 2026.11\nplan Broken version 1 for offering NOPE { step a: nope }\n');
    const failed = await run(['sagas', 'migrate', '--plan', broken, '--catalog', CATALOG, '--db', db]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^error: /m);
    expect((await run(['sagas', 'migrate', '--db', db])).code).toBe(1);
  });
});
