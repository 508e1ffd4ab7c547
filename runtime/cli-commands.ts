// The runtime's CLI commands as functions: parsed options and an output stream in, an exit code
// out. `cli/` wires them into commander. Exit codes (the CLI's 0/1/2, and 3 for `run`, `resume`,
// `cancel` and `approve`, as documented in README's CLI table):
//   0  done: the order completed (run, resume), the cancellation is done (cancel, approve), the
//      decision taken left nobody anything to do (approve --refuse), the query answered (status,
//      events, fallout list, approvals, cancellations, reconcile --list), reconcile found nothing a
//      person must look at
//   1  refused input, nothing run: an order that is not a valid TMF622 order, a conflict, an order
//      rejected at intake now or before, an unknown order, item, fallout case or approval, an
//      approval already decided, no usable plan or scenario
//   2  as for every command: a usage error, a file that cannot be read, or an internal error
//   3  the order ended held, failed or partial (fallout needs a person), or a cancellation is not
//      done: refused by the plan or by the approver, or waiting for an approval: a script tells it
//      apart from a mistake in its own invocation
// With --json every outcome of run, resume, status, events, cancel and approve is one JSON value
// on stdout: what the command shows, or for a refusal `{ ok: false, code, message, problems:
// [{ field, message }] }` (see `Refusal`).
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { CompiledPlan } from '../compiler/emit/schema.js';
import { loadScenarioFile, type Scenario } from './adapters/scenario.js';
import { ManualClock, systemClock, type Clock } from './clock.js';
import type { SubmitRefusal } from './engine/engine.js';
import {
  approvals, cancelRequest, cancelRequests, type ApprovalView, type ApproveResult, type CancelRequestView, type CancelResult,
} from './engine/cancellation.js';
import { amendmentRequest, amendmentRequests, type AmendmentRequestView, type AmendResult } from './engine/amendment.js';
import { checkPlan } from './engine/plans.js';
import { refsOfStored } from './engine/messages.js';
import { reconciliationFindings, type Finding } from './engine/reconciliation.js';
import type { LogRow } from './engine/unit-of-work.js';
import { orderOfRef, orderTrail, projectOrder, reasonOf, type OrderReadModel, type RejectionReason, type TrailEntry } from './projection/read-model.js';
import { Runtime } from './runtime.js';
import { listMigrations, migrate } from './store/migrate.js';
import { parseJson } from './store/sql.js';
import { openStore, type StoreOptions } from './store/store.js';
import { falloutFromRow } from './engine/unit-of-work.js';
import { projectRoot } from '../compiler/project-root.js';

export interface StoreFlags {
  /** PGlite data folder (`--db <dir>`); in memory when absent. Ignored when a database URL is set. */
  db?: string;
  /** Server PostgreSQL (`--database-url`, else the DATABASE_URL environment variable). */
  databaseUrl?: string;
  /** Print JSON instead of text (`--json`). */
  json?: boolean;
}

function storeOptions(flags: StoreFlags): StoreOptions {
  const databaseUrl = flags.databaseUrl ?? process.env.DATABASE_URL;
  return databaseUrl ? { databaseUrl } : { dataDir: flags.db };
}

function line(out: Writable, text = ''): void {
  out.write(`${text}\n`);
}

// --- refusals -------------------------------------------------------------------------------

/** Why a command did nothing (run: nothing was run). One JSON object under --json. */
export type RefusalCode =
  | 'invalid-order'    // not a valid TMF622 product order (or not JSON): nothing recorded
  | 'conflict'         // the id is taken by an order with another body: nothing recorded
  | 'rejected'         // valid, but rejected at intake (no plan for an offering): recorded as rejected
  | 'rejected-before'  // the same order again, rejected at intake the first time: nothing recorded
  | 'no-plan'          // no plan could be loaded or compiled
  | 'invalid-scenario' // the scenario file is not a valid scenario
  | 'unreadable-file'  // a file given cannot be read (a usage error: exit 2)
  | 'unknown-order'    // status, events, cancel, cancellations, amendments: no order of that id
  | 'not-resumable'    // resume: no fallout case of that id, or it is not open
  | 'unknown-item'     // cancel --item: the order has no item of that id
  | 'invalid-request'  // cancel, approve: a value that is not valid (the field named), or a request id of another order
  | 'unknown-approval' // approve: no approval of that id
  | 'already-decided'  // approve: the approval was decided before (by whom and when said)
  | 'unknown-change'   // amend: the plan has no amend rule of that name (its kinds listed)
  | 'amendment-refused'; // amend: the plan's amend rule refuses it now (its text), or another amendment is in progress

export interface Problem {
  /**
   * The field at fault (`productOrderItem.0.action`, `productOrderItem.0.productOffering.id`), or
   * null. (The reasons of an order rejected before migration 009 name the order item instead:
   * `productOrderItem 1`.)
   */
  field: string | null;
  message: string;
}

export interface Refusal {
  ok: false;
  code: RefusalCode;
  productOrderId?: string;
  /** conflict: the first field that differs. */
  field?: string | null;
  message: string;
  problems: Problem[];
}

/** `field: message` (validation problems, intake rejections, conflicts) split; anything else has no field. */
export const problemOf: (text: string) => Problem = reasonOf;

/**
 * Prints a refusal: under --json one object; otherwise `prefix: <problem>` per problem (the form
 * the conflict has always had) and the message after them, or the message first and the problems
 * under it, or the problems alone.
 */
function refuse(out: Writable, json: boolean | undefined, refusal: Omit<Refusal, 'ok'>,
  text: { prefix?: string; message?: 'after' | 'first' | 'none' } = {}): void {
  if (json) { line(out, JSON.stringify({ ok: false, ...refusal }, null, 2)); return; }
  const prefix = text.prefix ?? 'error';
  const problems = refusal.problems.map(reasonText);
  const message = text.message ?? 'after';
  if (message === 'first') {
    line(out, `${prefix}: ${refusal.message}`);
    for (const p of problems) line(out, `  ${p}`);
    return;
  }
  for (const p of problems) line(out, `${prefix}: ${p}`);
  if (problems.length === 0) line(out, `${prefix}: ${refusal.message}`);
  else if (message === 'after' && !(problems.length === 1 && problems[0] === refusal.message)) line(out, refusal.message);
}

// --- plans ----------------------------------------------------------------------------------

export interface PlanLoad {
  plans: CompiledPlan[];
  problems: string[];
}

/**
 * Plans from files: compiled plan JSON (validated, hash checked) or `.o2a` sources (compiled
 * against the catalog snapshot; a folder means every `.o2a` in it).
 */
