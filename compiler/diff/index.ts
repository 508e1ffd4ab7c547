// `o2a diff` as a pure function: two sets of compiled plans (and the plans of each side that did
// not compile) in, every change with its rule, level and fingerprint out. Printers live in cli/.
import { canonicalJson, sha256Hex } from '../hash.js';
import type { CompiledPlan } from '../emit/schema.js';
import { matchSteps, type StepMatching } from './match.js';
import { diffRules, type ChangeDraft, type CompileFailure, type DiffRule, type PlanPair } from './rules.js';
import {
  DIFF_REPORT_FORMAT_VERSION,
  approvalsFileSchema,
  levelAtLeast,
  type DiffLevel,
  type DiffReport,
  type PlanChange,
} from './model.js';

export * from './model.js';
export { diffRules, diffRulesById, type DiffRule, type PlanPair, type ChangeDraft } from './rules.js';
export { matchSteps, type StepMatching, type StepPair } from './match.js';
export { formatDuration } from './describe.js';

/** One side of a diff: the plans that compiled, and for each plan that did not, its errors. */
export interface PlanSet {
  plans: readonly CompiledPlan[];
  failures?: ReadonlyMap<string, CompileFailure>;
}

export interface DiffOptions {
  failOn?: DiffLevel;
  /** Approved fingerprints and their notes. */
  approvals?: ReadonlyMap<string, string>;
  previousLabel?: string;
  currentLabel?: string;
  /** Rules to run; every rule by default. */
  rules?: readonly DiffRule[];
}

const noSteps: StepMatching = { pairs: [], added: [], removed: [], previousToCurrent: new Map() };

export function changeFingerprint(change: Pick<PlanChange, 'rule' | 'planId' | 'stepId' | 'field' | 'old' | 'new'>): string {
  return sha256Hex(canonicalJson([change.rule, change.planId, change.stepId, change.field, change.old, change.new]));
}

export function diffPlanSets(previous: PlanSet, current: PlanSet, options: DiffOptions = {}): DiffReport {
  const rules = options.rules ?? diffRules;
  const failOn = options.failOn ?? 'breaking';
  const previousPlans = new Map(previous.plans.map((p) => [p.planId, p]));
  const currentPlans = new Map(current.plans.map((p) => [p.planId, p]));
  const previousFailures = previous.failures ?? new Map<string, CompileFailure>();
  const currentFailures = current.failures ?? new Map<string, CompileFailure>();
  const planIds = [...new Set([...previousPlans.keys(), ...currentPlans.keys(), ...previousFailures.keys(), ...currentFailures.keys()])].sort();

  const changes: PlanChange[] = [];
  for (const planId of planIds) {
    const p = previousPlans.get(planId);
    const c = currentPlans.get(planId);
    const pair: PlanPair = {
      planId,
      previous: p,
      current: c,
      previousFailure: p === undefined ? previousFailures.get(planId) : undefined,
      currentFailure: c === undefined ? currentFailures.get(planId) : undefined,
      steps: p?.kind === 'plan' && c?.kind === 'plan' ? matchSteps(p.steps, c.steps) : noSteps,
      currentPlans,
    };
    const found: { rule: DiffRule; ruleIndex: number; draft: ChangeDraft }[] = [];
    rules.forEach((rule, ruleIndex) => {
      for (const d of rule.check(pair)) found.push({ rule, ruleIndex, draft: d });
    });
    const stepOrder = stepOrderOf(pair);
    const firstStepRule = rules.findIndex((r) => r.id === 'step-added');
    const group = (f: (typeof found)[number]) => (f.draft.stepId !== null ? 1 : f.ruleIndex < firstStepRule ? 0 : 2);
    found.sort(
      (a, b) =>
        group(a) - group(b) ||
        (stepOrder.get(a.draft.stepId ?? '') ?? 0) - (stepOrder.get(b.draft.stepId ?? '') ?? 0) ||
        a.ruleIndex - b.ruleIndex,
    );
    for (const { rule, draft } of found) {
      const base = { rule: rule.id, planId, stepId: draft.stepId, field: draft.field, old: draft.old, new: draft.new };
      const fingerprint = changeFingerprint(base);
      const note = options.approvals?.get(fingerprint);
      changes.push({ ...base, level: rule.level, reason: draft.reason, fingerprint, approved: note !== undefined, approvalNote: note ?? null });
    }
  }

  const count = (level: DiffLevel) => changes.filter((c) => c.level === level).length;
  const counted = changes.filter((c) => !c.approved);
  const exitCode = counted.some((c) => levelAtLeast(c.level, failOn)) ? 3 : changes.length > 0 ? 2 : 0;
  return {
    formatVersion: DIFF_REPORT_FORMAT_VERSION,
    previous: options.previousLabel ?? 'previous',
    current: options.currentLabel ?? 'current',
    failOn,
    exitCode,
    summary: { breaking: count('breaking'), dangerous: count('dangerous'), safe: count('safe'), approved: changes.length - counted.length },
    changes,
  };
}

/** Current steps in plan order, then removed steps in their previous order. */
function stepOrderOf(pair: PlanPair): Map<string, number> {
  const order = new Map<string, number>();
  if (pair.current?.kind === 'plan') pair.current.steps.forEach((s, i) => order.set(s.id, i));
  if (pair.previous?.kind === 'plan') {
    for (const s of pair.previous.steps) if (!order.has(s.id)) order.set(s.id, order.size);
  }
  return order;
}

export type ApprovalsResult = { ok: true; approvals: Map<string, string> } | { ok: false; error: string };

/** Reads the text of an approvals file (`.o2a-approved.json`). */
export function parseApprovals(text: string): ApprovalsResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = approvalsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `${issue?.path.join('.') || '/'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, approvals: new Map(parsed.data.approvals.map((a) => [a.fingerprint, a.note])) };
}
