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

/** The first property of each kind in one layer (one pass over its properties). */
interface FirstOfKind {
  Owner?: PropertyOf<'Owner'>;
  Timeout?: PropertyOf<'Timeout'>;
  OnTimeout?: PropertyOf<'OnTimeout'>;
  Retry?: PropertyOf<'Retry'>;
  CatalogRef?: PropertyOf<'CatalogRef'>;
  Evidence?: PropertyOf<'Evidence'>;
  Rule?: PropertyOf<'Rule'>;
  /** The first `compensate` or `irreversible`. */
  compensation?: PropertyOf<'Compensate'> | PropertyOf<'Irreversible'>;
  outcomes: boolean;
}

function firstOfKinds(properties: StepProperty[]): FirstOfKind {
  const f: FirstOfKind = { outcomes: false };
  for (const p of properties) {
    switch (p.kind) {
      case 'Owner': f.Owner ??= p; break;
      case 'Timeout': f.Timeout ??= p; break;
      case 'OnTimeout': f.OnTimeout ??= p; break;
      case 'Retry': f.Retry ??= p; break;
      case 'CatalogRef': f.CatalogRef ??= p; break;
      case 'Evidence': f.Evidence ??= p; break;
      case 'Rule': f.Rule ??= p; break;
      case 'Compensate': case 'Irreversible': f.compensation ??= p; break;
      case 'Outcome': f.outcomes = true; break;
    }
  }
  return f;
}

/**
 * `layers` in precedence order (step first). The compensation slot holds either `compensate`
 * or `irreversible`: the first layer that declares one of them decides.
 */
export function resolveEffectiveStep(layers: PropertyLayer[], kind: StepKind | undefined): EffectiveStep {
  const firsts = layers.map((layer) => firstOfKinds(layer.properties));
  // The first layer's property of a kind, with where it came from (as `firstOf` over the layers).
  const firstOf = <K extends 'Owner' | 'Timeout' | 'OnTimeout' | 'Retry' | 'CatalogRef' | 'Evidence' | 'Rule'>(k: K): Sourced<PropertyOf<K>> | undefined => {
    for (let i = 0; i < layers.length; i++) {
      const p = firsts[i]![k] as PropertyOf<K> | undefined;
      if (p !== undefined) return { value: p, source: layers[i]!.source, file: layers[i]!.file, range: (p as StepProperty).range };
    }
    return undefined;
  };
  const owner = firstOf('Owner');
  const timeout = firstOf('Timeout');
  const onTimeout = firstOf('OnTimeout');
  const retry = firstOf('Retry');
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

  for (let i = 0; i < layers.length; i++) {
    const p = firsts[i]!.compensation;
    if (p === undefined) continue;
    const layer = layers[i]!;
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
  for (let i = 0; i < layers.length; i++) {
    if (!firsts[i]!.outcomes) continue;
    const layer = layers[i]!;
    for (const p of layer.properties) {
      if (p.kind !== 'Outcome' || p.outcome.missing || outcomes.has(p.outcome.name)) continue;
      outcomes.set(p.outcome.name, sourced(p, { source: layer.source, file: layer.file, range: p.range }));
    }
  }

  const result: EffectiveStep = { policies, outcomes };
  const catalogRef = firstOf('CatalogRef');
  if (catalogRef !== undefined) result.catalogRef = catalogRef;
  const evidence = firstOf('Evidence');
  if (evidence !== undefined) result.evidence = sourced((evidence.value as EvidenceProperty).items, evidence);
  const rule = firstOf('Rule');
  if (rule !== undefined) result.rule = rule;
  if (retry !== undefined) result.retryProperty = retry;
  if (onTimeout !== undefined) result.onTimeoutProperty = onTimeout;
  return result;
}
