// Runs every check over every plan and bundle of the bound model. Checks are independent pure
// functions; an error in one plan never stops the checks of another.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { CatalogSnapshot } from '../catalog/schema.js';
import type { BoundModel, BoundPlan, BoundStep } from '../resolve/model.js';
import type { StepDecl } from '../syntax/ast.js';
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
import { bundleActionsValid, planActionsValid, planFulfilledOnce } from './policies/actions.js';
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

/**
 * Plan checks that read other declarations of the model (which plan fulfils the same action of
 * the same offering): run on every check of the model, never reused with a plan's own checks.
 */
export const modelPlanChecks: readonly PlanCheck[] = [planFulfilledOnce];

/**
 * Plan checks whose findings about a step depend on that step alone (its bound fields, the
 * plan's file, name and offering, the catalog, and the step's own text): run on a plan of that
 * one step, they give exactly that step's part of their findings. The language server keeps
 * each step's part and checks again only the steps that changed (`stepParts`).
 */
const stepLocalChecks: readonly PlanCheck[] = [
  compensationDeclared, compensationOffered, activationTimeoutReconciles, reconcileOnlyOnActivation, outcomesReported,
  retryIdempotent, workEvidenceDeclared, modifyOrderWithoutFieldWork, ruleValueTypes,
];

/**
 * Steps for which a step-local check is not local: a rule inherited from a template is one
 * expression for every step that uses the template, reported once (the check remembers the
 * expressions it saw). Those steps are checked together, every time, after the others' parts
 * (the compiler sorts its findings by place, and theirs are in the template, apart).
 */
const notLocal: ReadonlyMap<PlanCheck, (step: BoundStep) => boolean> = new Map([
  [ruleValueTypes, (step: BoundStep) => step.rule !== undefined && step.rule.source !== 'step'],
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

/**
 * What the checks of a plan gave last time (by its name's node, as the graph), reused while
 * nothing they read changed: the same catalog, the same text of the plan's file (so every node of
 * the plan is where it was), the same plan fields and the same bound steps (binding reuses a
 * step's object, or copies it from the same objects, while nothing the step depends on changed).
 * The language server checks a unit on every keystroke: the plans of the files not being edited
 * are not checked again. Plan checks read their plan, its steps and the templates these name, the
 * catalog and the file's text, not the rest of the model (a check that reads other declarations
 * goes in `modelPlanChecks`, run every time).
 */
interface PlanCheckRun {
  catalog: CatalogSnapshot;
  text: string | undefined;
  plan: BoundPlan;
  diagnostics: Diagnostic[];
}

const lastChecks = new WeakMap<object, PlanCheckRun>();

/** Plans checked, and plans whose last checks were reused (the language server's `o2a/stats`). */
export const planCheckCounts = { checked: 0, reused: 0 };

/** Every field the same value (the same object): new fields of a plan or a step are compared too. */
function sameFields(a: object, b: object, skip?: string, skip2?: string): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (k === skip || k === skip2) continue;
    if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k] || !Object.hasOwn(b, k)) return false;
  }
  return true;
}

/** The same plan as far as its checks can tell (`stepByName` follows from the steps). */
function samePlan(a: BoundPlan, b: BoundPlan): boolean {
  if (a === b) return true;
  if (!sameFields({ ...a, steps: undefined }, { ...b, steps: undefined }, 'stepByName')) return false;
  if (a.steps.length !== b.steps.length) return false;
  for (let i = 0; i < a.steps.length; i++) {
    const x = a.steps[i]!;
    const y = b.steps[i]!;
    if (x !== y && !sameFields(x, y)) return false;
  }
  return true;
}

function runPlanChecks(
  plan: BoundPlan, catalog: CatalogSnapshot, model: BoundModel, graph: PlanGraph, sourceText: (file: string) => string | undefined,
  parts?: ReadonlyMap<PlanCheck, Diagnostic[]>,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const cyclic = graph.hasCycle();
  const partial = graph.hasUnknownDependency();
  for (const check of planChecks) {
    if (cyclic && stepOrderChecks.has(check)) continue;
    if (partial && wholeOrderChecks.has(check)) continue;
    const part = parts?.get(check);
    if (part !== undefined) {
      for (const d of part) diagnostics.push(d);
      continue;
    }
    diagnostics.push(...check({ plan, catalog, model, graph, sourceText }));
  }
  return diagnostics;
}

/**
 * What the step-local checks found about one step (by its AST node, which an incremental
 * re-parse keeps and moves in place), reused while the step is bound to the same values (its
 * index and `after` list aside, which these checks do not read) in a plan of the same file, name
 * and offering, against the same catalog. Their findings hold the step's own ranges, which move
 * with it; a check that read the text (a fix placed from it, e.g. before a step's `}`) pins the
 * findings to where the step was: they are reused only while it has not moved.
 */