export async function loadPlans(files: string[], catalogDir: string | undefined): Promise<PlanLoad> {
  const problems: string[] = [];
  const plans: CompiledPlan[] = [];
  const sources: { file: string; text: string }[] = [];
  for (const file of files) {
    if (!existsSync(file)) { problems.push(`${file}: no such file`); continue; }
    const entries = statSync(file).isDirectory()
      ? readdirSync(file).filter((f) => f.endsWith('.o2a') || f.endsWith('.json')).map((f) => join(file, f))
      : [file];
    for (const entry of entries) {
      const text = readFileSync(entry, 'utf8');
      if (entry.endsWith('.o2a')) { sources.push({ file: entry, text }); continue; }
      let value: unknown;
      try { value = JSON.parse(text); } catch (error) { problems.push(`${entry}: not JSON (${(error as Error).message})`); continue; }
      const checked = checkPlan(value);
      if (checked.ok) plans.push(checked.plan);
      else problems.push(...checked.problems.map((p) => `${entry}: ${p}`));
    }
  }
  if (sources.length > 0) {
    if (!catalogDir) {
      problems.push('compiling .o2a plans needs --catalog <snapshot folder>');
    } else {
      // Every sibling .o2a joins the workspace, so templates and bundled plans resolve; only the
      // findings of the files given are reported (compiler/findings.ts).
      const given = new Set(sources.map((s) => s.file));
      const folders = [...new Set(sources.map((s) => dirname(s.file)))];
      for (const folder of folders) {
        for (const f of readdirSync(folder).filter((n) => n.endsWith('.o2a'))) {
          const path = join(folder, f);
          if (!sources.some((s) => resolve(s.file) === resolve(path))) sources.push({ file: path, text: readFileSync(path, 'utf8') });
        }
      }
      const compiled = await compileSources(sources, catalogDir, given);
      plans.push(...compiled.plans);
      problems.push(...compiled.problems);
    }
  }
  return { plans, problems };
}

async function compileSources(sources: { file: string; text: string }[], catalogDir: string, given: ReadonlySet<string>): Promise<PlanLoad> {
  try {
    const { compileWorkspace } = await import('../compiler/index.js');
    const { findingsOf } = await import('../compiler/findings.js');
    const { loadCatalog } = await import('../compiler/catalog/load.js');
    const catalog = loadCatalog(catalogDir);
    const result = compileWorkspace(sources, catalog.catalog, { catalogDiagnostics: catalog.diagnostics });
    const errors = findingsOf(result, given).filter((d) => d.severity === 'error')
      .map((d) => `${d.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.code} ${d.message}`);
    return { plans: result.plans, problems: errors };
  } catch (error) {
    return { plans: [], problems: [`the compiler failed: ${(error as Error).message}`] };
  }
}

const ROOT = projectRoot();

/** The sample operator's plans, compiled from plans/ against catalogs/2026.11. */
export async function compileSamplePlans(): Promise<PlanLoad> {
  return loadPlans([join(ROOT, 'plans')], join(ROOT, 'catalogs', '2026.11'));
}

// --- rendering ------------------------------------------------------------------------------

/** `field: message`, or the message alone (a refusal's problem or a rejection reason). */
function reasonText(r: Problem | RejectionReason): string {
  return `${r.field !== null ? `${r.field}: ` : ''}${r.message}`;
}

/**
 * The read model as `o2a status` prints it: what the customer sees on its own line, then the
 * operator's view (internal state, why the intake rejected the order, steps, fallout).
 */
export function renderReadModel(view: OrderReadModel): string[] {
  const lines = [
    `order ${view.productOrderId}  (correlation ${view.correlationId})`,
    `  customer sees:     ${view.customerVisibleStatus}`,
    `  internal state:    ${view.internalState}`,
    // §28: technically complete, commercially pending until billing readiness is confirmed.
    ...(view.commercialState !== null ? [`  commercially:      ${view.commercialState}`] : []),
    ...(view.rejectionReasons !== null ? ['  rejected because:', ...view.rejectionReasons.map((r) => `    ${reasonText(r)}`)] : []),
    ...(view.failureReasons !== null ? ['  failed because:', ...view.failureReasons.map((f) => `    item ${f.itemId}: step ${f.stepId} ${f.outcome ?? 'failed'}${f.reason ? `: ${f.reason}` : ''}`)] : []),
    `  blocking step:     ${view.currentBlockingStep ?? '-'}`,
    `  action required:   ${view.customerActionRequired ? 'customer' : view.providerActionRequired ? 'provider' : 'none'}`,
    `  fallout case:      ${view.falloutCaseId ?? '-'}`,
    `  next action:       ${view.estimatedNextAction ?? '-'}`,
  ];
  for (const item of view.items) {
    const action = item.action === 'add' ? '' : item.action === 'noChange' ? ' (noChange: nothing to run)' : ` (${item.action})`;
    lines.push(`  item ${item.id}${action}: ${item.state}${item.planId ? `  plan ${item.planId}` : ''}${item.sagaState ? `  saga ${item.sagaState}` : ''}`
      + `${item.billingReadiness ? `  billing ${item.billingReadiness}` : ''}`);
    for (const step of view.steps.filter((s) => s.itemId === item.id)) {
      lines.push(`    ${step.id.padEnd(16)} ${step.state.padEnd(12)}${step.attempt > 1 ? ` attempt ${step.attempt}` : ''}`);
    }
  }
  return lines;
}

/**
 * The trail as `o2a events` prints it: one line per entry; under an order's rejection at intake,
 * a `reason:` line per reason its entry carries (an entry written before migration 009 carries
 * none: a line says so, and `o2a status` gives those kept with the order).
 */
export function renderTrail(trail: TrailEntry[]): string[] {
  const short = (id: string | null) => (id ? id.slice(0, 8) : '-'.padEnd(8));
  const under = ' '.repeat(18);
  return trail.flatMap((e) => {
    const arrow = e.direction === 'in' ? '<-' : e.direction === 'out' ? '->' : '  ';
    const what = e.type === 'StepStateChanged' ? `${e.stepId} ${e.payload.from} -> ${e.payload.to}`
      : e.type.endsWith('StateChanged') ? `${e.type.replace('StateChanged', '')} ${String(e.payload.from ?? '')} -> ${String(e.payload.to)}`
        : `${e.type}${e.stepId ? ` [${e.stepId}]` : ''}${e.type === 'MessageRefused' ? `: ${String(e.payload.reason)}` : ''}`;
    const entry = `${e.occurredAt.slice(11, 23)} ${arrow} ${what.padEnd(58)} msg ${short(e.messageId)} caused by ${short(e.causationId)}`;
    // A message sent with §9's other ids (migration 016): each on a line under it.
    const refs = e.direction === 'out' ? refsOfStored(e.payload.refs) : undefined;
    if (refs) return [entry, `${under}ids: ${Object.entries(refs).map(([name, id]) => `${name} ${id}`).join(', ')}`];
    if (e.type !== 'ProductOrderStateChanged' || e.payload.to !== 'rejected') return [entry];
    const reasons = Array.isArray(e.payload.reasons) ? e.payload.reasons : [];
    if (reasons.length === 0) return [entry, `${under}reasons: not in this entry (rejected before migration 009); o2a status gives any kept with the order`];
    return [entry, ...reasons.map((r) => `${under}reason: ${reasonText(reasonOf(String(r)))}`)];
  });
}

/** Live progress: one line per step state change as the engine commits it. */
function progressPrinter(out: Writable, labels: Map<string, string>): (rows: LogRow[]) => void {
  return (rows) => {
    for (const row of rows) {
      const label = labels.get(row.productOrderId) ?? row.productOrderId;
      if (row.type === 'StepStateChanged') {
        const extra = row.payload.outcome ? `  (${String(row.payload.outcome)})` : row.payload.reason ? `  (${String(row.payload.reason)})` : '';
        line(out, `  ${label.padEnd(14)} ${String(row.stepId).padEnd(14)} ${String(row.payload.from).padEnd(11)} -> ${String(row.payload.to)}${extra}`);
      } else if (row.type === 'ProductOrderStateChanged') {
        line(out, `  ${label.padEnd(14)} order          ${String(row.payload.from).padEnd(11)} -> ${String(row.payload.to)}`);
      } else if (row.type === 'FalloutCaseRaised') {
        line(out, `  ${label.padEnd(14)} fallout case ${String(row.payload.caseId)} for ${String(row.payload.ownerGroup)}: ${String(row.payload.failureReason)}`);
      }
    }
  };
}

