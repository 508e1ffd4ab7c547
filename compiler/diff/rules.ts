// The diff rules as data: an id, a level and a purpose each, with a pure handler over the two
// versions of one plan. Levels speak for sagas in flight (breaking: unsafe for a saga started
// under the previous version), for customers and revenue (dangerous), or for nobody (safe).
import { canonicalJson } from '../hash.js';
import type {
  AmendmentRule,
  CancellationRule,
  CompiledBundle,
  CompiledPlan,
  CompiledSinglePlan,
  CompiledStep,
} from '../emit/schema.js';
import { actionsOf } from '../emit/schema.js';
import type { DiffLevel } from './model.js';
import type { StepMatching, StepPair } from './match.js';
import {
  describeAction,
  describeAmendment,
  describeBillingGating,
  describeBillingTrigger,
  describeCancelAction,
  describeCompensation,
  describeCondition,
  describeRef,
  formatDuration,
} from './describe.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One side of a plan that failed to compile: its error messages. */
export type CompileFailure = readonly string[];

/** Everything a rule sees about one plan id: both versions, the step pairing, and the rest of each set. */
export interface PlanPair {
  planId: string;
  previous: CompiledPlan | undefined;
  current: CompiledPlan | undefined;
  previousFailure: CompileFailure | undefined;
  currentFailure: CompileFailure | undefined;
  /** Step pairing; empty unless both versions are single plans. */
  steps: StepMatching;
  currentPlans: ReadonlyMap<string, CompiledPlan>;
}

export interface ChangeDraft {
  stepId: string | null;
  field: string | null;
  old: JsonValue;
  new: JsonValue;
  reason: string;
}

export interface DiffRule {
  id: string;
  level: DiffLevel;
  purpose: string;
  check: (pair: PlanPair) => ChangeDraft[];
}

const draft = (stepId: string | null, field: string | null, old: JsonValue, now: JsonValue, reason: string): ChangeDraft => ({
  stepId,
  field,
  old,
  new: now,
  reason,
});

function singles(pair: PlanPair): [CompiledSinglePlan, CompiledSinglePlan] | undefined {
  return pair.previous?.kind === 'plan' && pair.current?.kind === 'plan' ? [pair.previous, pair.current] : undefined;
}

function bundles(pair: PlanPair): [CompiledBundle, CompiledBundle] | undefined {
  return pair.previous?.kind === 'bundle' && pair.current?.kind === 'bundle' ? [pair.previous, pair.current] : undefined;
}

function both(pair: PlanPair): [CompiledPlan, CompiledPlan] | undefined {
  return pair.previous !== undefined && pair.current !== undefined ? [pair.previous, pair.current] : undefined;
}

/** A rule over each pair of matched steps. */
function stepRule(
  id: string,
  level: DiffLevel,
  purpose: string,
  compare: (p: CompiledStep, c: CompiledStep, pair: StepPair, plans: PlanPair) => ChangeDraft[],
): DiffRule {
  return { id, level, purpose, check: (plans) => plans.steps.pairs.flatMap((pair) => compare(pair.previous, pair.current, pair, plans)) };
}

function referencingBundles(planId: string, plans: ReadonlyMap<string, CompiledPlan>): string[] {
  return [...plans.values()]
    .filter((p): p is CompiledBundle => p.kind === 'bundle' && p.items.some((i) => i.planId === planId))
    .map((b) => b.planId)
    .sort();
}

function summarizeErrors(errors: CompileFailure): string {
  const first = errors[0] ?? 'it does not compile';
  return errors.length > 1 ? `${first} (and ${errors.length - 1} more)` : first;
}

/**
 * The plan without what identifies a build (hash, source, catalog, version, template provenance)
 * and without the order its steps are written in: the steps run by their dependencies, so two
 * plans that differ only in that order behave the same.
 */
