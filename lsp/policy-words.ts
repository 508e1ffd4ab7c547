// Resolved step policies in words, for hover and inlay hints.
import type { Compensation, OutcomeAction, RetryPolicy } from '../compiler/emit/schema.js';
import type { BoundStep, PolicySource, Sourced } from '../compiler/resolve/model.js';
import { compileOutcomeAction } from '../compiler/resolve/policies.js';

const units: [number, string][] = [
  [86_400_000, 'day'],
  [3_600_000, 'hour'],
  [60_000, 'minute'],
  [1_000, 'second'],
  [1, 'millisecond'],
];

/** `600000` -> `10 minutes`, `5400000` -> `1 hour 30 minutes`. */
export function durationInWords(ms: number): string {
  if (ms <= 0) return '0 seconds';
  const parts: string[] = [];
  let rest = ms;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    if (n === 0) continue;
    parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

/** `600000` -> `10m`, `5400000` -> `1h30m`: as the language writes durations. */
export function durationAsWritten(ms: number): string {
  if (ms <= 0) return '0s';
  const short: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1_000, 's'], [1, 'ms']];
  let rest = ms;
  let text = '';
  for (const [size, unit] of short) {
    const n = Math.floor(rest / size);
    if (n === 0) continue;
    text += `${n}${unit}`;
    rest -= n * size;
  }
  return text;
}

export function actionInWords(action: OutcomeAction): string {
  switch (action.action) {
    case 'fail':
      return 'fail the step';
    case 'hold':
      return `hold for the ${action.party}${action.message !== undefined ? ` ("${action.message}")` : ''}`;
    case 'fallout':
      return `raise a fallout case${action.ownerGroup !== undefined ? ` for ${action.ownerGroup}` : ''}`;
    case 'reconcile':
      return 'treat the outcome as unknown and reconcile';
  }
}

export function retryInWords(retry: RetryPolicy): string {
  if (retry.maxRetries === 0) return 'no retries';
  const count = `${retry.maxRetries} ${retry.maxRetries === 1 ? 'retry' : 'retries'}`;
  let schedule = '';
  if (retry.backoff === 'fixed') schedule = ` every ${durationInWords(retry.initialDelayMs)}`;
  else if (retry.backoff === 'exponential') schedule = `, backing off exponentially from ${durationInWords(retry.initialDelayMs)} up to ${durationInWords(retry.maxDelayMs)}`;
  else schedule = ' at once';
  const jitter = retry.jitter ? ', with jitter' : '';
  const key = retry.sameIdempotencyKey ? ', same idempotency key' : ', a new idempotency key each attempt';
  return `${count}${schedule}${jitter}${key}`;
}

export function compensationInWords(compensation: Compensation | undefined): string {
  if (compensation === undefined) return 'none declared (a side-effecting step needs `compensate` or `irreversible`)';
  switch (compensation.kind) {
    case 'compensate':
      return `${compensation.action}${compensation.requiresApproval ? ', requires approval' : ''}`;
    case 'irreversible':
      return 'irreversible';
    case 'none':
      return 'none needed (no side effects)';
  }
}

export function sourceInWords(step: BoundStep, source: PolicySource): string {
  switch (source) {
    case 'step':
      return 'set on the step';
    case 'template':
      return `from template ${step.template?.name ?? ''}`.trimEnd();
    case 'defaults':
      return 'plan defaults';
    case 'catalog':
      return 'catalog default';
  }
}

function withSource<T>(step: BoundStep, s: Sourced<T>, text: string): string {
  return `${text} _(${sourceInWords(step, s.source)})_`;
}

/**
 * Why a step has no catalog defaults: its kind does not resolve (an unknown kind, a template that
 * does not resolve, no catalog snapshot loaded). Undefined when its kind resolves.
 */
export function noCatalogDefaults(step: BoundStep, catalogLoaded = true): string | undefined {
  if (step.kind !== undefined) return undefined;
  if (!catalogLoaded) return 'no catalog snapshot is loaded';
  return step.kindName !== '' ? `step kind \`${step.kindName}\` is unknown` : 'the step kind is unknown';
}

/**
 * Markdown lines: owner, timeout, retry, compensation, each with where it came from. For a step
 * whose kind does not resolve, the compiler's placeholders for the catalog defaults (owner '',
 * timeout 0, fail on timeout, no retries) are not shown: each property not written on the step,
 * its template or the plan defaults says the catalog default is unknown, and why.
 */
export function policyLines(step: BoundStep, catalogLoaded = true): string[] {
  const p = step.policies;
  const unknownKind = noCatalogDefaults(step, catalogLoaded);
  const lines = unknownKind === undefined
    ? [
      `- **owner** ${withSource(step, p.owner, p.owner.value === '' ? 'unknown' : p.owner.value)}`,
      // One label when the timeout and what happens then come from the same place, else one each.
      p.onTimeout.source === p.timeoutMs.source
        ? `- **timeout** ${withSource(step, p.timeoutMs, `${durationInWords(p.timeoutMs.value)}, then ${actionInWords(p.onTimeout.value)}`)}`
        : `- **timeout** ${withSource(step, p.timeoutMs, durationInWords(p.timeoutMs.value))}, then ${withSource(step, p.onTimeout, actionInWords(p.onTimeout.value))}`,
      `- **retry** ${withSource(step, p.retry, retryInWords(p.retry.value))}`,
      p.compensation !== undefined
        ? `- **compensation** ${withSource(step, p.compensation, compensationInWords(p.compensation.value))}`
        : `- **compensation** ${compensationInWords(undefined)}`,
    ]
    : (() => {
      // Only what a layer wrote; the catalog's part is unknown.
      const written = <T>(s: Sourced<T>, text: (value: T) => string) => s.source !== 'catalog'
        ? withSource(step, s, text(s.value))
        : `not written; the catalog default is unknown: ${unknownKind}`;
      return [
        `- **owner** ${written(p.owner, (owner) => owner === '' ? 'unknown' : owner)}`,
        `- **timeout** ${written(p.timeoutMs, durationInWords)}`,
        `- **on timeout** ${written(p.onTimeout, actionInWords)}`,
        `- **retry** ${written(p.retry, retryInWords)}`,
        p.compensation !== undefined
          ? `- **compensation** ${withSource(step, p.compensation, compensationInWords(p.compensation.value))}`
          : `- **compensation** none written; whether the step needs one is unknown: ${unknownKind}`,
      ];
    })();
  for (const [outcome, o] of step.outcomes) {
    lines.push(`- **on ${outcome}** ${actionInWords(compileOutcomeAction(o.value.action))}`);
  }
  if (step.evidence !== undefined && step.evidence.value.length > 0) {
    lines.push(`- **evidence** ${step.evidence.value.map((e) => e.name).join(', ')}`);
  }
  return lines;
}
