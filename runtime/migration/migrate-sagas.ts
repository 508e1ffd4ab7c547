// Moves sagas in flight to a newer version of their plan (`o2a sagas migrate`), one saga per
// transaction, only where `migrationVerdict` finds every change safe for that saga's progress.
// It locks the product order first, as the engine's unit of work does, so a move never interleaves
// with a step; rewrites the saga's plan and step rows (and its item's plan) directly; then hands
// the saga to the engine in the same transaction (`Engine.sagaMoved`), which publishes the move
// through the outbox and advances the saga as after any event: a move may make steps ready, or
// leave nothing to wait for.
import { randomUUID } from 'node:crypto';
import type { CompiledPlan, CompiledSinglePlan, CompiledStep } from '../../compiler/emit/schema.js';
import { migrationVerdict, type MigrationRefusal } from '../../compiler/diff/migration.js';
import type { PlanChange } from '../../compiler/diff/model.js';
import { systemClock, type Clock } from '../clock.js';
import { Engine } from '../engine/engine.js';
import { PlanRegistry } from '../engine/plans.js';
import type { UnitOfWork } from '../engine/unit-of-work.js';
import { stepApplies, type Characteristics } from '../engine/rules.js';
import { parseJson } from '../store/sql.js';
import type { Queryable, Store } from '../store/store.js';

/** Saga states that are over: never moved. */
const FINISHED = ['COMPLETED', 'FAILED', 'COMPENSATED'] as const;
/** Step states in which a step has not run: its row may be re-decided, renamed or dropped. */
const NOT_RUN = new Set(['NOT_STARTED', 'SKIPPED']);

export interface SagaMigrationOptions {
  /** Compute and report every move, change nothing. */
  dryRun?: boolean;
  /** Also move sagas across dangerous plan-level changes (billing, completion, status, cancellation). */
  acceptDangerous?: boolean;
  /** The clock that stamps lineage rows and events (the runtime's clock in tests). */
  clock?: Clock;
}

export interface SagaRef {
  sagaId: string;
  productOrderId: string;
  productOrderItemId: string;
  sagaState: string;
  planId: string;
  fromHash: string;
  fromVersion: number;
  toHash: string;
  toVersion: number;
}

export interface StepRowChange {
  stepId: string;
  /** added: a new step; renamed: the row of a step not yet run takes its new id; removed: a step not yet run is gone;
   *  redecided: a step not yet run is now skipped, or no longer skipped, under the new rule; rekinded: new kind or owner. */
  action: 'added' | 'renamed' | 'removed' | 'redecided' | 'rekinded';
  from?: string;
  state: string;
}

export interface SagaMove extends SagaRef {
  changes: PlanChange[];
  steps: StepRowChange[];
  /** What the engine did right after the move (not on a dry run): the steps it started, the saga's state then. */
  advanced?: { started: string[]; sagaState: string };
}

export interface SagaRefusal extends SagaRef {
  /** One line per reason, e.g. `step ont has run (SUCCEEDED): step-removed`. */
  reasons: string[];
  refusals: MigrationRefusal[];
}

export interface SagaMigrationReport {
  dryRun: boolean;
  /** The versions sagas were moved to. */
  targets: { planId: string; planVersion: number; hash: string }[];
  moved: SagaMove[];
  refused: SagaRefusal[];
  /** Sagas in flight already on a target version. */
  upToDate: number;
}

interface SagaRow {
  id: string;
  product_order_id: string;
  product_order_item_id: string;
  plan_hash: string;
  state: string;
  plan_version: number;
}

interface StepRow {
  step_id: string;
  kind: string;
  owner: string;
  state: string;
}

type Outcome =
  | { kind: 'moved'; move: SagaMove; uow?: UnitOfWork }
  | { kind: 'refused'; refusal: SagaRefusal }
  | { kind: 'gone' };

/**
 * Moves every saga in flight under an older version of each target's plan id to the target, where
 * safe. Bundles are not targets (their items' sagas run single plans; name those).
 */
export async function migrateSagas(store: Store, targets: CompiledPlan[], options: SagaMigrationOptions = {}): Promise<SagaMigrationReport> {
  const clock = options.clock ?? systemClock;
  const singles = latestPerPlanId(targets.filter((p): p is CompiledSinglePlan => p.kind === 'plan'));
  const registry = new PlanRegistry();
  // The engine that advances moved sagas: it keeps nothing between transactions (a process
  // running sagas on the same database reloads the orders, whose version every move bumps), and
  // leaves what it writes to the outbox to the relays' sweep.
  const engine = new Engine({ store, clock, registry, cacheCapacity: 0 });
  const report: SagaMigrationReport = {
    dryRun: options.dryRun === true,
    targets: singles.map((p) => ({ planId: p.planId, planVersion: p.planVersion, hash: p.hash })),
    moved: [], refused: [], upToDate: 0,
  };
  for (const target of singles) {
    const sagas = await store.query<SagaRow>(
      `SELECT s.id, s.product_order_id, s.product_order_item_id, s.plan_hash, s.state, p.plan_version
         FROM saga s JOIN plan p ON p.hash = s.plan_hash
        WHERE p.plan_id = $1 AND s.state <> ALL($2::text[])
        ORDER BY s.created_at, s.id`,
      [target.planId, [...FINISHED]],
    );
    for (const listed of sagas) {
      if (listed.plan_hash === target.hash) { report.upToDate += 1; continue; }
      const outcome = await store.transaction((tx) => moveSaga(tx, registry, engine, listed.id, target, options, clock));
      if (outcome.kind === 'moved') {
        if (outcome.uow) engine.committed(outcome.uow);
        report.moved.push(outcome.move);
      } else if (outcome.kind === 'refused') {
        report.refused.push(outcome.refusal);
      }
    }
  }
  return report;
}