function behaviour(plan: CompiledPlan): string {
  const { hash: _h, source: _s, catalog: _c, planVersion: _v, ...rest } = plan;
  if (rest.kind === 'bundle') return canonicalJson({ ...rest, items: rest.items.map(({ planHash: _p, ...item }) => item) });
  const steps = rest.steps.map(({ template: _t, ...step }) => step).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return canonicalJson({ ...rest, steps });
}

// Cancellation strictness: stop < compensate < compensate with approval < reject.
function strictness(rule: CancellationRule | undefined): number {
  if (rule === undefined) return 0;
  switch (rule.action) {
    case 'stop':
      return 1;
    case 'compensate':
      return rule.requiresApproval ? 3 : 2;
    case 'reject':
      return 4;
  }
}

type Keyed<T> = Map<string, T>;

function cancellationByKey(plan: CompiledSinglePlan, rename: (id: string) => string): Keyed<CancellationRule> {
  return new Map(plan.cancellation.map((r) => [`cancel ${r.phase} ${rename(r.step)}`, { ...r, step: rename(r.step) }]));
}

function statusByKey(plan: CompiledPlan, rename: (id: string) => string): Keyed<string> {
  return new Map(plan.statusMapping.map((e) => [`status ${e.step === null ? '' : `${rename(e.step)} `}${e.state}`, e.text]));
}

function amendmentsByName(plan: CompiledSinglePlan, rename: (id: string) => string): Keyed<AmendmentRule> {
  return new Map(
    plan.amendments.map((a) => [
      a.name,
      {
        ...a,
        replan: a.replan.map(rename),
        until: a.until === null ? null : rename(a.until),
        rejectAfter: a.rejectAfter === null ? null : { ...a.rejectAfter, step: rename(a.rejectAfter.step) },
      },
    ]),
  );
}

function renamer(pair: PlanPair): (id: string) => string {
  return (id) => pair.steps.previousToCurrent.get(id) ?? id;
}

function union<T>(a: ReadonlyMap<string, T>, b: ReadonlyMap<string, T>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].sort();
}