// --- commands -------------------------------------------------------------------------------

export interface MigrateOptions extends StoreFlags {}

/** `o2a migrate [--db <dir>]`: applies pending migrations. */
export async function migrateCommand(options: MigrateOptions, out: Writable): Promise<number> {
  const store = await openStore(storeOptions(options));
  try {
    const applied = await migrate(store);
    if (options.json) line(out, JSON.stringify({ applied: applied.map((m) => m.version), known: listMigrations().length }));
    else if (applied.length === 0) line(out, `schema is up to date (${listMigrations().length} migrations)`);
    else for (const m of applied) line(out, `applied ${String(m.version).padStart(3, '0')}_${m.name}`);
    return 0;
  } finally {
    await store.close();
  }
}

export interface RunOrderOptions extends StoreFlags {
  /** `--plan <file>`: compiled plan JSON or .o2a source (repeatable); a folder of them. */
  plan: string[];
  /** `--catalog <dir>`: catalog snapshot folder, needed to compile .o2a plans. */
  catalog?: string;
  /** `--order <file>`: TMF622 v4 ProductOrder JSON. */
  order: string;
  /** `--scenario <file>`: script for the simulated components. */
  scenario?: string;
  /** `--real-time`: wall-clock timers (default: simulated time, timers fire at once when nothing else is due). */
  realTime?: boolean;
  /** `--quiet`: no live progress. */
  quiet?: boolean;
}

/** `o2a run --plan <file> --catalog <dir> --order <file> [--scenario <file>]`. */
export async function runOrderCommand(options: RunOrderOptions, out: Writable): Promise<number> {
  const json = options.json;
  // A file that cannot be read is a usage error (exit 2), as everywhere in the CLI.
  const unreadable = [...options.plan.filter((p) => !existsSync(p)), ...[options.order, options.scenario].filter((f): f is string => f !== undefined && !readable(f))];
  if (unreadable.length > 0) {
    refuse(out, json, {
      code: 'unreadable-file', message: `cannot read ${unreadable.join(', ')}`,
      problems: unreadable.map((f) => ({ field: null, message: `cannot read ${f}: ${readError(f)}` })),
    }, { message: 'none' });
    return 2;
  }
  const loaded = await loadPlans(options.plan, options.catalog);
  if (loaded.plans.length === 0) {
    refuse(out, json, { code: 'no-plan', message: 'no plan to run', problems: loaded.problems.map((p) => ({ field: null, message: p })) });
    return 1;
  }
  // Plans with errors are not emitted; the others run (an order for a missing one is rejected).
  const warnings = loaded.problems;
  if (!json) for (const p of warnings) line(out, `warning: ${p}`);
  let scenario: Scenario | undefined;
  if (options.scenario) {
    const s = loadScenarioFile(options.scenario);
    if (!s.ok) {
      refuse(out, json, { code: 'invalid-scenario', message: `${options.scenario} is not a valid scenario`, problems: s.problems.map(problemOf) });
      return 1;
    }
    scenario = s.scenario;
  }
  let order: unknown;
  try { order = JSON.parse(readFileSync(options.order, 'utf8')); } catch (error) {
    const problem = `${options.order}: not JSON (${(error as Error).message})`;
    refuse(out, json, {
      code: 'invalid-order', message: `${options.order} is not a valid TMF622 product order; nothing was recorded`,
      problems: [{ field: null, message: problem }],
    });
    return 1;
  }
  const clock: Clock = options.realTime ? systemClock : new ManualClock(new Date());
  const runtime = await Runtime.open({ ...storeOptions(options), clock });
  try {
    const labels = new Map<string, string>();
    if (!options.quiet && !json) runtime.onCommit(progressPrinter(out, labels));
    const submitted = await runtime.submitOrder(order, { plans: loaded.plans, scenario });
    // Refused at intake, nothing run: exit 1. The engine's code says which refusal it is.
    if (!submitted.ok) {
      refuseSubmission(out, json, options.order, submitted);
      return 1;
    }
    if (submitted.duplicate && !json) {
      line(out, `product order ${submitted.productOrderId} was taken before with the same body: not taken again; as it is now:`);
    }
    labels.set(submitted.productOrderId, basename(options.order, '.json'));
    await drive(runtime, options.realTime === true, submitted.productOrderId);
    const view = await projectOrder(runtime.store, runtime.registry, submitted.productOrderId);
    if (!view) throw new Error(`product order ${submitted.productOrderId} was taken but has no read model`);
    if (json) line(out, JSON.stringify(warnings.length > 0 ? { ...view, warnings } : view, null, 2));
    else { line(out); for (const l of renderReadModel(view)) line(out, l); }
    // Anything but completed (held, failed, partial) needs a person: exit 3.
    return view.internalState === 'completed' ? 0 : 3;
  } finally {
    await runtime.close();
  }
}

function readable(file: string): boolean {
  return readError(file) === null;
}

