// `o2a sagas migrate`: a saga held mid-way under plan v1 moves to a v2 that changes only steps it
// has not started, and completes under v2; a v2 that changes a step it has run is refused and the
// saga is left as it was; --dry-run changes nothing. On every store.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { projectOrder } from '../../runtime/projection/read-model.js';
import { parseJson } from '../../runtime/store/sql.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import type { ManualClock } from '../../runtime/clock.js';
import { sagasMigrateCommand } from '../../runtime/migration/command.js';
import type { SagaMigrationReport } from '../../runtime/migration/migrate-sagas.js';
import { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { Capture, disposeRuntime, homeFiberOrder, newRuntime, one, samplePlans, stepStates, storesUnderTest } from './harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CATALOG = join(ROOT, 'catalogs', '2026.11');
const scratch: string[] = [];

/** A copy of plans/ with one file edited (every edit must apply): the file of a new version of `planId`. */
async function planVersion(name: string, planId: string, edits: [RegExp, string][]): Promise<{ file: string; plan: CompiledPlan }> {
  const dir = mkdtempSync(join(tmpdir(), 'o2a-plans-'));
  scratch.push(dir);
  for (const f of readdirSync(join(ROOT, 'plans'))) writeFileSync(join(dir, f), readFileSync(join(ROOT, 'plans', f), 'utf8'));
  const file = join(dir, name);
  let source = readFileSync(file, 'utf8');
  for (const [pattern, replacement] of edits) {
    if (!pattern.test(source)) throw new Error(`plans/${name} has no ${pattern}`);
    source = source.replace(pattern, replacement);
  }
  writeFileSync(file, source);
  const loaded = await loadPlans([file], CATALOG);
  const plan = loaded.plans.find((p) => p.planId === planId);
  if (!plan) throw new Error(`the new version does not compile: ${loaded.problems.join('; ')}`);
  return { file, plan };
}

/** Version 3 of HomeFiber1G, edited. */
function homeFiberVersion(edits: [RegExp, string][]): Promise<{ file: string; plan: CompiledPlan }> {
  return planVersion('home-fiber.o2a', 'HomeFiber1G', [[/plan HomeFiber1G version 2\b/, 'plan HomeFiber1G version 3'], ...edits]);
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

// A notification that only needs the ONT: ready as soon as a saga that has reserved it moves.
const welcomeAdded = await homeFiberVersion([
  [/(step notify: notification after billing \{[^}]*\})/, '$1\n  step welcome: notification after ont { template SERVICE_DELAYED }'],
]);
// OttStreaming's billing does not block completion: without the notification after it, a saga
// whose billing is still running has nothing left that completion waits for.
const ottNotifyRemoved = await planVersion('family-pack.o2a', 'OttStreaming', [
  [/plan OttStreaming for offering/, 'plan OttStreaming version 2 for offering'],
  [/ *step notify: notification after billing \{[^}]*\}\n/, ''],
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

  /** The outbox rows of an order, as downstream consumers get them. */
  const outbox = async (orderId: string) => (await store.query<{
    kind: string; type: string; destination: string; correlation_id: string; saga_id: string | null; step_id: string | null;
    product_order_item_id: string | null; payload: unknown;
  }>(`SELECT kind, type, destination, correlation_id, saga_id, step_id, product_order_item_id, payload
        FROM outbox WHERE product_order_id = $1 ORDER BY seq`, [orderId])).map((r) => ({ ...r, payload: parseJson(r.payload) as Record<string, unknown> }));

  const snapshot = async (sagaId: string) => ({
    saga: await one(store, 'SELECT plan_hash, state, updated_at FROM saga WHERE id = $1', [sagaId]),
    item: await one(store, 'SELECT i.plan_hash, i.state, i.updated_at FROM product_order_item i JOIN saga s ON s.product_order_id = i.product_order_id AND s.product_order_item_id = i.id WHERE s.id = $1', [sagaId]),
    order: await one(store, 'SELECT o.state, o.version FROM product_order o JOIN saga s ON s.product_order_id = o.id WHERE s.id = $1', [sagaId]),
    outbox: (await store.query('SELECT count(*)::int AS n FROM outbox'))[0],
    timers: await store.query('SELECT saga_id, step_id, kind, attempt FROM timer ORDER BY saga_id, step_id, kind'),
    steps: await store.query('SELECT step_id, kind, owner, state, attempt, updated_at FROM saga_step WHERE saga_id = $1 ORDER BY step_id', [sagaId]),
    lineage: await store.query('SELECT * FROM saga_plan_migration'),
    events: (await store.query('SELECT count(*)::int AS n FROM event_log'))[0],
  });

  it('moves a held saga whose changed steps have not started, records the lineage, and the saga completes under v2', async () => {
    const { sagaId, caseId } = await heldOrder('po-mig-safe');
    const before = await stepStates(store, 'po-mig-safe');
    expect(before).toMatchObject({ ont: 'SUCCEEDED', router: 'SUCCEEDED', install: 'WAITING', verify: 'NOT_STARTED' });

    const { version } = await one<{ version: number }>(store, 'SELECT version FROM product_order WHERE id = $1', ['po-mig-safe']);
    const { code, text } = await migrateTo(safe.file);
    expect(code).toBe(0);
    // A new version of the order: a process that caches its aggregates (the runtime's engine) reloads them.
    expect(Number((await one<{ version: number }>(store, 'SELECT version FROM product_order WHERE id = $1', ['po-mig-safe'])).version)).toBeGreaterThan(Number(version));
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
    // The order item runs the new version too.
    expect(await one(store, 'SELECT plan_hash FROM product_order_item WHERE product_order_id = $1', ['po-mig-safe'])).toEqual({ plan_hash: safe.plan.hash });
    // The move is a fact in the outbox, written with it, for downstream consumers and the audit trail.
    const facts = (await outbox('po-mig-safe')).filter((m) => m.type === 'FulfillmentPlanMigrated');
    expect(facts).toHaveLength(1);
    expect(facts[0]).toMatchObject({
      kind: 'event', destination: 'events', saga_id: sagaId, product_order_item_id: '1',
      payload: { planId: 'HomeFiber1G', fromHash: v1.hash, fromVersion: 2, planHash: safe.plan.hash, planVersion: 3 },
    });
    expect(facts[0]!.correlation_id).toBe((await one<{ correlation_id: string }>(store, 'SELECT correlation_id FROM product_order WHERE id = $1', ['po-mig-safe'])).correlation_id);
    const published: string[] = [];
    runtime.onFacts((messages) => { for (const m of messages) if (m.productOrderId === 'po-mig-safe') published.push(m.type); });

    // A second run has nothing to do.
    expect(await migrateTo(safe.file)).toMatchObject({ code: 0, text: expect.stringContaining('nothing to migrate: 1 saga in flight already on the target version') });

    expect(await runtime.resume(caseId)).toMatchObject({ ok: true });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-safe'])).toEqual({ state: 'completed' });
    const done = await stepStates(store, 'po-mig-safe');
    expect(done.survey).toBe('SUCCEEDED');
    expect(Object.values(done).every((s) => s === 'SUCCEEDED')).toBe(true);
    expect(runtime.components.countsOf('notification').commands).toBe(2);
    expect(published).toContain('FulfillmentPlanMigrated');
    expect((await one(store, 'SELECT plan_hash, state FROM product_order_item WHERE product_order_id = $1', ['po-mig-safe']))).toEqual({ plan_hash: safe.plan.hash, state: 'completed' });
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

  it('completes the saga, its item and the order at once when the move removes the last step completion waits for', async () => {
    ({ runtime, clock, store } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans);
    const order = { id: 'po-mig-last', relatedParty: [{ id: 'cust-9', role: 'customer' }], productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] };
    // Billing readiness does not answer (and, the clock standing still, does not time out). Its
    // trigger (first usage) comes while the inventory commit is still under way.
    await runtime.submitOrder(order, { scenario: { steps: { inventory: { delayMs: 1000 }, billing: { outcome: 'timeout' } } } });
    await runtime.runUntilIdle();
    expect(await runtime.engine.signal({ productOrderId: 'po-mig-last', signal: 'first-usage' })).toMatchObject({ ok: true });
    clock.advance(1000);
    await runtime.runUntilIdle();
    const saga = await one<{ id: string; state: string }>(store, 'SELECT id, state FROM saga WHERE product_order_id = $1', ['po-mig-last']);
    expect(saga.state).toBe('STARTED');
    expect(await stepStates(store, 'po-mig-last')).toMatchObject({ inventory: 'SUCCEEDED', billing: 'STARTED', notify: 'NOT_STARTED' });
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-last'])).toEqual({ state: 'inProgress' });
    const published: string[] = [];
    runtime.onFacts((messages) => { for (const m of messages) if (m.productOrderId === 'po-mig-last') published.push(m.type); });

    const { code, text } = await migrateTo(ottNotifyRemoved.file);
    expect(code).toBe(0);
    expect(text).toContain(`✓ moved saga ${saga.id} (order po-mig-last item 1, STARTED)`);
    expect(text).toContain('- step notify (was NOT_STARTED)');
    expect(text).toContain('saga STARTED -> COMPLETED');

    // No further event: billing does not block completion, so nothing is left to wait for.
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE id = $1', [saga.id])).toEqual({ plan_hash: ottNotifyRemoved.plan.hash, state: 'COMPLETED' });
    expect(await one(store, 'SELECT plan_hash, state FROM product_order_item WHERE product_order_id = $1', ['po-mig-last']))
      .toEqual({ plan_hash: ottNotifyRemoved.plan.hash, state: 'completed' });
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-last'])).toEqual({ state: 'completed' });
    const types = (await outbox('po-mig-last')).map((m) => m.type);
    expect(types.slice(types.indexOf('FulfillmentPlanMigrated'))).toEqual(['FulfillmentPlanMigrated', 'ServiceOrderCompleted', 'ProductOrderCompleted']);
    expect((await projectOrder(store, runtime.registry, 'po-mig-last'))?.internalState).toBe('completed');
    // The runtime's relay publishes what the move wrote.
    await runtime.runUntilIdle();
    expect(published).toEqual(expect.arrayContaining(['FulfillmentPlanMigrated', 'ServiceOrderCompleted', 'ProductOrderCompleted']));
    expect(await migrateTo(ottNotifyRemoved.file)).toMatchObject({ code: 0, text: expect.stringContaining('nothing to migrate') });
  });

  it('starts at once, through the outbox, a step the move makes ready', async () => {
    ({ runtime, clock, store } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans);
    // The technician reports back an hour later: the saga is running, install in flight.
    await runtime.submitOrder(homeFiberOrder('po-mig-ready'), { scenario: { steps: { install: { delayMs: 3_600_000 } } } });
    await runtime.runUntilIdle();
    const saga = await one<{ id: string; state: string }>(store, 'SELECT id, state FROM saga WHERE product_order_id = $1', ['po-mig-ready']);
    expect(saga.state).toBe('STARTED');
    expect(await stepStates(store, 'po-mig-ready')).toMatchObject({ ont: 'SUCCEEDED', install: 'STARTED', network: 'NOT_STARTED' });

    const { code, text } = await migrateTo(welcomeAdded.file);
    expect(code).toBe(0);
    expect(text).toContain('+ step welcome (NOT_STARTED)');
    expect(text).toContain('> step welcome started');
    // The new step's dependency has run: it is started with the move, its command in the outbox.
    expect(await stepStates(store, 'po-mig-ready')).toMatchObject({ install: 'STARTED', welcome: 'STARTED', network: 'NOT_STARTED' });
    const welcome = welcomeAdded.plan.kind === 'plan' ? welcomeAdded.plan.steps.find((st) => st.id === 'welcome') : undefined;
    const sent = (await outbox('po-mig-ready')).filter((m) => m.step_id === 'welcome');
    expect(sent).toMatchObject([{ kind: 'command', type: welcome?.command, destination: welcome?.owner, saga_id: saga.id }]);
    const types = (await outbox('po-mig-ready')).map((m) => m.type);
    expect(types.slice(types.indexOf('FulfillmentPlanMigrated'))).toEqual(['FulfillmentPlanMigrated', welcome?.command]);

    // The notification answers at once; the technician still has not.
    await runtime.runUntilIdle();
    expect(await stepStates(store, 'po-mig-ready')).toMatchObject({ install: 'STARTED', welcome: 'SUCCEEDED' });
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-ready'])).toEqual({ state: 'completed' });
    expect(Object.values(await stepStates(store, 'po-mig-ready')).every((st) => st === 'SUCCEEDED')).toBe(true);
    expect(runtime.components.countsOf('notification').commands).toBe(2);
  });

  it('moves a saga once when a worker advances it, or another move runs, at the same time', async () => {
    ({ runtime, clock, store } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans);
    await runtime.submitOrder(homeFiberOrder('po-mig-race'), { scenario: { steps: { install: { delayMs: 60_000 } } } });
    await runtime.runUntilIdle();
    const saga = await one<{ id: string }>(store, 'SELECT id FROM saga WHERE product_order_id = $1', ['po-mig-race']);
    // The technician's answer is due: the worker goes on with the saga while two moves run.
    clock.advance(60_000);
    const [first, second] = await Promise.all([
      migrateTo(welcomeAdded.file, { json: true }), migrateTo(welcomeAdded.file, { json: true }), runtime.runUntilIdle(),
    ]);
    const reports = [first, second].map((r) => JSON.parse(r.text) as SagaMigrationReport);
    expect([first.code, second.code]).toEqual([0, 0]);
    const moved = reports.flatMap((r) => r.moved);
    expect(moved.length).toBeLessThanOrEqual(1);
    await runtime.settle();
    expect(await one(store, 'SELECT state FROM product_order WHERE id = $1', ['po-mig-race'])).toEqual({ state: 'completed' });
    const lineage = await store.query('SELECT saga_id FROM saga_plan_migration');
    const facts = (await outbox('po-mig-race')).filter((m) => m.type === 'FulfillmentPlanMigrated');
    const welcomes = (await outbox('po-mig-race')).filter((m) => m.step_id === 'welcome' && m.kind === 'command');
    expect([lineage.length, facts.length, welcomes.length]).toEqual([moved.length, moved.length, moved.length]);
    const hash = moved.length === 1 ? welcomeAdded.plan.hash : v1.hash;
    expect(await one(store, 'SELECT plan_hash, state FROM saga WHERE id = $1', [saga.id])).toEqual({ plan_hash: hash, state: 'COMPLETED' });
    expect(await one(store, 'SELECT plan_hash FROM product_order_item WHERE product_order_id = $1', ['po-mig-race'])).toEqual({ plan_hash: hash });
    expect(Object.values(await stepStates(store, 'po-mig-race')).every((st) => st === 'SUCCEEDED')).toBe(true);
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