export const diffRules: readonly DiffRule[] = [
  // ── Plans ────────────────────────────────────────────────────────────────────────────────
  {
    id: 'plan-added',
    level: 'safe',
    purpose: 'A new plan: no saga runs under it yet.',
    check: (pair) =>
      pair.previous === undefined && pair.previousFailure === undefined && pair.current !== undefined
        ? [draft(null, null, null, `${pair.current.kind} for offering ${pair.current.offeringId}`, 'no saga runs under it yet; new orders for its offering take it')]
        : [],
  },
  {
    id: 'plan-removed',
    level: 'dangerous',
    purpose: 'A plan is gone and no bundle of the current version uses it.',
    check: (pair) =>
      pair.previous !== undefined && pair.current === undefined && pair.currentFailure === undefined && referencingBundles(pair.planId, pair.currentPlans).length === 0
        ? [draft(null, null, `${pair.previous.kind} for offering ${pair.previous.offeringId}`, null, `sagas in flight keep their pinned version, but new orders for ${pair.previous.offeringId} have no plan`)]
        : [],
  },
  {
    id: 'plan-removed-still-referenced',
    level: 'breaking',
    purpose: 'A plan is gone while a bundle of the current version still names it.',
    check: (pair) => {
      if (pair.previous === undefined || pair.current !== undefined || pair.currentFailure !== undefined) return [];
      const users = referencingBundles(pair.planId, pair.currentPlans);
      return users.length === 0
        ? []
        : [draft(null, null, `${pair.previous.kind} for offering ${pair.previous.offeringId}`, null, `bundle ${users.join(', ')} still has an item for it: its orders cannot be decomposed`)];
    },
  },
  {
    id: 'plan-no-longer-compiles',
    level: 'breaking',
    purpose: 'A plan that compiled before does not compile any more.',
    check: (pair) =>
      pair.previous !== undefined && pair.currentFailure !== undefined
        ? [draft(null, null, null, [...pair.currentFailure], `no new order can run it: ${summarizeErrors(pair.currentFailure)}`)]
        : [],
  },
  {
    id: 'plan-compiles-now',
    level: 'safe',
    purpose: 'A plan that did not compile before compiles now.',
    check: (pair) =>
      pair.previousFailure !== undefined && pair.current !== undefined
        ? [draft(null, null, [...pair.previousFailure], null, `it failed before (${summarizeErrors(pair.previousFailure)}), so no saga runs under the previous version`)]
        : [],
  },
  {
    id: 'plan-kind-changed',
    level: 'breaking',
    purpose: 'A plan became a bundle or a bundle a plan.',
    check: (pair) => {
      const b = both(pair);
      return b && b[0].kind !== b[1].kind
        ? [draft(null, 'kind', b[0].kind, b[1].kind, 'sagas in flight track steps, bundles track items: one cannot continue as the other')]
        : [];
    },
  },
  {
    id: 'offering-changed',
    level: 'dangerous',
    purpose: 'The plan now decomposes a different product offering.',
    check: (pair) => {
      const b = both(pair);
      return b && b[0].offeringId !== b[1].offeringId
        ? [draft(null, 'offeringId', b[0].offeringId, b[1].offeringId, `orders for ${b[0].offeringId} no longer reach this plan`)]
        : [];
    },
  },
  {
    id: 'action-added',
    level: 'safe',
    purpose: 'The plan now fulfils another TMF622 item action of its offering.',
    check: (pair) => {
      const b = both(pair);
      if (!b || b[0].offeringId !== b[1].offeringId) return [];
      const [before, after] = [actionsOf(b[0]), actionsOf(b[1])];
      const added = after.filter((a) => !before.includes(a));
      return added.length > 0
        ? [draft(null, 'actions', before, after, `new order items to ${added.join(', ')} ${b[1].offeringId} reach this plan`)]
        : [];
    },
  },
  {
    id: 'action-removed',
    level: 'dangerous',
    purpose: 'The plan no longer fulfils an item action it fulfilled.',
    check: (pair) => {
      const b = both(pair);
      if (!b || b[0].offeringId !== b[1].offeringId) return [];
      const [before, after] = [actionsOf(b[0]), actionsOf(b[1])];
      const removed = before.filter((a) => !after.includes(a));
      return removed.length > 0
        ? [draft(null, 'actions', before, after, `sagas in flight keep their pinned version, but new order items to ${removed.join(', ')} ${b[0].offeringId} no longer reach this plan`)]
        : [];
    },
  },
  {
    id: 'plan-version-changed',
    level: 'safe',
    purpose: 'The declared plan version changed.',
    check: (pair) => {
      const b = both(pair);
      return b && b[0].planVersion !== b[1].planVersion
        ? [draft(null, 'planVersion', b[0].planVersion, b[1].planVersion, 'a label for people; sagas are pinned by plan hash')]
        : [];
    },
  },
  {
    id: 'catalog-changed',
    level: 'safe',
    purpose: 'The plan is compiled against another catalog id or snapshot version.',
    check: (pair) => {
      const b = both(pair);
      if (!b) return [];
      const [p, c] = b;
      const was = `${p.catalog.id} ${p.catalog.version}`;
      const now = `${c.catalog.id} ${c.catalog.version}`;
      return was !== now ? [draft(null, 'catalog', was, now, 'what the new snapshot changes in the plan is reported field by field')] : [];
    },
  },
  {
    id: 'no-behaviour-change',
    level: 'safe',
    // The one rule for "did this plan change": a plan whose compiled hash changed is always reported
    // (sagas are pinned by hash), by the rules that name what changed or, when its behaviour is the
    // same, by this one; a plan whose hash did not change never is.
    purpose: 'The plan\'s compiled hash changed but not its behaviour: its source file changed (comments, docs, layout, the order of its steps, another plan or bundle of the file) or its catalog snapshot\'s content did.',
    check: (pair) => {
      const b = both(pair);
      if (!b || b[0].hash === b[1].hash || behaviour(b[0]) !== behaviour(b[1])) return [];
      const [p, c] = b;
      if (p.planVersion !== c.planVersion || p.catalog.id !== c.catalog.id || p.catalog.version !== c.catalog.version) return [];
      if (p.source.sha256 !== c.source.sha256 || p.catalog.sha256 !== c.catalog.sha256) {
        const what = p.source.sha256 !== c.source.sha256 ? 'source file' : 'catalog snapshot';
        return [draft(null, what === 'source file' ? 'source' : 'catalog.sha256', null, null, `its ${what} changed, but sagas in flight and new orders run exactly the same steps and policies`)];
      }
      // Otherwise what changed is the order of steps or, for a bundle, the hash of an item's plan.
      return [draft(null, p.kind === 'bundle' ? 'items.planHash' : 'steps', null, null, p.kind === 'bundle'
        ? 'the compiled hash of an item\'s plan changed (reported on that plan), but the bundle decomposes and completes the same'
        : 'its steps are listed in another order, but they run by their dependencies exactly as before')];
    },
  },

  // ── Steps ────────────────────────────────────────────────────────────────────────────────
  {
    id: 'step-added',
    level: 'safe',
    purpose: 'A new step.',
    check: (pair) =>
      pair.steps.added.map((step) => {
        const dependents = singles(pair)?.[1].steps.filter((s) => s.dependsOn.includes(step.id)).map((s) => s.id) ?? [];
        const where = dependents.length === 0 ? 'nothing depends on it' : `${dependents.join(', ')} now wait for it (see dependency-added)`;
        return draft(step.id, null, null, `${step.kind}${step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(', ')}` : ''}`, `no saga has reached it; ${where}`);
      }),
  },
  {
    id: 'step-removed',
    level: 'breaking',
    purpose: 'A step is gone.',
    check: (pair) =>
      pair.steps.removed.map((step) =>
        draft(step.id, null, `${step.kind}${step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(', ')}` : ''}`, null, `a saga in flight may be running ${step.id} or need to compensate it`),
      ),
  },
  stepRule('step-renamed', 'breaking', 'A step has a new id (matched by kind, catalog reference and dependencies).', (p, c, pair) =>
    pair.renamed ? [draft(c.id, 'id', p.id, c.id, `sagas in flight record progress under '${p.id}': the step looks removed to them`)] : [],
  ),
  stepRule('step-kind-changed', 'breaking', 'A step has a different kind.', (p, c) =>
    p.kind !== c.kind ? [draft(c.id, 'kind', p.kind, c.kind, 'a saga in flight waits for the old kind\'s events from the old owner')] : [],
  ),
  stepRule('step-protocol-changed', 'breaking', 'The command or the events of a step changed (from the catalog\'s step kind).', (p, c) =>
    p.kind !== c.kind
      ? []
      : (['command', 'succeededEvent', 'failedEvent'] as const)
          .filter((f) => p[f] !== c[f])
          .map((f) => draft(c.id, f, p[f], c[f], `a saga in flight sent '${p.command}' and waits for '${p[f === 'command' ? 'succeededEvent' : f]}'`)),
  ),
  stepRule('step-owner-changed', 'dangerous', 'A step is handled by another component.', (p, c) =>
    p.owner !== c.owner ? [draft(c.id, 'owner', p.owner, c.owner, `new commands go to ${c.owner}; callbacks for work already sent come from ${p.owner}`)] : [],
  ),
  stepRule('step-ref-changed', 'dangerous', 'A step acts on another catalog entry.', (p, c) => {
    const was = describeRef(p.ref);
    const now = describeRef(c.ref);
    return was !== now ? [draft(c.id, 'ref', was, now, 'new orders provision or reserve something else; compensation of sagas in flight still undoes the old one')] : [];
  }),
  stepRule('dependency-added', 'breaking', 'A step waits for a step it did not wait for.', (p, c, _pair, plans) => {
    const rename = renamer(plans);
    const was = new Set(p.dependsOn.map(rename));
    return c.dependsOn
      .filter((d) => !was.has(d))
      .map((d) => draft(c.id, 'dependsOn', null, d, `a saga in flight may already have run ${c.id} before ${d}`));
  }),
  stepRule('dependency-removed', 'safe', 'A step no longer waits for a step.', (p, c, _pair, plans) => {
    const rename = renamer(plans);
    const now = new Set(c.dependsOn);
    return p.dependsOn
      .map(rename)
      .filter((d) => !now.has(d))
      .map((d) => draft(c.id, 'dependsOn', d, null, `${c.id} may start earlier; nothing a saga already ran is invalidated`));
  }),
  stepRule('timeout-shortened', 'dangerous', 'A step times out sooner.', (p, c) =>
    c.timeout.ms < p.timeout.ms
      ? [draft(c.id, 'timeout.ms', p.timeout.ms, c.timeout.ms, `work that took up to ${formatDuration(p.timeout.ms)} now times out after ${formatDuration(c.timeout.ms)}`)]
      : [],
  ),
  stepRule('timeout-lengthened', 'safe', 'A step waits longer before timing out.', (p, c) =>
    c.timeout.ms > p.timeout.ms ? [draft(c.id, 'timeout.ms', p.timeout.ms, c.timeout.ms, 'every outcome that arrived in time still does')] : [],
  ),
  stepRule('timeout-action-changed', 'dangerous', 'What a timeout leads to changed.', (p, c) => {
    const was = describeAction(p.timeout.on);
    const now = describeAction(c.timeout.on);
    return was !== now ? [draft(c.id, 'timeout.on', was, now, 'orders that time out take another path (fail, hold, fallout or reconcile)')] : [];
  }),
  stepRule('retry-reduced', 'dangerous', 'A step is retried fewer times.', (p, c) =>
    c.retry.maxRetries < p.retry.maxRetries
      ? [draft(c.id, 'retry.maxRetries', p.retry.maxRetries, c.retry.maxRetries, 'transient faults that retries absorbed now fail the step or raise fallout')]
      : [],
  ),
  stepRule('retry-increased', 'safe', 'A step is retried more times.', (p, c) =>
    c.retry.maxRetries > p.retry.maxRetries ? [draft(c.id, 'retry.maxRetries', p.retry.maxRetries, c.retry.maxRetries, 'more transient faults are absorbed')] : [],
  ),
  stepRule('retry-idempotency-key-dropped', 'dangerous', 'Retries of a step no longer carry the same idempotency key.', (p, c) =>
    p.retry.sameIdempotencyKey && !c.retry.sameIdempotencyKey
      ? [draft(c.id, 'retry.sameIdempotencyKey', true, false, 'a retry after a lost answer may apply the side effect twice')]
      : [],
  ),
  stepRule('retry-policy-changed', 'safe', 'The backoff of a step\'s retries changed.', (p, c) => {
    const fields = ['backoff', 'initialDelayMs', 'maxDelayMs', 'jitter'] as const;
    const out = fields
      .filter((f) => p.retry[f] !== c.retry[f])
      .map((f) => draft(c.id, `retry.${f}`, p.retry[f], c.retry[f], 'only the spacing of attempts changes'));
    if (!p.retry.sameIdempotencyKey && c.retry.sameIdempotencyKey) {
      out.push(draft(c.id, 'retry.sameIdempotencyKey', false, true, 'retries become safer to repeat'));
    }
    return out;
  }),
  stepRule('compensation-dropped', 'breaking', 'A compensated step no longer has a compensation.', (p, c) =>
    p.compensation.kind === 'compensate' && c.compensation.kind === 'none'
      ? [draft(c.id, 'compensation', describeCompensation(p.compensation), 'none', `a saga that ran ${c.id} cannot undo it on cancellation or failure`)]
      : [],
  ),
  stepRule('compensation-became-irreversible', 'breaking', 'A compensated step is now declared irreversible.', (p, c) =>
    p.compensation.kind === 'compensate' && c.compensation.kind === 'irreversible'
      ? [draft(c.id, 'compensation', describeCompensation(p.compensation), 'irreversible', `sagas that counted on undoing ${c.id} can no longer roll back past it`)]
      : [],
  ),
  stepRule('compensation-added', 'safe', 'A step without a compensation now has one.', (p, c) =>
    p.compensation.kind !== 'compensate' && c.compensation.kind === 'compensate'
      ? [draft(c.id, 'compensation', describeCompensation(p.compensation), describeCompensation(c.compensation), `${c.id} can now be undone`)]
      : [],
  ),
  stepRule('compensation-changed', 'dangerous', 'A step is undone differently (another action, approval, or none/irreversible swapped).', (p, c) => {
    const was = describeCompensation(p.compensation);
    const now = describeCompensation(c.compensation);
    const handled = (p.compensation.kind === 'compensate') !== (c.compensation.kind === 'compensate');
    return was !== now && !handled
      ? [draft(c.id, 'compensation', was, now, 'cancellations and failures of sagas in flight undo the step another way')]
      : [];
  }),
  stepRule('evidence-added', 'safe', 'A step proves its completion with more evidence.', (p, c) =>
    c.evidence.filter((e) => !p.evidence.includes(e)).map((e) => draft(c.id, 'evidence', null, e, 'completion is proven with more, never less')),
  ),
  stepRule('evidence-removed', 'dangerous', 'A step requires less completion evidence.', (p, c) =>
    p.evidence.filter((e) => !c.evidence.includes(e)).map((e) => draft(c.id, 'evidence', e, null, `completion is no longer proven by ${e}: disputes and audits lose it`)),
  ),
  stepRule('outcome-handler-added', 'safe', 'A step handles a reported outcome it did not handle.', (p, c) =>
    Object.keys(c.outcomes)
      .filter((o) => p.outcomes[o] === undefined)
      .sort()
      .map((o) => draft(c.id, `on ${o}`, null, describeAction(c.outcomes[o]!), `'${o}' no longer fails the step by default`)),
  ),
  stepRule('outcome-handler-removed', 'dangerous', 'A step no longer handles a reported outcome.', (p, c) =>
    Object.keys(p.outcomes)
      .filter((o) => c.outcomes[o] === undefined)
      .sort()
      .map((o) => draft(c.id, `on ${o}`, describeAction(p.outcomes[o]!), null, `'${o}' now fails the step instead of '${describeAction(p.outcomes[o]!)}'`)),
  ),
  stepRule('outcome-handler-changed', 'dangerous', 'A reported outcome of a step leads somewhere else.', (p, c) =>
    Object.keys(c.outcomes)
      .filter((o) => p.outcomes[o] !== undefined && describeAction(p.outcomes[o]!) !== describeAction(c.outcomes[o]!))
      .sort()
      .map((o) => draft(c.id, `on ${o}`, describeAction(p.outcomes[o]!), describeAction(c.outcomes[o]!), `orders reporting '${o}' take another path`)),
  ),
  stepRule('step-condition-changed', 'dangerous', 'The rule deciding whether a step runs changed.', (p, c) => {
    const was = describeCondition(p.condition);
    const now = describeCondition(c.condition);
    return was !== now ? [draft(c.id, 'condition', was, now, 'some orders now run a step they skipped before, or skip one they ran')] : [];
  }),
  stepRule('step-template-changed', 'safe', 'A step is instantiated from another template (or none).', (p, c) =>
    p.template !== c.template ? [draft(c.id, 'template', p.template, c.template, 'provenance only: what the template changes is reported field by field')] : [],
  ),

  // ── Plan policies ───────────────────────────────────────────────────────────────────────
  {
    id: 'billing-trigger-changed',
    level: 'dangerous',
    purpose: 'Billing starts at another moment.',
    check: (pair) => {
      const b = both(pair);
      if (!b) return [];
      const was = describeBillingTrigger(b[0].billing);
      const now = describeBillingTrigger(b[1].billing);
      return was !== now ? [draft(null, 'billing.trigger', was, now, 'customers are charged from another moment: revenue and disputes move')] : [];
    },
  },
  {
    id: 'billing-gating-changed',
    level: 'dangerous',
    purpose: 'Whether billing readiness blocks order completion changed.',
    check: (pair) => {
      const b = both(pair);
      if (!b || b[0].billing === null || b[1].billing === null) return [];
      const was = describeBillingGating(b[0].billing);
      const now = describeBillingGating(b[1].billing);
      return was !== now
        ? [draft(null, 'billing.gating', was, now, b[1].billing.blocksCompletion ? 'orders wait for billing before completing' : 'orders complete before billing is ready: gaps go to revenue assurance')]
        : [];
    },
  },
  {
    id: 'completion-policy-changed',
    level: 'dangerous',
    purpose: 'When the product order counts as complete changed.',
    check: (pair) => {
      const b = both(pair);
      return b && b[0].completion.mode !== b[1].completion.mode
        ? [draft(null, 'completion', b[0].completion.mode, b[1].completion.mode, 'customers see their order complete at another moment')]
        : [];
    },
  },
  {
    id: 'cancellation-tightened',
    level: 'dangerous',
    purpose: 'A cancellation is refused, needs approval or compensates where it did not.',
    check: (pair) => cancellationChanges(pair, (was, now) => strictness(now) > strictness(was), 'customers who could cancel at this point now face compensation, approval or refusal'),
  },
  {
    id: 'cancellation-loosened',
    level: 'safe',
    purpose: 'A cancellation is easier than before.',
    check: (pair) => cancellationChanges(pair, (was, now) => strictness(now) < strictness(was), 'every cancellation accepted before is still accepted'),
  },
  {
    id: 'cancellation-message-changed',
    level: 'safe',
    purpose: 'The text given when a cancellation is refused changed.',
    check: (pair) =>
      cancellationChanges(pair, (was, now) => was !== undefined && now !== undefined && strictness(was) === strictness(now) && was.message !== now.message, 'only the wording of a refusal changes'),
  },
  {
    id: 'amendment-added',
    level: 'safe',
    purpose: 'A new amendment rule.',
    check: (pair) => amendmentChanges(pair, 'added', 'an amendment rejected before is now handled'),
  },
  {
    id: 'amendment-removed',
    level: 'dangerous',
    purpose: 'An amendment rule is gone.',
    check: (pair) => amendmentChanges(pair, 'removed', 'customers can no longer amend this way: their requests are rejected'),
  },
  {
    id: 'amendment-changed',
    level: 'dangerous',
    purpose: 'An amendment replans other steps or is allowed for another window.',
    check: (pair) => amendmentChanges(pair, 'changed', 'amendments of orders in flight replan other steps or are refused at another point'),
  },
  {
    id: 'status-text-changed',
    level: 'dangerous',
    purpose: 'The customer-facing text of a status changed.',
    check: (pair) => statusChanges(pair, 'changed', 'customers, agents and self-care see other words for the same progress'),
  },
  {
    id: 'status-entry-added',
    level: 'safe',
    purpose: 'A new customer-facing status.',
    check: (pair) => statusChanges(pair, 'added', 'customers see progress they did not see before'),
  },
  {
    id: 'status-entry-removed',
    level: 'dangerous',
    purpose: 'A customer-facing status is gone.',
    check: (pair) => statusChanges(pair, 'removed', 'customers see the previous or a generic status at this point'),
  },

  // ── Bundles ─────────────────────────────────────────────────────────────────────────────
  {
    id: 'bundle-item-added',
    level: 'safe',
    purpose: 'A bundle has a new item.',
    check: (pair) => bundleItemChanges(pair, 'added', 'new orders of the bundle decompose into one more plan'),
  },
  {
    id: 'bundle-item-removed',
    level: 'breaking',
    purpose: 'A bundle item is gone.',
    check: (pair) => bundleItemChanges(pair, 'removed', 'bundle orders in flight have a saga for an item the bundle no longer knows'),
  },
  {
    id: 'bundle-item-changed',
    level: 'dangerous',
    purpose: 'A bundle item uses another plan or became optional or mandatory.',
    check: (pair) => bundleItemChanges(pair, 'changed', 'bundle orders decompose differently and complete under other conditions'),
  },
];

