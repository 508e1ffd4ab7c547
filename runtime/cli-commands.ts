// The runtime's CLI commands as functions: parsed options and an output stream in, an exit code
// out. `cli/` wires them into commander. Exit codes: 0 done, 1 bad input or error, 2 the order
// ended held or failed (fallout needs a person).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { CompiledPlan } from '../compiler/emit/schema.js';
import { loadScenarioFile, type Scenario } from './adapters/scenario.js';
import { ManualClock, systemClock, type Clock } from './clock.js';
import { isConflict } from './engine/engine.js';
import { checkPlan } from './engine/plans.js';
import type { LogRow } from './engine/unit-of-work.js';
import { orderTrail, projectOrder, type OrderReadModel, type TrailEntry } from './projection/read-model.js';
import { Runtime } from './runtime.js';
import { listMigrations, migrate } from './store/migrate.js';
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
      // Every sibling .o2a joins the workspace, so templates and bundled plans resolve.
      const folders = [...new Set(sources.map((s) => dirname(s.file)))];
      for (const folder of folders) {
        for (const f of readdirSync(folder).filter((n) => n.endsWith('.o2a'))) {
          const path = join(folder, f);
          if (!sources.some((s) => resolve(s.file) === resolve(path))) sources.push({ file: path, text: readFileSync(path, 'utf8') });
        }
      }
      const compiled = await compileSources(sources, catalogDir);
      plans.push(...compiled.plans);
      problems.push(...compiled.problems);
    }
  }
  return { plans, problems };
}