interface StepCheckRun {
  catalog: CatalogSnapshot;
  file: string;
  planName: string;
  offering: BoundPlan['offering'];
  step: BoundStep;
  /** By check, in `stepLocalChecks` order; undefined when no check found anything. */
  found: Diagnostic[][] | undefined;
  /** Where the step started when a check read the text. */
  pinned?: { line: number; character: number; offset: number };
}

const lastStepChecks = new WeakMap<StepDecl, StepCheckRun>();

/** Steps checked, and steps whose step-local findings were reused (tests, `o2a/stats`). */
export const stepCheckCounts = { checked: 0, reused: 0 };

/** Each step-local check's findings over the whole plan (in step order), from each step's kept part. */
function stepParts(plan: BoundPlan, catalog: CatalogSnapshot, model: BoundModel, graph: PlanGraph, sourceText: (file: string) => string | undefined): Map<PlanCheck, Diagnostic[]> {
  const lists: Diagnostic[][] = stepLocalChecks.map(() => []);
  for (const step of plan.steps) {
    const decl = step.decl;
    let run = lastStepChecks.get(decl);
    const start = decl.range.start;
    if (
      run === undefined || run.catalog !== catalog || run.file !== plan.file || run.planName !== plan.name || run.offering !== plan.offering
      || (run.step !== step && !sameFields(run.step, step, 'index', 'dependsOn'))
      || (run.pinned !== undefined && (run.pinned.offset !== start.offset || run.pinned.line !== start.line || run.pinned.character !== start.character))
    ) {
      stepCheckCounts.checked++;
      let read = false;
      const text = (file: string): string | undefined => {
        read = true;
        return sourceText(file);
      };
      const one: BoundPlan = { ...plan, steps: [step], stepByName: new Map([[step.name, step]]) };
      let found: Diagnostic[][] | undefined;
      stepLocalChecks.forEach((check, i) => {
        if (notLocal.get(check)?.(step) === true) return;
        const got = check({ plan: one, catalog, model, graph, sourceText: text });
        if (got.length === 0) return;
        found ??= stepLocalChecks.map(() => []);
        found[i] = got;
      });
      run = { catalog, file: plan.file, planName: plan.name, offering: plan.offering, step, found };
      if (read) run.pinned = { line: start.line, character: start.character, offset: start.offset };
      lastStepChecks.set(decl, run);
    } else {
      stepCheckCounts.reused++;
      run.step = step;
    }
    if (run.found !== undefined) run.found.forEach((list, i) => {
      for (const d of list) lists[i]!.push(d);
    });
  }
  for (const [check, applies] of notLocal) {
    const steps = plan.steps.filter(applies);
    if (steps.length === 0) continue;
    const rest: BoundPlan = { ...plan, steps, stepByName: new Map(steps.map((s) => [s.name, s])) };
    for (const d of check({ plan: rest, catalog, model, graph, sourceText })) lists[stepLocalChecks.indexOf(check)]!.push(d);
  }
  return new Map(stepLocalChecks.map((check, i) => [check, lists[i]!]));
}

export function checkModel(model: BoundModel, sourceText: (file: string) => string | undefined, options: { reuse?: boolean } = {}): CheckResult {
  const diagnostics: Diagnostic[] = [];
  const graphs = new Map<string, PlanGraph>();
  const catalog = model.catalog;
  for (const plan of model.plans.values()) {
    const graph = options.reuse === true ? graphOf(plan) : new PlanGraph(plan);
    graphs.set(plan.name, graph);
    if (catalog === undefined) continue;
    for (const check of modelPlanChecks) diagnostics.push(...check({ plan, catalog, model, graph, sourceText }));
    if (options.reuse !== true) {
      diagnostics.push(...runPlanChecks(plan, catalog, model, graph, sourceText));
      continue;
    }
    const text = sourceText(plan.file);
    const last = lastChecks.get(plan.decl.name);
    if (last !== undefined && last.catalog === catalog && last.text === text && samePlan(last.plan, plan)) {
      planCheckCounts.reused++;
      diagnostics.push(...last.diagnostics);
      continue;
    }
    planCheckCounts.checked++;
    const found = runPlanChecks(plan, catalog, model, graph, sourceText, stepParts(plan, catalog, model, graph, sourceText));
    lastChecks.set(plan.decl.name, { catalog, text, plan, diagnostics: found });
    diagnostics.push(...found);
  }
  if (catalog !== undefined) {
    for (const bundle of model.bundles.values()) {
      for (const check of bundleChecks) diagnostics.push(...check({ bundle, catalog, model, sourceText }));
    }
  }
  return { diagnostics, graphs };
}
