// Resolves a step's effective properties and policies from its layers, in the order
// step > template > plan defaults > catalog step-kind defaults.
import type { Range } from '../diagnostics/diagnostic.js';
import type { StepKind } from '../catalog/schema.js';
import type {
  OutcomeAction as AstOutcomeAction, OutcomeProperty, RetryProperty, RuleProperty, StepProperty,
  CatalogRefProperty, EvidenceProperty, OnTimeoutProperty, Ident,
} from '../syntax/ast.js';
import type { Compensation, OutcomeAction, RetryPolicy } from '../emit/schema.js';
import type { PolicySource, ResolvedPolicies, Sourced } from './model.js';

export interface PropertyLayer {
  source: PolicySource;
  file: string;
  properties: StepProperty[];
}

export const noRetry: RetryPolicy = {
  maxRetries: 0, backoff: 'none', initialDelayMs: 0, maxDelayMs: 0, jitter: false, sameIdempotencyKey: false,
};

export function compileOutcomeAction(action: AstOutcomeAction): OutcomeAction {
  switch (action.kind) {
    case 'fail': return { action: 'fail' };
    case 'hold': return action.message !== undefined
      ? { action: 'hold', party: action.party, message: action.message.value }
      : { action: 'hold', party: action.party };
    case 'fallout': return action.group !== undefined && !action.group.missing
      ? { action: 'fallout', ownerGroup: action.group.name }
      : { action: 'fallout' };
    case 'reconcile': return { action: 'reconcile' };
  }
}

export function compileRetry(retry: RetryProperty): RetryPolicy {
  const count = Math.max(0, Math.floor(retry.count.value));
  const policy: RetryPolicy = { ...noRetry, maxRetries: count, jitter: retry.jitter, sameIdempotencyKey: retry.sameKey };
  if (count === 0 || retry.backoff === undefined) return policy;
  if (retry.backoff.kind === 'fixed') {
    return { ...policy, backoff: 'fixed', initialDelayMs: retry.backoff.every.ms, maxDelayMs: retry.backoff.every.ms };
  }
  const initial = retry.backoff.initial.ms;
  // Without `max`, the delay doubles up to the last retry.
  const max = retry.backoff.max?.ms ?? initial * 2 ** Math.min(count - 1, 20);
  return { ...policy, backoff: 'exponential', initialDelayMs: initial, maxDelayMs: max };
}

type PropertyOf<K extends StepProperty['kind']> = Extract<StepProperty, { kind: K }>;

function firstOf<K extends StepProperty['kind']>(layers: PropertyLayer[], kind: K): Sourced<PropertyOf<K>> | undefined {
  for (const layer of layers) {
    const p = layer.properties.find((q): q is PropertyOf<K> => q.kind === kind);
    if (p !== undefined) return { value: p, source: layer.source, file: layer.file, range: p.range };
  }
  return undefined;
}

function sourced<T>(value: T, from: { source: PolicySource; file?: string; range?: Range }): Sourced<T> {
  const s: Sourced<T> = { value, source: from.source };
  if (from.file !== undefined) s.file = from.file;
  if (from.range !== undefined) s.range = from.range;
  return s;
}

export interface EffectiveStep {
  policies: ResolvedPolicies;
  catalogRef?: Sourced<CatalogRefProperty>;
  evidence?: Sourced<Ident[]>;
  outcomes: Map<string, Sourced<OutcomeProperty>>;
  rule?: Sourced<RuleProperty>;
  retryProperty?: Sourced<RetryProperty>;
  onTimeoutProperty?: Sourced<OnTimeoutProperty>;
}

/**
 * `layers` in precedence order (step first). The compensation slot holds either `compensate`
 * or `irreversible`: the first layer that declares one of them decides.
 */
export function resolveEffectiveStep(layers: PropertyLayer[], kind: StepKind | undefined): EffectiveStep {
  const owner = firstOf(layers, 'Owner');
  const timeout = firstOf(layers, 'Timeout');
  const onTimeout = firstOf(layers, 'OnTimeout');
  const retry = firstOf(layers, 'Retry');
  const policies: ResolvedPolicies = {
    owner: owner !== undefined && !owner.value.component.missing
      ? sourced(owner.value.component.name, owner)
      : { value: kind?.owner ?? '', source: 'catalog' },
    timeoutMs: timeout !== undefined
      ? sourced(timeout.value.duration.ms, timeout)
      : { value: kind?.defaultTimeoutMs ?? 0, source: 'catalog' },
    onTimeout: onTimeout !== undefined
      ? sourced(compileOutcomeAction(onTimeout.value.action), onTimeout)
      : { value: { action: 'fail' }, source: 'catalog' },
    retry: retry !== undefined ? sourced(compileRetry(retry.value), retry) : { value: noRetry, source: 'catalog' },
  };

  for (const layer of layers) {
    const p = layer.properties.find((q) => q.kind === 'Compensate' || q.kind === 'Irreversible');
    if (p === undefined) continue;
    const from = { source: layer.source, file: layer.file, range: p.range };
    policies.compensation = p.kind === 'Compensate'
      ? sourced<Compensation>({ kind: 'compensate', action: p.action.name, requiresApproval: p.requiresApproval }, from)
      : sourced<Compensation>({ kind: 'irreversible' }, from);
    break;
  }
  if (policies.compensation === undefined && kind !== undefined && !kind.sideEffecting) {
    policies.compensation = { value: { kind: 'none' }, source: 'catalog' };
  }

  const outcomes = new Map<string, Sourced<OutcomeProperty>>();
  for (const layer of layers) {
    for (const p of layer.properties) {
      if (p.kind !== 'Outcome' || p.outcome.missing || outcomes.has(p.outcome.name)) continue;
      outcomes.set(p.outcome.name, sourced(p, { source: layer.source, file: layer.file, range: p.range }));
    }
  }

  const result: EffectiveStep = { policies, outcomes };
  const catalogRef = firstOf(layers, 'CatalogRef');
  if (catalogRef !== undefined) result.catalogRef = catalogRef;
  const evidence = firstOf(layers, 'Evidence');
  if (evidence !== undefined) result.evidence = sourced((evidence.value as EvidenceProperty).items, evidence);
  const rule = firstOf(layers, 'Rule');
  if (rule !== undefined) result.rule = rule;
  if (retry !== undefined) result.retryProperty = retry;
  if (onTimeout !== undefined) result.onTimeoutProperty = onTimeout;
  return result;
}