function latestPerPlanId(plans: CompiledSinglePlan[]): CompiledSinglePlan[] {
  const byId = new Map<string, CompiledSinglePlan>();
  for (const plan of plans) {
    const seen = byId.get(plan.planId);
    if (!seen || plan.planVersion > seen.planVersion) byId.set(plan.planId, plan);
  }
  return [...byId.values()].sort((a, b) => a.planId.localeCompare(b.planId));
}

async function moveSaga(
  tx: Queryable, registry: PlanRegistry, engine: Engine, sagaId: string, target: CompiledSinglePlan, options: SagaMigrationOptions, clock: Clock,
): Promise<Outcome> {
  // Lock the order first, as the engine does, then read the saga as it is now.
  const orders = await tx.query<{ id: string; correlation_id: string }>(
    `SELECT o.id, o.correlation_id FROM product_order o JOIN saga s ON s.product_order_id = o.id WHERE s.id = $1
      ${options.dryRun ? '' : 'FOR UPDATE OF o'}`, [sagaId]);
  const order = orders[0];
  if (!order) return { kind: 'gone' };
  const rows = await tx.query<SagaRow>(
    `SELECT s.id, s.product_order_id, s.product_order_item_id, s.plan_hash, s.state, p.plan_version
       FROM saga s JOIN plan p ON p.hash = s.plan_hash WHERE s.id = $1`, [sagaId]);
  const saga = rows[0];
  if (!saga || saga.plan_hash === target.hash || (FINISHED as readonly string[]).includes(saga.state)) return { kind: 'gone' };
  const ref: SagaRef = {
    sagaId, productOrderId: saga.product_order_id, productOrderItemId: saga.product_order_item_id, sagaState: saga.state,
    planId: target.planId, fromHash: saga.plan_hash, fromVersion: Number(saga.plan_version), toHash: target.hash, toVersion: target.planVersion,
  };
  const refuse = (reasons: string[], refusals: MigrationRefusal[] = []): Outcome => ({ kind: 'refused', refusal: { ...ref, reasons, refusals } });

  if (saga.state === 'COMPENSATING') return refuse(['the saga is compensating (being cancelled): it finishes under the version it started with']);
  if (ref.fromVersion > ref.toVersion) return refuse([`the saga runs version ${ref.fromVersion}, newer than the target version ${ref.toVersion}`]);
  const from = await registry.get(tx, saga.plan_hash);
  if (from.kind !== 'plan') return refuse([`the saga's plan ${saga.plan_hash.slice(0, 12)} is a bundle`]);

  const steps = await tx.query<StepRow>('SELECT step_id, kind, owner, state FROM saga_step WHERE saga_id = $1', [sagaId]);
  const progress = new Map(steps.map((s) => [s.step_id, s.state]));
  const verdict = migrationVerdict(from, target, progress, { acceptDangerous: options.acceptDangerous });
  if (!verdict.allowed) return refuse(verdict.refusals.map((r) => r.reason), verdict.refusals);

  const items = await tx.query<{ characteristics: unknown }>(
    'SELECT characteristics FROM product_order_item WHERE product_order_id = $1 AND id = $2', [saga.product_order_id, saga.product_order_item_id]);
  const characteristics = (parseJson(items[0]?.characteristics) ?? {}) as Characteristics;
  const stepChanges = planStepRows(steps, target, verdict.changes, characteristics);
  const move: SagaMove = { ...ref, changes: verdict.changes, steps: stepChanges };
  if (options.dryRun) return { kind: 'moved', move };

  const now = clock.now().toISOString();
  await registry.register(tx, target, clock.now());
  await applyStepRows(tx, sagaId, target, stepChanges, now);
  await tx.query('UPDATE saga SET plan_hash = $2, updated_at = $3 WHERE id = $1', [sagaId, target.hash, now]);
  // The item runs the saga's plan: it names the new version too.
  await tx.query('UPDATE product_order_item SET plan_hash = $3, updated_at = $4 WHERE product_order_id = $1 AND id = $2',
    [saga.product_order_id, saga.product_order_item_id, target.hash, now]);
  await tx.query(
    'INSERT INTO saga_plan_migration (saga_id, from_hash, to_hash, migrated_at, changes) VALUES ($1, $2, $3, $4, $5)',
    [sagaId, saga.plan_hash, target.hash, now, JSON.stringify(verdict.changes)]);
  const log = (messageId: string, cause: string | null, type: string, stepId: string | null, payload: Record<string, unknown>) => tx.query(
    `INSERT INTO event_log (product_order_id, correlation_id, message_id, causation_id, direction, type, saga_id, step_id, payload, occurred_at)
     VALUES ($1, $2, $3, $4, 'state', $5, $6, $7, $8, $9)`,
    [order.id, order.correlation_id, messageId, cause, type, sagaId, stepId, JSON.stringify(payload), now]);
  const moveId = randomUUID();
  const payload = {
    productOrderItemId: saga.product_order_item_id, planId: target.planId,
    fromHash: saga.plan_hash, fromVersion: ref.fromVersion, planHash: target.hash, planVersion: target.planVersion,
    changes: verdict.changes.map((c) => ({ rule: c.rule, level: c.level, stepId: c.stepId, field: c.field })),
    steps: stepChanges,
  };
  await log(moveId, null, 'SagaPlanMigrated', null, payload);
  // The read model folds step states from the trail: a step whose state the move decided shows it.
  for (const change of stepChanges) {
    if (change.action === 'redecided' || (change.action === 'added' && change.state === 'SKIPPED')) {
      await log(randomUUID(), moveId, 'StepStateChanged', change.stepId, { from: change.action === 'added' ? 'NOT_STARTED' : change.from, to: change.state, reason: 'plan migration' });
    }
  }
  // The engine takes it from here, as after any event: the move as a fact in the outbox, the steps
  // it made ready started, the saga (and its item and order) completed when nothing is left. Its
  // write gives the order a new version: a process caching the order's aggregates reloads them.
  const uow = await engine.sagaMoved(tx, { productOrderId: order.id, sagaId, cause: moveId, payload });
  const started = uow.log
    .filter((l) => l.type === 'StepStateChanged' && l.sagaId === sagaId && l.payload.to === 'STARTED' && l.stepId !== null)
    .map((l) => l.stepId as string);
  return { kind: 'moved', move: { ...move, advanced: { started, sagaState: uow.sagas.get(sagaId)?.state ?? saga.state } }, uow };
}