function cancellationChanges(
  pair: PlanPair,
  applies: (was: CancellationRule | undefined, now: CancellationRule | undefined) => boolean,
  reason: string,
): ChangeDraft[] {
  const s = singles(pair);
  if (!s) return [];
  const was = cancellationByKey(s[0], renamer(pair));
  const now = cancellationByKey(s[1], (id) => id);
  return union(was, now)
    .filter((key) => applies(was.get(key), now.get(key)))
    .map((key) => {
      const p = was.get(key);
      const c = now.get(key);
      return draft(null, key, p === undefined ? null : describeCancelAction(p), c === undefined ? null : describeCancelAction(c), reason);
    });
}

function amendmentChanges(pair: PlanPair, which: 'added' | 'removed' | 'changed', reason: string): ChangeDraft[] {
  const s = singles(pair);
  if (!s) return [];
  const was = amendmentsByName(s[0], renamer(pair));
  const now = amendmentsByName(s[1], (id) => id);
  const out: ChangeDraft[] = [];
  for (const name of union(was, now)) {
    const p = was.get(name);
    const c = now.get(name);
    const kind = p === undefined ? 'added' : c === undefined ? 'removed' : describeAmendment(p) !== describeAmendment(c) ? 'changed' : undefined;
    if (kind === which) out.push(draft(null, `amend ${name}`, p === undefined ? null : describeAmendment(p), c === undefined ? null : describeAmendment(c), reason));
  }
  return out;
}

