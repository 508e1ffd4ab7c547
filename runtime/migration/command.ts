// `o2a sagas migrate --plan <new> [--dry-run] [--json]`: options in, report out, exit code back.
// Exit codes: 0 every saga in flight moved (or nothing to do), 1 bad input or error, 3 some refused.
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { loadPlans, type StoreFlags } from '../cli-commands.js';
import type { Clock } from '../clock.js';
import { migrate } from '../store/migrate.js';
import { openStore, type Store, type StoreOptions } from '../store/store.js';
import { migrateSagas, type SagaMigrationReport, type StepRowChange } from './migrate-sagas.js';

export const SAGAS_MIGRATE_EXIT = { moved: 0, error: 1, refused: 3 } as const;

export interface SagasMigrateOptions extends StoreFlags {
  /** `--plan <file...>`: the new version, compiled plan JSON or `.o2a` source (a folder: all of its plans). */
  plan: string[];
  /** `--catalog <dir>`: catalog snapshot, to compile `.o2a` plans. */
  catalog?: string;
  /** `--plan-id <id...>`: only these plans (default: the plans of the files named, or every plan of a folder). */
  planId?: string[];
  dryRun?: boolean;
  acceptDangerous?: boolean;
}

export interface SagasMigrateDeps {
  /** An open, migrated store to use instead of opening one from the flags (tests). */
  store?: Store;
  clock?: Clock;
}

export async function sagasMigrateCommand(options: SagasMigrateOptions, out: Writable, deps: SagasMigrateDeps = {}): Promise<number> {
  const write = (text = '') => out.write(`${text}\n`);
  const { plans: targets, problems } = await loadTargets(options);
  if (targets.length === 0) problems.push(options.planId?.length ? `no plan ${options.planId.join(', ')} in ${options.plan.join(', ')}` : 'no plan to migrate to');
  // A plan that does not compile must not be half-applied: any problem stops the command.
  if (problems.length > 0) {
    if (options.json) write(JSON.stringify({ error: problems }, null, 2));
    else for (const p of problems) write(`error: ${p}`);
    return SAGAS_MIGRATE_EXIT.error;
  }
  let store: Store | undefined = deps.store;
  try {
    if (!store) {
      store = await openStore(storeOptionsOf(options));
      await migrate(store);
    }
    const report = await migrateSagas(store, targets, { dryRun: options.dryRun, acceptDangerous: options.acceptDangerous, clock: deps.clock });
    if (options.json) write(JSON.stringify(report, null, 2));
    else for (const line of renderSagaMigration(report)) write(line);
    return report.refused.length > 0 ? SAGAS_MIGRATE_EXIT.refused : SAGAS_MIGRATE_EXIT.moved;
  } catch (error) {
    write(options.json ? JSON.stringify({ error: [(error as Error).message] }) : `error: ${(error as Error).message}`);
    return SAGAS_MIGRATE_EXIT.error;
  } finally {
    if (store && !deps.store) await store.close().catch(() => undefined);
  }
}

function storeOptionsOf(flags: StoreFlags): StoreOptions {
  const databaseUrl = flags.databaseUrl ?? process.env.DATABASE_URL;
  return databaseUrl ? { databaseUrl } : { dataDir: flags.db };
}

/**
 * The plans to move sagas to. Compiling one `.o2a` file compiles its sibling files too (templates,
 * bundled plans), so only the plans of the files named are targets; a folder or a compiled plan
 * JSON names all of its plans. `--plan-id` narrows further.
 */
async function loadTargets(options: SagasMigrateOptions): Promise<{ plans: CompiledPlan[]; problems: string[] }> {
  const plans: CompiledPlan[] = [];
  const problems: string[] = [];
  for (const file of options.plan) {
    const loaded = await loadPlans([file], options.catalog);
    problems.push(...loaded.problems);
    const source = file.endsWith('.o2a') ? resolve(file) : null;
    plans.push(...loaded.plans.filter((p) => source === null || resolve(p.source.file) === source));
  }
  const wanted = options.planId;
  return { plans: wanted?.length ? plans.filter((p) => wanted.includes(p.planId)) : plans, problems };
}

/** Text: per target plan and per version the sagas come from, the changes once, then each saga. */
export function renderSagaMigration(report: SagaMigrationReport): string[] {
  const lines: string[] = [];
  const verb = report.dryRun ? 'would move' : 'moved';
  const short = (hash: string) => hash.slice(0, 12);
  for (const target of report.targets) {
    const moved = report.moved.filter((m) => m.toHash === target.hash);
    const refused = report.refused.filter((r) => r.toHash === target.hash);
    lines.push(`plan ${target.planId} version ${target.planVersion} (${short(target.hash)})`);
    const origins = [...new Set([...moved, ...refused].map((s) => s.fromHash))];
    for (const fromHash of origins) {
      const fromMoved = moved.filter((m) => m.fromHash === fromHash);
      const fromRefused = refused.filter((r) => r.fromHash === fromHash);
      const version = (fromMoved[0] ?? fromRefused[0])?.fromVersion;
      lines.push(`  from version ${version} (${short(fromHash)}):`);
      for (const c of fromMoved[0]?.changes ?? []) lines.push(`    ${c.level.padEnd(9)} ${c.rule}${c.stepId ? ` [${c.stepId}]` : ''}${c.field ? ` ${c.field}` : ''}`);
      for (const m of fromMoved) {
        lines.push(`    ${report.dryRun ? '~' : '✓'} ${verb} saga ${m.sagaId} (order ${m.productOrderId} item ${m.productOrderItemId}, ${m.sagaState})`);
        for (const step of m.steps) lines.push(`        ${describeStepRow(step)}`);
        for (const step of m.advanced?.started ?? []) lines.push(`        > step ${step} started`);
        if (m.advanced && m.advanced.sagaState !== m.sagaState) lines.push(`        saga ${m.sagaState} -> ${m.advanced.sagaState}`);
      }
      for (const r of fromRefused) {
        lines.push(`    ✗ refused saga ${r.sagaId} (order ${r.productOrderId} item ${r.productOrderItemId}, ${r.sagaState}): stays on version ${r.fromVersion}`);
        for (const reason of r.reasons) lines.push(`        ${reason}`);
      }
    }
  }
  const total = report.moved.length + report.refused.length;
  const up = `${report.upToDate} saga${report.upToDate === 1 ? '' : 's'} in flight already on the target version`;
  lines.push(total === 0
    ? `nothing to migrate: ${up}${report.dryRun ? ' (dry run)' : ''}`
    : `${report.moved.length} ${verb}, ${report.refused.length} refused, ${up}${report.dryRun ? ' (dry run: nothing changed)' : ''}`);
  return lines;
}

function describeStepRow(step: StepRowChange): string {
  switch (step.action) {
    case 'added': return `+ step ${step.stepId} (${step.state})`;
    case 'removed': return `- step ${step.stepId} (was ${step.state})`;
    case 'renamed': return `~ step ${step.from} -> ${step.stepId} (${step.state})`;
    case 'redecided': return `~ step ${step.stepId}: ${step.from} -> ${step.state} (rule changed)`;
    case 'rekinded': return `~ step ${step.stepId}: kind or owner changed (${step.state})`;
  }
}