/** How the saga's step rows must change so that every step of the target has one, and nothing that ran is lost. */
function planStepRows(rows: StepRow[], target: CompiledSinglePlan, changes: PlanChange[], item: Characteristics): StepRowChange[] {
  const byId = new Map(rows.map((r) => [r.step_id, r]));
  const previousIdOf = new Map<string, string>();
  for (const c of changes) if (c.rule === 'step-renamed' && typeof c.old === 'string' && c.stepId !== null) previousIdOf.set(c.stepId, c.old);
  const claimed = new Set<string>();
  const out: StepRowChange[] = [];
  const decide = (step: CompiledStep) => (stepApplies(step, item) ? 'NOT_STARTED' : 'SKIPPED');
  for (const step of target.steps) {
    const previous = previousIdOf.get(step.id);
    const row = byId.get(step.id) ?? (previous !== undefined ? byId.get(previous) : undefined);
    if (!row) { out.push({ stepId: step.id, action: 'added', state: decide(step) }); continue; }
    claimed.add(row.step_id);
    if (!NOT_RUN.has(row.state)) continue;
    const state = decide(step);
    if (row.step_id !== step.id) out.push({ stepId: step.id, action: 'renamed', from: row.step_id, state });
    else if (row.state !== state) out.push({ stepId: step.id, action: 'redecided', from: row.state, state });
    else if (row.kind !== step.kind || row.owner !== step.owner) out.push({ stepId: step.id, action: 'rekinded', state });
  }
  for (const row of rows) {
    if (!claimed.has(row.step_id) && NOT_RUN.has(row.state)) out.push({ stepId: row.step_id, action: 'removed', state: row.state });
  }
  return out;
}

async function applyStepRows(tx: Queryable, sagaId: string, target: CompiledSinglePlan, changes: StepRowChange[], now: string): Promise<void> {
  const planStep = (id: string) => target.steps.find((s) => s.id === id) as CompiledStep;
  for (const change of changes) {
    if (change.action === 'removed' || change.action === 'renamed') {
      // Only rows of steps that never ran: nothing refers to them (no command, timer or reservation).
      await tx.query(`DELETE FROM saga_step WHERE saga_id = $1 AND step_id = $2 AND state IN ('NOT_STARTED', 'SKIPPED')`,
        [sagaId, change.action === 'renamed' ? change.from : change.stepId]);
      if (change.action === 'removed') continue;
    }
    const step = planStep(change.stepId);
    if (change.action === 'added' || change.action === 'renamed') {
      await tx.query(
        `INSERT INTO saga_step (saga_id, step_id, kind, owner, state, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [sagaId, step.id, step.kind, step.owner, change.state, now]);
    } else {
      await tx.query(
        `UPDATE saga_step SET kind = $3, owner = $4, state = $5, updated_at = $6
          WHERE saga_id = $1 AND step_id = $2 AND state IN ('NOT_STARTED', 'SKIPPED')`,
        [sagaId, step.id, step.kind, step.owner, change.state, now]);
    }
  }
}