async function compileSources(sources: { file: string; text: string }[], catalogDir: string): Promise<PlanLoad> {
  try {
    const { compileWorkspace } = await import('../compiler/index.js');
    const { loadCatalog } = await import('../compiler/catalog/load.js');
    const catalog = loadCatalog(catalogDir);
    const result = compileWorkspace(sources, catalog.catalog, { catalogDiagnostics: catalog.diagnostics });
    const errors = result.diagnostics.filter((d) => d.severity === 'error')
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

export function renderReadModel(view: OrderReadModel): string[] {
  const lines = [
    `order ${view.productOrderId}  (correlation ${view.correlationId})`,
    `  customer sees:     ${view.customerVisibleStatus}`,
    `  internal state:    ${view.internalState}`,
    `  blocking step:     ${view.currentBlockingStep ?? '-'}`,
    `  action required:   ${view.customerActionRequired ? 'customer' : view.providerActionRequired ? 'provider' : 'none'}`,
    `  fallout case:      ${view.falloutCaseId ?? '-'}`,
    `  next action:       ${view.estimatedNextAction ?? '-'}`,
  ];
  for (const item of view.items) {
    lines.push(`  item ${item.id}: ${item.state}${item.planId ? `  plan ${item.planId}` : ''}${item.sagaState ? `  saga ${item.sagaState}` : ''}`);
    for (const step of view.steps.filter((s) => s.itemId === item.id)) {
      lines.push(`    ${step.id.padEnd(16)} ${step.state.padEnd(12)}${step.attempt > 1 ? ` attempt ${step.attempt}` : ''}`);
    }
  }
  return lines;
}

export function renderTrail(trail: TrailEntry[]): string[] {
  const short = (id: string | null) => (id ? id.slice(0, 8) : '-'.padEnd(8));
  return trail.map((e) => {
    const arrow = e.direction === 'in' ? '<-' : e.direction === 'out' ? '->' : '  ';
    const what = e.type === 'StepStateChanged' ? `${e.stepId} ${e.payload.from} -> ${e.payload.to}`
      : e.type.endsWith('StateChanged') ? `${e.type.replace('StateChanged', '')} ${String(e.payload.from ?? '')} -> ${String(e.payload.to)}`
        : `${e.type}${e.stepId ? ` [${e.stepId}]` : ''}${e.type === 'MessageRefused' ? `: ${String(e.payload.reason)}` : ''}`;
    return `${e.occurredAt.slice(11, 23)} ${arrow} ${what.padEnd(58)} msg ${short(e.messageId)} caused by ${short(e.causationId)}`;
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
  const loaded = await loadPlans(options.plan, options.catalog);
  // Plans with errors are not emitted; the others run (an order for a missing one is rejected).
  for (const p of loaded.problems) line(out, `${loaded.plans.length === 0 ? 'error' : 'warning'}: ${p}`);
  if (loaded.plans.length === 0) { line(out, 'error: no plan to run'); return 1; }
  let scenario: Scenario | undefined;
  if (options.scenario) {
    const s = loadScenarioFile(options.scenario);
    if (!s.ok) { for (const p of s.problems) line(out, `error: ${p}`); return 1; }
    scenario = s.scenario;
  }
  let order: unknown;
  try { order = JSON.parse(readFileSync(options.order, 'utf8')); } catch (error) {
    line(out, `error: ${options.order}: ${(error as Error).message}`);
    return 1;
  }
  const clock: Clock = options.realTime ? systemClock : new ManualClock(new Date());
  const runtime = await Runtime.open({ ...storeOptions(options), clock });
  try {
    const labels = new Map<string, string>();
    if (!options.quiet && !options.json) runtime.onCommit(progressPrinter(out, labels));
    const submitted = await runtime.submitOrder(order, { plans: loaded.plans, scenario });
    // An id the database knows with another body: refused, nothing run (bad input: exit 1).
    if (isConflict(submitted)) { for (const p of submitted.problems) line(out, `error: ${p}`); return 1; }
    if (!submitted.ok) { for (const p of submitted.problems) line(out, `rejected: ${p}`); return 2; }
    labels.set(submitted.productOrderId, basename(options.order, '.json'));
    await drive(runtime, options.realTime === true, submitted.productOrderId);
    const view = await projectOrder(runtime.store, runtime.registry, submitted.productOrderId);
    if (!view) return 1;
    if (options.json) line(out, JSON.stringify(view, null, 2));
    else { line(out); for (const l of renderReadModel(view)) line(out, l); }
    return view.internalState === 'completed' ? 0 : 2;
  } finally {
    await runtime.close();
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
    if (!view) { line(out, `error: no order ${options.order}`); return 1; }
    if (options.json) line(out, JSON.stringify(view, null, 2));
    else for (const l of renderReadModel(view)) line(out, l);
    return 0;
  });
}

/** `o2a events <order> [--db <dir>] [--json]`: the event trail with correlation and causation ids. */
export async function eventsCommand(options: OrderQueryOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const trail = await orderTrail(runtime.store, options.order);
    if (trail.length === 0) { line(out, `error: no order ${options.order}`); return 1; }
    if (options.json) line(out, JSON.stringify(trail, null, 2));
    else { line(out, `correlation ${trail[0]?.correlationId}`); for (const l of renderTrail(trail)) line(out, l); }
    return 0;
  });
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

/** `o2a resume <case> [--db <dir>]`: resumes the held saga from the failed step and runs it on. */
export async function resumeCommand(options: ResumeOptions, out: Writable): Promise<number> {
  return withRuntime(options, async (runtime) => {
    const result = await runtime.resume(options.caseId);
    if (!result.ok) { line(out, `error: ${result.problem}`); return 1; }
    if (options.scenario) {
      const s = loadScenarioFile(options.scenario);
      if (!s.ok) { for (const p of s.problems) line(out, `error: ${p}`); return 1; }
      runtime.components.setScenario(result.productOrderId, s.scenario);
    }
    if (!options.json) runtime.onCommit(progressPrinter(out, new Map()));
    line(out, `resumed ${result.caseId}: order ${result.productOrderId} continues from step ${result.stepId}`);
    await runtime.settle();
    const view = await projectOrder(runtime.store, runtime.registry, result.productOrderId);
    if (view && options.json) line(out, JSON.stringify(view, null, 2));
    else if (view) for (const l of renderReadModel(view)) line(out, l);
    return view?.internalState === 'completed' ? 0 : 2;
  }, new ManualClock(new Date()));
}

async function withRuntime(flags: StoreFlags, work: (runtime: Runtime) => Promise<number>, clock?: Clock): Promise<number> {
  const runtime = await Runtime.open({ ...storeOptions(flags), clock });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

// --- npm start --------------------------------------------------------------------------------

export interface DemoOptions {
  /** Plans to run instead of compiling plans/ (tests). */
  plans?: CompiledPlan[];
  /** Redraw a table in place instead of printing lines (default: when `out` is a TTY). */
  table?: boolean;
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

/** `npm start`: two real orders through every step on embedded Postgres, live. */
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
  line(out, 'starting embedded PostgreSQL (PGlite) and migrating');
  const clock = new ManualClock(new Date());
  const runtime = await Runtime.open({ clock });
  try {
    await runtime.registerPlans(plans);
    const labels = new Map(DEMO_ORDERS.map((d) => [d.order.id, d.label]));
    const table = options.table ?? ((out as { isTTY?: boolean }).isTTY === true);
    const render = table ? tableRenderer(out, runtime, labels) : null;
    runtime.onCommit(render ? () => render.dirty() : progressPrinter(out, labels));
    line(out, 'running two orders through the simulated components (time is simulated: timeouts fire at once)');
    for (const d of DEMO_ORDERS) {
      const result = await runtime.submitOrder(d.order, { scenario: d.scenario });
      if (!result.ok) { for (const p of result.problems) line(out, `${isConflict(result) ? 'error' : 'rejected'}: ${p}`); return 1; }
      line(out, `  submitted ${d.order.id} (${d.label}, scenario: ${d.scenario.name})`);
    }
    await runtime.settle();
    if (render) await render.flush();
    let code = 0;
    for (const d of DEMO_ORDERS) {
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