/** Why `file` cannot be read, or null: asked of the file system, not by reading it (it is read once, later). */
function readError(file: string): string | null {
  try {
    if (statSync(file).isDirectory()) return 'a directory, not a file';
    accessSync(file, constants.R_OK);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Prints the intake's refusal of an order (`o2a run`), by the engine's code. */
function refuseSubmission(out: Writable, json: boolean | undefined, file: string, refusal: SubmitRefusal): void {
  const id = refusal.productOrderId;
  const named = id !== undefined ? { productOrderId: id } : {};
  switch (refusal.code) {
    case 'conflict': {
      // An id the database knows with another body: nothing written.
      const field = refusal.field;
      refuse(out, json, {
        code: 'conflict', productOrderId: refusal.productOrderId, field,
        message: `product order ${refusal.productOrderId} already exists with a different body; nothing was recorded`,
        problems: refusal.problems.map((p) => ({ field, message: field !== null ? p.slice(field.length + 2) : problemOf(p).message })),
      }, { message: 'none' });
      return;
    }
    case 'invalid':
      refuse(out, json, {
        code: 'invalid-order', ...named, message: `${file} is not a valid TMF622 product order; nothing was recorded`,
        problems: refusal.problems.map(problemOf),
      });
      return;
    case 'rejected':
      // Recorded as rejected under its id (or the one generated for it: the user can look it up).
      refuse(out, json, {
        code: 'rejected', ...named,
        message: `product order ${refusal.productOrderId} recorded as rejected at intake; nothing was run. `
          + 'Resubmitting it under the same id is refused: give the corrected order an id of its own',
        problems: refusal.problems.map(problemOf),
      }, { prefix: 'rejected' });
      return;
    case 'rejected-before':
      // The same order again, rejected at intake the first time: nothing written and nothing to
      // run. The engine gives the reasons stored with the rejection.
      refuse(out, json, {
        code: 'rejected-before', ...named,
        message: `product order ${refusal.productOrderId} was rejected at intake before; it is not taken again and nothing was run. `
          + 'Give the corrected order an id of its own',
        problems: refusal.problems.map(problemOf),
      }, { message: 'first' });
      return;
  }
}

/** Runs until the order settles: simulated time jumps to the next due work; real time waits for it. */
async function drive(runtime: Runtime, realTime: boolean, orderId: string): Promise<void> {
  if (!realTime) return runtime.settle();
  for (;;) {
    await runtime.runUntilIdle();
    const rows = await runtime.store.query<{ state: string }>('SELECT state FROM product_order WHERE id = $1', [orderId]);
    if (['completed', 'failed', 'held', 'rejected', 'partial', 'cancelled'].includes(rows[0]?.state ?? '')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface OrderQueryOptions extends StoreFlags {
  order: string;
}

/** `o2a status <order> [--db <dir>] [--json]`: the §32 read model. */
export async function statusCommand(options: OrderQueryOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const view = await projectOrder(runtime.store, runtime.registry, options.order);
    if (!view) return unknownOrder(out, options);
    if (options.json) line(out, JSON.stringify(view, null, 2));
    else for (const l of renderReadModel(view)) line(out, l);
    return 0;
  });
}

/**
 * `o2a events <order> [--db <dir>] [--json]`: the event trail with correlation and causation ids.
 * Given a §9 id a message carried instead of an order id (a work order, appointment, reservation,
 * activation command, service order ...), the trail of its order.
 */
export async function eventsCommand(options: OrderQueryOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    let trail = await orderTrail(runtime.store, options.order);
    let via: { productOrderId: string; name: string } | null = null;
    if (trail.length === 0) {
      via = await orderOfRef(runtime.store, options.order);
      if (via) trail = await orderTrail(runtime.store, via.productOrderId);
    }
    if (trail.length === 0) return unknownOrder(out, options);
    if (options.json) line(out, JSON.stringify(trail, null, 2));
    else {
      if (via) line(out, `${via.name} ${options.order}: product order ${via.productOrderId}`);
      line(out, `correlation ${trail[0]?.correlationId}`);
      for (const l of renderTrail(trail)) line(out, l);
    }
    return 0;
  });
}

function unknownOrder(out: Writable, options: OrderQueryOptions): number {
  const message = `no order ${options.order}`;
  refuse(out, options.json, { code: 'unknown-order', productOrderId: options.order, message, problems: [{ field: null, message }] });
  return 1;
}

export interface FalloutListOptions extends StoreFlags {
  /** `--all`: resumed cases too. */
  all?: boolean;
}

/** `o2a fallout list [--all] [--db <dir>] [--json]`. */
export async function falloutListCommand(options: FalloutListOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const rows = await runtime.store.query<Record<string, unknown>>(
      `SELECT * FROM fallout_case ${options.all ? '' : `WHERE state = 'OPEN'`} ORDER BY created_at`);
    const cases = rows.map(falloutFromRow);
    if (options.json) { line(out, JSON.stringify(cases, null, 2)); return 0; }
    if (cases.length === 0) { line(out, options.all ? 'no fallout cases' : 'no open fallout cases'); return 0; }
    for (const c of cases) {
      line(out, `${c.id}  ${c.state}  order ${c.productOrderId} item ${c.productOrderItemId}  step ${c.failedStepId}  owner ${c.ownerGroup} (${c.party})`);
      line(out, `    reason: ${c.failureReason}`);
      line(out, `    repair: ${c.suggestedRepair}`);
      line(out, `    sla:    ${c.slaImpact}    resume: o2a resume ${c.id}`);
    }
    return 0;
  });
}

export interface ResumeOptions extends StoreFlags {
  caseId: string;
  /** `--scenario <file>`: script for the simulated components from here on. */
  scenario?: string;
}

/**
 * `o2a resume <case> [--db <dir>]`: resumes the held saga from the failed step and runs it on.
 * Exit codes as `run`'s: 0 completed, 1 refused (no such case, not open, a scenario that is not
 * valid: nothing resumed), 2 a scenario file that cannot be read, 3 held or failed again. Under
 * --json one object: the read model with what was resumed, or the refusal.
 */
export async function resumeCommand(options: ResumeOptions, out: Writable): Promise<number> {
  // The scenario is checked before anything is resumed: a refused one leaves the case open.
  let scenario: Scenario | undefined;
  if (options.scenario) {
    const unreadable = readError(options.scenario);
    if (unreadable !== null) {
      const message = `cannot read ${options.scenario}: ${unreadable}`;
      refuse(out, options.json, { code: 'unreadable-file', message, problems: [{ field: null, message }] }, { message: 'none' });
      return 2;
    }
    const s = loadScenarioFile(options.scenario);
    if (!s.ok) {
      const file = options.scenario;
      refuse(out, options.json, { code: 'invalid-scenario', message: `${file} is not a valid scenario`, problems: s.problems.map((p) => ({ field: null, message: `${file}: ${p}` })) }, { message: 'none' });
      return 1;
    }
    scenario = s.scenario;
  }
  return withRuntime(options, async (runtime) => {
    const result = await runtime.resume(options.caseId);
    if (!result.ok) {
      refuse(out, options.json, { code: 'not-resumable', message: result.problem, problems: [{ field: null, message: result.problem }] }, { message: 'none' });
      return 1;
    }
    if (scenario) runtime.components.setScenario(result.productOrderId, scenario);
    if (!options.json) {
      runtime.onCommit(progressPrinter(out, new Map()));
      line(out, `resumed ${result.caseId}: order ${result.productOrderId} continues from step ${result.stepId}`);
    }
    await runtime.settle();
    const view = await projectOrder(runtime.store, runtime.registry, result.productOrderId);
    // Under --json, one object: the read model, with what was resumed.
    if (view && options.json) line(out, JSON.stringify({ ...view, resumed: { caseId: result.caseId, stepId: result.stepId } }, null, 2));
    else if (view) for (const l of renderReadModel(view)) line(out, l);
    return view?.internalState === 'completed' ? 0 : 3;
  }, new ManualClock(new Date()));
}

// --- cancellation ---------------------------------------------------------------------------

export interface CancelOptions extends StoreFlags {
  order: string;
  /** `--item <id>`: one item (a bundle item with its children); the whole order when absent. */
  item?: string;
  reason?: string;
  /** `--by <who>`: who asks (TMF622's requester). */
  by?: string;
  /** `--id <id>`: the cancel request's own id; the same id again is answered as the first. */
  id?: string;
}

/** A cancel request with its approvals (any state) and the order as it is after the command. */
interface CancelOutcome {
  request: CancelRequestView;
  approvals: ApprovalView[];
  order: OrderReadModel | null;
}

/**
 * `o2a cancel <order> [--item <id>] [--reason <text>] [--by <who>] [--id <id>]`: asks the engine
 * to cancel (the plan's cancel rules decide per item), then drives the runtime as `resume` does,
 * so compensations run on the simulated components. Exit 0: the request is done (the order or
 * item is cancelled). Exit 3: it is not: refused (by the plan, or the order is settled), waiting
 * for an approval (`o2a approve`), or a compensation fell out (`o2a fallout list`). Exit 1: refused
 * input, nothing written (no such order or item, a value that is not valid, the id of another
 * order's request). A duplicate (same id, or the same order and item again) is shown as it is now.
 */
export async function cancelCommand(options: CancelOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const progress = heldProgress(runtime, out, !options.json);
    const result = await runtime.engine.cancel({
      productOrderId: options.order, itemId: options.item, reason: options.reason, requestedBy: options.by, id: options.id,
    });
    if (!result.ok) return refuseEngine(out, options.json, result, cancelRefusalCode(result), options.order);
    const { request, duplicate } = result;
    if (!options.json) {
      if (duplicate) {
        const same = options.id !== undefined ? 'under this id' : `for this order${request.itemId !== null ? ' and item' : ''}`;
        line(out, `cancel request ${request.id} was made before ${same}: not made again; as it is now:`);
      } else {
        line(out, `cancel request ${request.id} for order ${request.productOrderId}${request.itemId !== null ? ` item ${request.itemId}` : ''}: ${request.state}`);
      }
    }
    progress.show();
    // A refused request changes nothing: nothing to drive.
    if (request.state !== 'terminatedWithError') await runtime.settle();
    const after = await cancelOutcome(runtime, request.id);
    if (options.json) line(out, JSON.stringify({ ...after.request, duplicate, approvals: after.approvals, order: after.order }, null, 2));
    else for (const l of renderCancelOutcome(after)) line(out, l);
    return after.request.state === 'done' ? 0 : 3;
  }, new ManualClock(new Date()));
}

