// Whether a saga in flight may move from the plan version it started with to a new one, given
// how far it has come: for `o2a sagas migrate`. Pure: the runtime supplies each step's state.
// A move is allowed when every change is safe, or touches only steps the saga has not started.
import type { CompiledPlan } from '../emit/schema.js';
import { diffPlanSets } from './index.js';
import type { PlanChange } from './model.js';

/** A step's progress, as the runtime's saga step state machine names it. */
export type StepProgress = string;

const notRun = new Set(['NOT_STARTED', 'SKIPPED']);

export interface MigrationRefusal {
  change: PlanChange;
  /** Why this saga cannot take this change, e.g. `step router has run (SUCCEEDED)`. */
  reason: string;
}

export interface MigrationVerdict {
  allowed: boolean;
  /** Every change between the two versions. */
  changes: PlanChange[];
  refusals: MigrationRefusal[];
}

export interface MigrationOptions {
  /** Also move sagas across dangerous plan-level changes (billing, completion, status, cancellation). */
  acceptDangerous?: boolean;
}

export function migrationVerdict(
  from: CompiledPlan,
  to: CompiledPlan,
  progress: ReadonlyMap<string, StepProgress>,
  options: MigrationOptions = {},
): MigrationVerdict {
  const report = diffPlanSets({ plans: [from] }, { plans: [to] });
  const started = (stepId: string) => {
    const state = progress.get(stepId);
    return state !== undefined && !notRun.has(state);
  };
  // Changes name current step ids; the saga's progress is recorded under the previous ids.
  const previousIdOf = new Map<string, string>();
  for (const c of report.changes) if (c.rule === 'step-renamed' && typeof c.old === 'string' && c.stepId !== null) previousIdOf.set(c.stepId, c.old);
  const hasRun = (stepId: string) => started(previousIdOf.get(stepId) ?? stepId);
  const refusals: MigrationRefusal[] = [];
  for (const change of report.changes) {
    const refuse = (reason: string) => refusals.push({ change, reason });
    if (change.stepId === null) {
      if (change.level === 'breaking') refuse(`${change.rule}: ${change.reason}`);
      else if (change.level === 'dangerous' && !options.acceptDangerous) refuse(`${change.rule} changes the whole order (${change.field ?? 'plan'}); pass acceptDangerous to move anyway`);
      continue;
    }
    if (change.rule === 'dependency-added' && typeof change.new === 'string') {
      if (hasRun(change.stepId) && !hasRun(change.new)) refuse(`step ${change.stepId} has run (${progress.get(previousIdOf.get(change.stepId) ?? change.stepId)}) before its new dependency ${change.new}`);
      continue;
    }
    if (change.level === 'safe' || change.rule === 'step-added') continue;
    if (hasRun(change.stepId)) {
      refuse(`step ${previousIdOf.get(change.stepId) ?? change.stepId} has run (${progress.get(previousIdOf.get(change.stepId) ?? change.stepId)}): ${change.rule}`);
    }
  }
  return { allowed: refusals.length === 0, changes: report.changes, refusals };
}
