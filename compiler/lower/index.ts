// Lowers a checked plan (or bundle) to the compiled plan of emit/schema.ts, without its hash.
import type { CatalogSnapshot } from '../catalog/schema.js';
import { fulfilledActions } from '../resolve/actions.js';
import { sha256Hex } from '../hash.js';
import type {
  AmendmentRule, BillingPolicy, CancellationRule, CompiledBundle, CompiledSinglePlan, CompiledStep, OutcomeAction,
} from '../emit/schema.js';
import { COMPILED_PLAN_FORMAT_VERSION } from '../emit/schema.js';
import type { BillingPolicy as AstBillingPolicy, StatusEntry } from '../syntax/ast.js';
import type { BoundBundle, BoundPlan, BoundStep } from '../resolve/model.js';
import { compileOutcomeAction } from '../resolve/policies.js';
import type { PlanGraph } from '../check/graph.js';
import { lowerExpr } from './expr.js';

export type UnhashedPlan = Omit<CompiledSinglePlan, 'hash'>;
export type UnhashedBundle = Omit<CompiledBundle, 'hash'>;

function lowerBilling(billing: AstBillingPolicy | undefined): BillingPolicy | null {
  if (billing === undefined) return null;
  const from = billing.scheduledFrom?.path[billing.scheduledFrom.path.length - 1]?.name;
  return {
    trigger: billing.trigger,
    scheduledFrom: billing.trigger === 'scheduled_date' && from !== undefined ? from : null,
    blocksCompletion: billing.gating !== 'revenue_assurance',
  };
}

function lowerStatus(entries: StatusEntry[]): { step: string | null; state: string; text: string }[] {
  return entries.map((e) => ({ step: e.step?.name ?? null, state: e.state.name, text: e.text.value }));
}

/** What a compiled plan and a compiled bundle both carry, in their field order. */
function header(decl: BoundPlan | BoundBundle, offering: { id: string; name: string }, sourceText: string, catalog: CatalogSnapshot) {
  return {
    formatVersion: COMPILED_PLAN_FORMAT_VERSION as typeof COMPILED_PLAN_FORMAT_VERSION,
    planId: decl.name,
    planVersion: decl.version,
    offeringId: offering.id,
    offeringName: offering.name,
    actions: fulfilledActions(decl.decl, decl.offering),
    source: { file: decl.file, sha256: sha256Hex(sourceText) },
    catalog: { id: catalog.data.catalogId, version: catalog.data.version, sha256: catalog.sha256 },
    billing: lowerBilling(decl.billing),
    completion: { mode: decl.completion?.mode ?? 'all' },
    statusMapping: lowerStatus(decl.status),
  };
}

function lowerStep(step: BoundStep): CompiledStep | undefined {
  const kind = step.kind;
  const compensation = step.policies.compensation;
  if (kind === undefined || compensation === undefined) return undefined;
  const outcomes: Record<string, OutcomeAction> = {};
  for (const name of [...step.outcomes.keys()].sort()) outcomes[name] = compileOutcomeAction(step.outcomes.get(name)!.value.action);
  let condition: CompiledStep['condition'] = null;
  if (step.rule !== undefined) {
    const expr = lowerExpr(step.rule.value.condition);
    if (expr === undefined) return undefined;
    condition = { mode: step.rule.value.mode, expr };
  }
  const ref = step.catalogRef?.value;
  return {
    id: step.name,
    kind: kind.id,
    owner: step.policies.owner.value,
    command: kind.command,
    succeededEvent: kind.succeededEvent,
    failedEvent: kind.failedEvent,
    dependsOn: step.dependsOn.map((d) => d.name),
    ref: ref !== undefined ? { type: ref.key, id: ref.ref.name } : null,
    sideEffecting: kind.sideEffecting,
    idempotentAdapter: kind.idempotent,
    timeout: { ms: Math.max(1, Math.round(step.policies.timeoutMs.value)), on: step.policies.onTimeout.value },
    retry: step.policies.retry.value,
    compensation: compensation.value,
    evidence: (step.evidence?.value ?? []).map((i) => i.name),
    outcomes,
    condition,
    template: step.template?.name ?? null,
  };
}

/** Undefined if the plan cannot be lowered (an unresolved part); callers lower only error-free plans. */
export function lowerPlan(plan: BoundPlan, graph: PlanGraph, catalog: CatalogSnapshot, sourceText: string): UnhashedPlan | undefined {
  const order = graph.topologicalOrder();
  if (order === undefined || plan.offering === undefined) return undefined;
  const steps: CompiledStep[] = [];
  for (const step of order) {
    const lowered = lowerStep(step);
    if (lowered === undefined) return undefined;
    steps.push(lowered);
  }
  const cancellation: CancellationRule[] = plan.cancel.map((r) => ({
    phase: r.phase, step: r.step.name, action: r.action, requiresApproval: r.requiresApproval, message: r.message?.value ?? null,
  }));
  const amendments: AmendmentRule[] = plan.amendments.map((a) => ({
    name: a.name.name,
    replan: a.replan.map((r) => r.name),
    until: a.until?.name ?? null,
    rejectAfter: a.afterReject !== undefined ? { step: a.afterReject.step.name, message: a.afterReject.message?.value ?? null } : null,
  }));
  return {
    kind: 'plan',
    ...header(plan, plan.offering, sourceText, catalog),
    steps,
    cancellation,
    amendments,
  };
}

export function lowerBundle(bundle: BoundBundle, planHashes: ReadonlyMap<string, string>, catalog: CatalogSnapshot, sourceText: string): UnhashedBundle | undefined {
  if (bundle.offering === undefined) return undefined;
  const items: CompiledBundle['items'] = [];
  for (const item of bundle.items) {
    const hash = item.plan !== undefined ? planHashes.get(item.plan.name) : undefined;
    if (hash === undefined) return undefined;
    items.push({ name: item.name, planId: item.plan!.name, planHash: hash, optional: item.optional });
  }
  return {
    kind: 'bundle',
    ...header(bundle, bundle.offering, sourceText, catalog),
    items,
  };
}