export interface ApproveOptions extends StoreFlags {
  approval: string;
  by: string;
  note?: string;
  /** `--refuse`: refuse the compensation (the order goes on) instead of approving it. */
  refuse?: boolean;
}

/**
 * `o2a approve <approval> --by <who> [--note <text>] [--refuse]`: decides a compensation that
 * requires approval, then drives the runtime. Exit 0: approved and the cancellation is done, or
 * refused and the order goes on (not held, failed or partial). Exit 3: a person is still needed
 * (another approval of the request pending, a compensation fallen out, the order held or failed).
 * Exit 1: refused, nothing decided (no such approval, already decided, `--by` empty).
 */
export async function approveCommand(options: ApproveOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const approve = options.refuse !== true;
    const progress = heldProgress(runtime, out, !options.json);
    const result = await runtime.engine.approve(options.approval, { by: options.by, note: options.note, approve });
    if (!result.ok) return refuseEngine(out, options.json, result, APPROVE_REFUSAL[result.code]);
    const { approval } = result;
    if (!options.json) {
      line(out, `approval ${approval.id} ${approval.state.toLowerCase()} by ${approval.decidedBy}${approval.note ? ` (${approval.note})` : ''}: ${approval.subject}, order ${approval.productOrderId}`);
    }
    progress.show();
    await runtime.settle();
    const after = await cancelOutcome(runtime, approval.cancelRequestId);
    const decided = after.approvals.find((a) => a.id === approval.id) ?? approval;
    if (options.json) line(out, JSON.stringify({ ...decided, cancelRequest: { ...after.request, approvals: after.approvals }, order: after.order }, null, 2));
    else for (const l of renderCancelOutcome(after)) line(out, l);
    if (approve) return after.request.state === 'done' ? 0 : 3;
    return ['held', 'failed', 'partial'].includes(after.order?.internalState ?? '') ? 3 : 0;
  }, new ManualClock(new Date()));
}

export interface SignalOptions extends StoreFlags {
  order: string;
  signal: string;
  item?: string;
}

/**
 * `o2a signal <order> customer-accepted|first-usage [--item <id>]`: a signal from the channel or
 * from charging (a billing trigger, §17), then the runtime runs what it lets go on. Exit 0; 1 for
 * an unknown signal, order or item (nothing written).
 */
export async function signalCommand(options: SignalOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const result = await runtime.engine.signal({ productOrderId: options.order, itemId: options.item, signal: options.signal });
    if (!result.ok) {
      return refuseEngine(out, options.json, result, result.code === 'invalid' ? 'invalid-request' : result.field === 'item' ? 'unknown-item' : 'unknown-order');
    }
    await runtime.settle();
    const view = await projectOrder(runtime.store, runtime.registry, options.order);
    if (options.json) { line(out, JSON.stringify({ signal: options.signal, sagas: result.sagas, order: view }, null, 2)); return 0; }
    for (const s of result.sagas) {
      line(out, `item ${s.itemId}: ${options.signal} ${s.duplicate ? 'already received' : 'received'}${s.billingStarted ? '; billing readiness requested' : ''}`);
    }
    if (view) line(out, `order ${options.order}: ${view.internalState} ("${view.customerVisibleStatus}")`);
    return 0;
  }, new ManualClock(new Date()));
}

export interface ApprovalsOptions extends StoreFlags {
  /** `--all`: decided approvals too. */
  all?: boolean;
}

/** `o2a approvals [--all]`: approvals awaiting a decision (every approval with --all). Exit 0. */
export async function approvalsCommand(options: ApprovalsOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const list = await approvals(runtime.store, options.all ? undefined : 'PENDING');
    if (options.json) { line(out, JSON.stringify(list, null, 2)); return 0; }
    if (list.length === 0) { line(out, options.all ? 'no approvals' : 'no approvals awaiting a decision'); return 0; }
    for (const a of list) {
      line(out, `${a.id}  ${a.state}  order ${a.productOrderId}  ${a.subject}  cancel request ${a.cancelRequestId}`);
      if (a.state === 'PENDING') line(out, `    decide: o2a approve ${a.id} --by <who> [--note <text>] [--refuse]`);
      else line(out, `    decided by ${a.decidedBy} at ${a.decidedAt}${a.note ? `: ${a.note}` : ''}`);
    }
    return 0;
  });
}

/** `o2a cancellations <order>`: the cancel requests of an order with their states. Exit 0, or 1 for an unknown order. */
export async function cancellationsCommand(options: OrderQueryOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const known = await runtime.store.query('SELECT 1 FROM product_order WHERE id = $1', [options.order]);
    if (known.length === 0) return unknownOrder(out, options);
    const requests = await cancelRequests(runtime.store, options.order);
    const all = (await approvals(runtime.store)).filter((a) => a.productOrderId === options.order);
    const withApprovals = requests.map((r) => ({ ...r, approvals: all.filter((a) => a.cancelRequestId === r.id) }));
    if (options.json) { line(out, JSON.stringify(withApprovals, null, 2)); return 0; }
    if (requests.length === 0) { line(out, `no cancel requests for order ${options.order}`); return 0; }
    for (const r of withApprovals) {
      line(out, `${r.id}  ${r.state}  ${r.itemId !== null ? `item ${r.itemId}` : 'whole order'}  at ${r.createdAt}${r.requestedBy ? ` by ${r.requestedBy}` : ''}${r.reason ? `: ${r.reason}` : ''}`);
      for (const l of renderRequestDetail(r, r.approvals)) line(out, `  ${l}`);
    }
    return 0;
  });
}

/**
 * `o2a amendments <order>`: the amendment requests of an order with their states, deltas and
 * lineage (which step ran again, from which attempt and key). Exit 0, or 1 for an unknown order.
 */
export async function amendmentsCommand(options: OrderQueryOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const known = await runtime.store.query('SELECT 1 FROM product_order WHERE id = $1', [options.order]);
    if (known.length === 0) return unknownOrder(out, options);
    const requests = await amendmentRequests(runtime.store, options.order);
    if (options.json) { line(out, JSON.stringify(requests, null, 2)); return 0; }
    if (requests.length === 0) { line(out, `no amendment requests for order ${options.order}`); return 0; }
    for (const r of requests) {
      line(out, `${r.id}  ${r.state}  item ${r.itemId}  ${r.change}  at ${r.createdAt}${r.requestedBy ? ` by ${r.requestedBy}` : ''}`);
      for (const [name, d] of Object.entries(r.delta)) line(out, `  ${name}: ${JSON.stringify(d.old)} -> ${JSON.stringify(d.new)}`);
      for (const l of r.lineage) line(out, `  replanned ${l.stepId}: attempt ${l.fromAttempt} (${l.fromKey ?? 'none'}) -> ${l.toKey}`);
      if (r.message) line(out, `  ${r.message}`);
    }
    return 0;
  });
}

export interface ReconcileOptions extends StoreFlags {
  /** `--dry-run`: find and report, change and record nothing. */
  dryRun?: boolean;
  /** `--list`: the findings recorded so far instead of a run. */
  list?: boolean;
}