function statusChanges(pair: PlanPair, which: 'added' | 'removed' | 'changed', reason: string): ChangeDraft[] {
  const b = both(pair);
  if (!b) return [];
  const was = statusByKey(b[0], renamer(pair));
  const now = statusByKey(b[1], (id) => id);
  const out: ChangeDraft[] = [];
  for (const key of union(was, now)) {
    const p = was.get(key);
    const c = now.get(key);
    const kind = p === undefined ? 'added' : c === undefined ? 'removed' : p !== c ? 'changed' : undefined;
    if (kind === which) out.push(draft(null, key, p ?? null, c ?? null, reason));
  }
  return out;
}

function bundleItemChanges(pair: PlanPair, which: 'added' | 'removed' | 'changed', reason: string): ChangeDraft[] {
  const b = bundles(pair);
  if (!b) return [];
  const describe = (item: CompiledBundle['items'][number]) => `${item.planId}${item.optional ? ' optional' : ''}`;
  const was = new Map(b[0].items.map((i) => [i.name, describe(i)]));
  const now = new Map(b[1].items.map((i) => [i.name, describe(i)]));
  const out: ChangeDraft[] = [];
  for (const name of union(was, now)) {
    const p = was.get(name);
    const c = now.get(name);
    const kind = p === undefined ? 'added' : c === undefined ? 'removed' : p !== c ? 'changed' : undefined;
    if (kind === which) out.push(draft(null, `item ${name}`, p ?? null, c ?? null, reason));
  }
  return out;
}

export const diffRulesById: ReadonlyMap<string, DiffRule> = new Map(diffRules.map((r) => [r.id, r]));
