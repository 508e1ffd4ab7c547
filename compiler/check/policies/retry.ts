// O2A4007: retrying a command whose adapter is not idempotent duplicates side effects unless every
// attempt carries the same idempotency key (§26). O2A4008: exponential backoff capped below its start.
import { diagnostic, type Diagnostic } from '../../diagnostics/index.js';
import { insertAt } from '../../resolve/fixes.js';
import type { RetryProperty, StepProperty } from '../../syntax/ast.js';
import { aKind } from '../../resolve/index.js';
import { inheritedNote, locatePolicy, type PlanCheck } from '../context.js';

export const retryIdempotent: PlanCheck = ({ plan }) => {
  const out: Diagnostic[] = [];
  for (const step of plan.steps) {
    const kind = step.kind;
    const retry = step.policies.retry;
    if (kind === undefined || kind.idempotent || retry.value.maxRetries === 0 || retry.value.sameIdempotencyKey) continue;
    const at = locatePolicy(step, retry);
    const prop = step.retryProperty;
    out.push(diagnostic('O2A4007', at.file, at.range,
      `step '${step.name}' retries ${aKind(kind.id)} command, whose adapter is not idempotent, without the same idempotency key${inheritedNote(retry, step)}`, {
        help: 'add `same key` so that a repeated command is applied once',
        ...(prop !== undefined && prop.file !== undefined
          ? { fixes: [insertAt("Add 'same key'", prop.file, prop.value.range.end, ' same key')] } : {}),
        ...(at.related !== undefined ? { related: at.related } : {}),
      }));
  }
  return out;
};

function retries(properties: StepProperty[]): RetryProperty[] {
  return properties.filter((p): p is RetryProperty => p.kind === 'Retry');
}

export const retryBackoffBounds: PlanCheck = ({ plan }) => {
  const out: Diagnostic[] = [];
  const lists: { file: string; properties: StepProperty[] }[] = [
    { file: plan.file, properties: plan.defaults },
    ...plan.steps.map((s) => ({ file: plan.file, properties: s.decl.properties })),
    ...[...new Set(plan.steps.map((s) => s.template).filter((t) => t !== undefined))]
      .map((t) => ({ file: t.file, properties: t.decl.properties })),
  ];
  for (const { file, properties } of lists) {
    for (const r of retries(properties)) {
      const b = r.backoff;
      if (b?.kind !== 'exponential' || b.max === undefined || b.max.ms >= b.initial.ms) continue;
      out.push(diagnostic('O2A4008', file, b.max.range,
        `retry backoff max ${b.max.text} is shorter than its initial delay ${b.initial.text}`, {
          help: `the delay grows from the initial delay up to max: make max at least ${b.initial.text}`,
        }));
    }
  }
  return out;
};