/**
 * `o2a reconcile [--dry-run] [--list]`: runs reconciliation (§22) now, then the runtime as `resume`
 * does so that what it repaired goes on. Exit 0: nothing needs a person; 3: a mismatch was alerted
 * (or stands from an earlier run; a dry run: would be). `--list`: the findings recorded, exit 0.
 */
export async function reconcileCommand(options: ReconcileOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    if (options.list) {
      const findings = await reconciliationFindings(runtime.store);
      if (options.json) { line(out, JSON.stringify(findings, null, 2)); return 0; }
      if (findings.length === 0) { line(out, 'no reconciliation findings'); return 0; }
      for (const f of findings) printFinding(out, f);
      return 0;
    }
    const report = await runtime.reconciler.reconcile({ dryRun: options.dryRun });
    if (!options.dryRun) await runtime.settle();
    if (options.json) { line(out, JSON.stringify(report, null, 2)); return report.needsPerson ? 3 : 0; }
    if (report.findings.length === 0) line(out, `${options.dryRun ? 'dry run: ' : ''}no mismatch found`);
    for (const f of report.findings) printFinding(out, f);
    return report.needsPerson ? 3 : 0;
  }, new ManualClock(new Date()));
}

function printFinding(out: Writable, f: Finding): void {
  const action = f.alertedBefore ? 'alerted (before)' : f.action;
  line(out, `${f.id || '-'}  ${action}  ${f.kind}  order ${f.productOrderId}${f.stepId ? ` step ${f.stepId}` : ''}  at ${f.foundAt}`);
  line(out, `    ${f.detail}`);
}

/**
 * Live progress from the command's own transaction on (what the cancel or the decision changed at
 * once), held back until `show` so that it comes after the line saying what was done.
 */
function heldProgress(runtime: Runtime, out: Writable, enabled: boolean): { show(): void } {
  if (!enabled) return { show() {} };
  const print = progressPrinter(out, new Map());
  let held: LogRow[][] | null = [];
  runtime.onCommit((rows) => { if (held) held.push(rows); else print(rows); });
  return { show() { for (const rows of held ?? []) print(rows); held = null; } };
}

async function cancelOutcome(runtime: Runtime, requestId: string): Promise<CancelOutcome> {
  const request = await cancelRequest(runtime.store, requestId);
  if (!request) throw new Error(`cancel request ${requestId} was made but cannot be read back`);
  const list = (await approvals(runtime.store)).filter((a) => a.cancelRequestId === requestId);
  const order = await projectOrder(runtime.store, runtime.registry, request.productOrderId);
  return { request, approvals: list, order };
}

/**
 * What the plan decided per item (`item 1: after ont -> compensate`, with the approval it requires
 * and how to give it), the refusal's text, what cannot be undone.
 */
function renderRequestDetail(request: CancelRequestView, list: ApprovalView[]): string[] {
  const lines: string[] = [];
  for (const d of request.decisions) {
    let text = `item ${d.itemId}: ${d.rule} -> ${d.action}`;
    if (d.requiresApproval) {
      const a = list.find((x) => x.sagaId === d.sagaId);
      text += !a ? ', requires approval'
        : a.state === 'PENDING' ? `, requires approval ${a.id}`
          : `, ${a.state === 'APPROVED' ? 'approved' : 'refused'} by ${a.decidedBy} (approval ${a.id})`;
    }
    if (d.irreversible.length > 0) text += `; not undone (irreversible): ${d.irreversible.join(', ')}`;
    lines.push(text);
  }
  if (request.message !== null) lines.push(`${request.state === 'terminatedWithError' ? 'refused' : 'message'}: ${request.message}`);
  for (const a of list.filter((x) => x.state === 'PENDING')) {
    lines.push(`awaiting approval ${a.id}: o2a approve ${a.id} --by <who> [--note <text>] [--refuse]`);
  }
  return lines;
}

/** A cancel request as `cancel` and `approve` end: its state, the decisions, the order after. */
function renderCancelOutcome({ request, approvals: list, order }: CancelOutcome): string[] {
  const lines = [
    '',
    `cancel request ${request.id}: ${request.state}`,
    ...renderRequestDetail(request, list).map((l) => `  ${l}`),
  ];
  if (order) {
    lines.push(`  order ${order.productOrderId}: ${order.internalState}  (customer sees: ${order.customerVisibleStatus})`);
    for (const item of order.items) lines.push(`    item ${item.id}: ${item.state}`);
    if (order.falloutCaseId) lines.push(`  fallout case ${order.falloutCaseId}: o2a fallout list, o2a resume ${order.falloutCaseId}`);
  }
  return lines;
}

function cancelRefusalCode(result: Extract<CancelResult, { ok: false }>): RefusalCode {
  if (result.code === 'invalid') return 'invalid-request';
  return result.field === 'item' ? 'unknown-item' : 'unknown-order';
}

const APPROVE_REFUSAL: Record<Extract<ApproveResult, { ok: false }>['code'], RefusalCode> = {
  invalid: 'invalid-request', 'not-found': 'unknown-approval', decided: 'already-decided',
};

/** The engine's refusal of a cancel or an approval: `error: <field>: <message>`, exit 1, nothing written. */
function refuseEngine(out: Writable, json: boolean | undefined, result: { field: string; problem: string }, code: RefusalCode, productOrderId?: string): number {
  const prefix = `${result.field}: `;
  const message = result.problem.startsWith(prefix) ? result.problem.slice(prefix.length) : result.problem;
  refuse(out, json, {
    code, ...(productOrderId !== undefined ? { productOrderId } : {}), message: result.problem,
    problems: [{ field: result.field, message }],
  }, { message: 'none' });
  return 1;
}

