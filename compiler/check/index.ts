// Runs every check over every plan and bundle of the bound model. Checks are independent pure
// functions; an error in one plan never stops the checks of another.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { BoundModel, BoundPlan } from '../resolve/model.js';
import type { BundleCheck, PlanCheck } from './context.js';
import { PlanGraph } from './graph.js';
import { dependencyCycles } from './graph/cycles.js';
import { redundantDependencies } from './graph/redundant-dependency.js';
import { billingAfterVerification } from './graph/billing-order.js';
import { notificationAfterVerification } from './graph/notification-order.js';
import { mandatoryServicesProduced } from './graph/mandatory-services.js';
import { requiredResourcesReserved } from './graph/resource-reservations.js';
import { activationVerified } from './graph/activation-verified.js';
import { planHasSteps } from './graph/empty-plan.js';
import { compensationDeclared, compensationOffered } from './policies/compensation.js';
import { activationTimeoutReconciles, reconcileOnlyOnActivation } from './policies/activation-timeout.js';
import { outcomesReported } from './policies/outcomes.js';
import { retryBackoffBounds, retryIdempotent } from './policies/retry.js';
import { billingPolicyComplete, billingPolicyDeclared, bundleBillingPolicyComplete } from './policies/billing-policy.js';
import { partialCompletionOnlyInBundles } from './policies/completion.js';
import { ruleValueTypes } from './policies/rule-types.js';
import { cancelCompensatesSomething, cancelRulesConsistent } from './policies/cancel.js';
import { amendWindowBeforeReplan } from './policies/amend.js';
import { bundleStatusMappingValid, statusMappingValid } from './policies/status.js';
import { workEvidenceDeclared } from './policies/evidence.js';
import { modifyOrderWithoutFieldWork } from './policies/modify-order.js';
import { bundleActionsValid, planActionsValid } from './policies/actions.js';
import { bundleHasItems, bundleItemsMatchOffering, bundleOfferingIsBundle } from './bundles/bundle-offering.js';

export { PlanGraph } from './graph.js';
export type { PlanCheck, BundleCheck, PlanCheckContext, BundleCheckContext } from './context.js';

export const planChecks: readonly PlanCheck[] = [
  planHasSteps, dependencyCycles, redundantDependencies, billingAfterVerification, notificationAfterVerification,
  mandatoryServicesProduced, requiredResourcesReserved, activationVerified,
  compensationDeclared, compensationOffered, activationTimeoutReconciles, reconcileOnlyOnActivation, outcomesReported,
  retryIdempotent, retryBackoffBounds, billingPolicyDeclared, billingPolicyComplete, partialCompletionOnlyInBundles,
  ruleValueTypes, cancelCompensatesSomething, cancelRulesConsistent, amendWindowBeforeReplan, statusMappingValid,
  workEvidenceDeclared, modifyOrderWithoutFieldWork, planActionsValid,
];

/**
 * Checks that read the step order (what runs before or after what): on a plan with a dependency
 * cycle that order means nothing, so they do not run there; the cycle (O2A3001) is the error.
 */
const stepOrderChecks: ReadonlySet<PlanCheck> = new Set([
  redundantDependencies, billingAfterVerification, notificationAfterVerification, activationVerified,
  cancelCompensatesSomething, amendWindowBeforeReplan,
]);

/**
 * Checks that conclude from a missing path (no verification before billing, nothing to compensate
 * yet): they do not run while a step's `after` names an unknown step, whose edge is missing; the
 * unknown name (O2A2020) is the error.
 */
const wholeOrderChecks: ReadonlySet<PlanCheck> = new Set([
  billingAfterVerification, notificationAfterVerification, activationVerified, cancelCompensatesSomething,
]);

export const bundleChecks: readonly BundleCheck[] = [
  bundleHasItems, bundleOfferingIsBundle, bundleItemsMatchOffering, bundleBillingPolicyComplete, bundleStatusMappingValid,
  bundleActionsValid,
];

export interface CheckResult {
  diagnostics: Diagnostic[];
  /** Each plan's graph, for lowering (topological order). */
  graphs: Map<string, PlanGraph>;
}

/**
 * The last graph of each plan (keyed by its name's node, which an incremental re-parse keeps):
 * reused while every step has the same name and the same `dependsOn` list (the resolver reuses a
 * step's list while nothing it depends on changed).
 */
const lastGraphs = new WeakMap<object, PlanGraph>();

function graphOf(plan: BoundPlan): PlanGraph {
  const last = lastGraphs.get(plan.decl.name);
  if (last !== undefined && last.sameEdges(plan)) {
    last.moveTo(plan);
    return last;
  }
  const graph = new PlanGraph(plan);
  lastGraphs.set(plan.decl.name, graph);
  return graph;
}

export function checkModel(model: BoundModel, sourceText: (file: string) => string | undefined, options: { reuse?: boolean } = {}): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const graphs = new Map<string, PlanGraph>();
  const catalog = model.catalog;
  for (const plan of model.plans.values()) {
    const graph = options.reuse === true ? graphOf(plan) : new PlanGraph(plan);
    graphs.set(plan.name, graph);
    if (catalog === undefined) continue;
    const cyclic = graph.hasCycle();
    const partial = graph.hasUnknownDependency();
    for (const check of planChecks) {
      if (cyclic && stepOrderChecks.has(check)) continue;
      if (partial && wholeOrderChecks.has(check)) continue;
      diagnostics.push(...check({ plan, catalog, model, graph, sourceText }));
    }
  }
  if (catalog !== undefined) {
    for (const bundle of model.bundles.values()) {
      for (const check of bundleChecks) diagnostics.push(...check({ bundle, catalog, model, sourceText }));
    }
  }
  return { diagnostics, graphs };
}