async function withRuntime(flags: StoreFlags, work: (runtime: Runtime) => Promise<number>, clock?: Clock): Promise<number> {
  const runtime = await Runtime.open({ ...storeOptions(flags), clock });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

// --- amendment ------------------------------------------------------------------------------

export interface AmendOptions extends StoreFlags {
  order: string;
  item: string;
  /** `--change <kind>`: the name of one of the plan's amend rules. */
  change: string;
  /** `--with <json>`: a JSON object of the characteristics changed, with their new values. */
  with: string;
  by?: string;
  id?: string;
}

/**
 * `o2a amend <order> --item <id> --change <kind> --with <json> [--by <who>] [--id <id>]`: asks
 * the engine to amend an in-flight item (the plan's amend rule decides), then drives the runtime
 * as `cancel` does, so the replanned steps run again on the simulated components. Exit 0: the
 * request is done (its steps replanned). Exit 3: refused by the plan (its text) or by another
 * amendment in progress, or not done (an undo fell out): nothing written for a refusal. Exit 1:
 * refused input, nothing written: no such order or item, no such change kind (the plan's listed),
 * `--with` not a JSON object of values.
 */
export async function amendCommand(options: AmendOptions, out: Writable): Promise<number> {
  let values: unknown;
  try { values = JSON.parse(options.with); } catch (error) {
    return refuseEngine(out, options.json, { field: 'with', problem: `with: not JSON: ${(error as Error).message}` }, 'invalid-request', options.order);
  }
  return withRuntime(options, async (runtime) => {
    const result = await runtime.engine.amend({
      productOrderId: options.order, itemId: options.item, change: options.change, with: values as Record<string, unknown>,
      requestedBy: options.by, id: options.id,
    });
    if (!result.ok) {
      const code = amendRefusalCode(result);
      refuseEngine(out, options.json, result, code, options.order);
      return code === 'amendment-refused' ? 3 : 1;
    }
    const { duplicate } = result;
    if (!options.json) {
      const r = result.request;
      line(out, duplicate
        ? `amendment request ${r.id} was made before under this id: not made again; as it is now:`
        : `amendment request ${r.id} for order ${r.productOrderId} item ${r.itemId} (${r.change}): ${r.state}`);
    }
    await runtime.settle();
    const request = await amendmentRequest(runtime.store, result.request.id) as AmendmentRequestView;
    const order = await projectOrder(runtime.store, runtime.registry, options.order);
    if (options.json) line(out, JSON.stringify({ ...request, duplicate, order }, null, 2));
    else {
      line(out);
      line(out, `amendment request ${request.id}: ${request.state}`);
      for (const [name, d] of Object.entries(request.delta)) line(out, `  ${name}: ${JSON.stringify(d.old)} -> ${JSON.stringify(d.new)}`);
      for (const l of request.lineage) line(out, `  replanned ${l.stepId}: attempt ${l.fromAttempt} (${l.fromKey ?? 'none'}) -> ${l.toKey}`);
      if (order) {
        line(out, `  order ${order.productOrderId}: ${order.internalState}  (customer sees: ${order.customerVisibleStatus})`);
        if (order.falloutCaseId) line(out, `  fallout case ${order.falloutCaseId}: o2a fallout list, o2a resume ${order.falloutCaseId}`);
      }
    }
    return request.state === 'done' ? 0 : 3;
  }, new ManualClock(new Date()));
}

function amendRefusalCode(result: Extract<AmendResult, { ok: false }>): RefusalCode {
  if (result.code === 'refused') return 'amendment-refused';
  if (result.code === 'not-found') return result.field === 'item' ? 'unknown-item' : 'unknown-order';
  return result.field === 'change' ? 'unknown-change' : 'invalid-request';
}

// --- npm start --------------------------------------------------------------------------------

export interface DemoOptions {
  /** Plans to run instead of compiling plans/ (tests). */
  plans?: CompiledPlan[];
  /** Redraw a table in place instead of printing lines (default: when `out` is a TTY). */
  table?: boolean;
  /** Server PostgreSQL to run on (default: the DATABASE_URL environment variable; else PGlite in memory). */
  databaseUrl?: string;
}

const DEMO_ORDERS = [
  {
    label: 'home-fiber',
    order: {
      id: 'po-demo-fiber', externalId: 'crm-1001', relatedParty: [{ id: 'cust-42', role: 'customer' }],
      productOrderItem: [{
        id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G', name: 'Home Fiber 1 Gbps' },
        product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] },
      }],
    },
    // The OLT configures the line but its answer is lost: the saga reads the network back.
    scenario: { name: 'activation answer lost', steps: { network: { outcome: 'timeout', applied: true } } },
  },
  {
    label: 'mobile',
    order: {
      id: 'po-demo-mobile', externalId: 'crm-1002', relatedParty: [{ id: 'cust-7', role: 'customer' }],
      productOrderItem: [{
        id: '1', action: 'add', productOffering: { id: 'MOBILE_POSTPAID', name: 'Mobile Postpaid' },
        product: { productCharacteristic: [{ name: 'simType', value: 'physical' }] },
      }],
    },
    scenario: { name: 'success', steps: {} },
  },
];

/**
 * A third order, cancelled by the customer once its equipment is reserved: the appointment system
 * answers an hour late, the cancel comes meanwhile, and the plan's `after ont: compensate` undoes
 * the appointment and the reservations (units back to their pools).
 */
const DEMO_CANCEL = {
  label: 'fiber-cancel',
  order: {
    id: 'po-demo-cancel', externalId: 'crm-1003', relatedParty: [{ id: 'cust-99', role: 'customer' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G', name: 'Home Fiber 1 Gbps' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }] },
    }],
  },
  scenario: { name: 'cancelled while the appointment is booked', steps: { install_slot: { delayMs: 3_600_000 } } },
  cancel: { reason: 'customer is moving abroad', requestedBy: 'crm' },
};

const DEMO_PARTIAL = {
  label: 'family-pack',
  order: {
    id: 'po-demo-family', externalId: 'crm-1004', relatedParty: [{ id: 'cust-42', role: 'customer' }],
    productOrderItem: [{
      id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK', name: 'Family Pack' },
      product: { productCharacteristic: [{ name: 'installation', value: 'technician' }, { name: 'simType', value: 'physical' }] },
      productOrderItem: [{ id: '1.tv', action: 'add', productOffering: { id: 'OTT_STREAMING' } }],
    }],
  },
  scenario: { name: 'fiber technician finds nobody home', steps: { install: { outcome: 'no_access' } } },
};

/**
 * A cease (item action `delete`): the item runs the offering's cease plan, not its installation;
 * the customer's other line, named `noChange`, runs nothing.
 */
const DEMO_CEASE = {
  label: 'cease',
  order: {
    id: 'po-demo-cease', externalId: 'crm-1005', relatedParty: [{ id: 'cust-77', role: 'customer' }],
    productOrderItem: [
      { id: '1', action: 'delete', productOffering: { id: 'HOME_FIBER_1G', name: 'Home Fiber 1 Gbps' }, product: { id: 'prod-fiber-77' } },
      { id: '2', action: 'noChange', productOffering: { id: 'MOBILE_POSTPAID', name: 'Mobile Postpaid' }, product: { id: 'prod-mobile-77' } },
    ],
  },
  scenario: { name: 'success', steps: {} },
};

/**
 * `npm start`: two real orders through every step on embedded Postgres, live, a third cancelled
 * on the way, a bundle that completes partly (§20), and a cease picked by its items' actions.
 */
export async function demo(out: Writable, options: DemoOptions = {}): Promise<number> {
  const started = Date.now();
  line(out, 'o2a demo: compiling the sample plans (plans/ against catalogs/2026.11)');
  let plans = options.plans;
  if (!plans) {
    const compiled = await compileSamplePlans();
    if (compiled.plans.length === 0) {
      for (const p of compiled.problems.slice(0, 20)) line(out, `error: ${p}`);
      return 1;
    }
    for (const p of compiled.problems.slice(0, 5)) line(out, `warning: ${p}`);
    plans = compiled.plans;
  }
  line(out, `  ${plans.length} plans: ${plans.map((p) => `${p.planId}@${p.hash.slice(0, 10)}`).join(', ')}`);
  // As every runtime command: DATABASE_URL names a server PostgreSQL, else PGlite in memory.
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || undefined);
  // A server database keeps an earlier demo's orders: this run's get ids of their own.
  const run = databaseUrl !== undefined ? `-${Date.now().toString(36)}` : '';
  const ownIds = <D extends { order: { id: string; externalId: string } }>(d: D): D => ({ ...d, order: { ...d.order, id: `${d.order.id}${run}`, externalId: `${d.order.externalId}${run}` } });
  const completing = DEMO_ORDERS.map(ownIds);
  const toCancel = ownIds(DEMO_CANCEL);
  const partly = ownIds(DEMO_PARTIAL);
  const cease = ownIds(DEMO_CEASE);
  line(out, databaseUrl !== undefined
    ? `using PostgreSQL at ${shownDatabase(databaseUrl)} (DATABASE_URL) and migrating`
    : 'starting embedded PostgreSQL (PGlite, in memory; DATABASE_URL=postgres://... runs on a server) and migrating');
  const clock = new ManualClock(new Date());
  const runtime = await Runtime.open(databaseUrl !== undefined ? { databaseUrl, clock } : { clock });
  try {
    await runtime.registerPlans(plans);
    const labels = new Map([...completing, toCancel, partly, cease].map((d) => [d.order.id, d.label]));
    const table = options.table ?? ((out as { isTTY?: boolean }).isTTY === true);
    const render = table ? tableRenderer(out, runtime, labels) : null;
    runtime.onCommit(render ? () => render.dirty() : progressPrinter(out, labels));
    line(out, 'running five orders through the simulated components (time is simulated: timeouts fire at once); '
      + 'the third is cancelled, the fourth (a bundle) completes partly, the fifth ceases a line');
    for (const d of [...completing, toCancel, partly, cease]) {
      const result = await runtime.submitOrder(d.order, { scenario: d.scenario });
      if (!result.ok) { for (const p of result.problems) line(out, `${result.code.startsWith('rejected') ? 'rejected' : 'error'}: ${p}`); return 1; }
      line(out, `  submitted ${d.order.id} (${d.label}, scenario: ${d.scenario.name})`);
    }
    // Everything that can happen now happens; the third order's appointment answer is an hour away.
    await runtime.runUntilIdle();
    const cancelled = await runtime.engine.cancel({ productOrderId: toCancel.order.id, ...toCancel.cancel });
    if (!cancelled.ok) { line(out, `error: ${cancelled.problem}`); return 1; }
    if (!render) {
      line(out, `  cancel ${toCancel.order.id} (${toCancel.label}, ${toCancel.cancel.reason}): request ${cancelled.request.id} ${cancelled.request.state}; `
        + cancelled.request.decisions.map((d) => `item ${d.itemId}: ${d.rule} -> ${d.action}`).join(', '));
    }
    await runtime.settle();
    if (render) await render.flush();
    let code = 0;
    for (const d of completing) {
      const view = await projectOrder(runtime.store, runtime.registry, d.order.id);
      if (!view) continue;
      if (view.internalState !== 'completed') code = 2;
      line(out);
      line(out, `read model (§32) of ${d.label}:`);
      line(out, JSON.stringify(view, null, 2));
      line(out);
      line(out, `event trail of ${d.label} (correlation ${view.correlationId}):`);
      for (const l of renderTrail(await orderTrail(runtime.store, d.order.id))) line(out, `  ${l}`);
    }
    line(out);
    line(out, `cancellation (§18) of ${toCancel.label}:`);
    const demoCancel = await demoCancellation(runtime, cancelled.request.id);
    if (demoCancel.code !== 0) code = 2;
    for (const l of demoCancel.lines) line(out, `  ${l}`);
    line(out);
    line(out, `partial completion (§20) of ${partly.label}: items complete on their own`);
    const family = await projectOrder(runtime.store, runtime.registry, partly.order.id);
    if (family?.internalState !== 'partial') code = 2;
    for (const item of family?.items ?? []) line(out, `  item ${item.id.padEnd(10)} ${item.state.padEnd(10)} ${item.planId ?? '(bundle)'}`);
    if (family) {
      line(out, `  order ${family.productOrderId}: ${family.internalState}  (customer sees: ${family.customerVisibleStatus}; `
        + `next: ${family.estimatedNextAction ?? '-'})`);
    }
    line(out);
    line(out, `item actions of ${cease.label}: each item runs the plan of its offering for its action`);
    const ceased = await projectOrder(runtime.store, runtime.registry, cease.order.id);
    if (ceased?.internalState !== 'completed') code = 2;
    for (const item of [...(ceased?.items ?? [])].sort((a, b) => a.id.localeCompare(b.id))) line(out, `  item ${item.id.padEnd(10)} ${item.action.padEnd(10)} ${item.state.padEnd(10)} ${item.planId ?? '(nothing to run)'}`);
    if (ceased) line(out, `  order ${ceased.productOrderId}: ${ceased.internalState}  (customer sees: ${ceased.customerVisibleStatus})`);
    line(out);
    line(out, 'side effects applied by the simulated components:');
    for (const [owner, c] of Object.entries(runtime.components.snapshot())) {
      line(out, `  ${owner.padEnd(20)} commands ${c.commands}  applied ${c.applied}  reads ${c.reads}  duplicates ${c.duplicates}`);
    }
    line(out, `done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return code;
  } finally {
    await runtime.close();
  }
}

/** A database URL as the demo shows it: without its password. */
function shownDatabase(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(a DATABASE_URL that is not a URL)';
  }
}

/** The demo's cancelled order, briefly: the request, what was undone in which order, where the units went. */
async function demoCancellation(runtime: Runtime, requestId: string): Promise<{ code: number; lines: string[] }> {
  const { request, approvals: list, order } = await cancelOutcome(runtime, requestId);
  const undone = await runtime.store.query<{ step_id: string; payload: unknown }>(
    `SELECT step_id, payload FROM outbox WHERE product_order_id = $1 AND type = 'CompensateStep' ORDER BY seq`, [request.productOrderId]);
  const units = await runtime.store.query<{ resource_id: string; state: string | null }>(
    `SELECT r.resource_id, u.state FROM resource_reservation r JOIN saga s ON s.id = r.saga_id
       LEFT JOIN component_resource_unit u ON u.id = r.resource_id WHERE s.product_order_id = $1 ORDER BY r.resource_id`, [request.productOrderId]);
  const action = (payload: unknown) => String((parseJson(payload) as { action?: unknown } | null)?.action ?? '?');
  const lines = [
    `cancel request ${request.id}: ${request.state}  (${request.reason ?? 'no reason'}, requested by ${request.requestedBy ?? '-'})`,
    ...renderRequestDetail(request, list).map((l) => `  ${l}`),
    `  undone, last step first: ${undone.length > 0 ? undone.map((u) => `${u.step_id} (${action(u.payload)})`).join(', ') : 'nothing'}`,
    `  units: ${units.length > 0 ? units.map((u) => `${u.resource_id} ${u.state === 'AVAILABLE' ? 'back in its pool' : (u.state ?? 'unknown').toLowerCase()}`).join(', ') : 'none reserved'}`,
    ...(order ? [`order ${order.productOrderId}: ${order.internalState}  (customer sees: ${order.customerVisibleStatus})`] : []),
  ];
  return { code: request.state === 'done' && order?.internalState === 'cancelled' ? 0 : 2, lines };
}

function tableRenderer(out: Writable, runtime: Runtime, labels: Map<string, string>): { dirty(): void; flush(): Promise<void> } {
  let pending: Promise<void> | null = null;
  let drawn = 0;
  const draw = async () => {
    const lines: string[] = [];
    for (const [orderId, label] of labels) {
      const rows = await runtime.store.query<{ step_id: string; state: string; attempt: number }>(
        `SELECT st.step_id, st.state, st.attempt FROM saga_step st JOIN saga s ON s.id = st.saga_id
          WHERE s.product_order_id = $1 ORDER BY st.started_at NULLS LAST, st.step_id`, [orderId]);
      const order = await runtime.store.query<{ state: string }>('SELECT state FROM product_order WHERE id = $1', [orderId]);
      lines.push(`${label.padEnd(12)} ${order[0]?.state ?? ''}`);
      lines.push(`  ${rows.map((r) => `${r.step_id}:${r.state}`).join('  ')}`);
    }
    if (drawn > 0) out.write(`\x1b[${drawn}A\x1b[0J`);
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    dirty() { pending ??= draw().finally(() => { pending = null; }); },
    async flush() { await pending; await draw(); },
  };
}
