// Emits compiled plans: the hash is the sha256 of the canonical JSON of the plan without it, and
// the serialised form is byte-identical for the same plan.
import { canonicalJson, sha256Hex } from '../hash.js';
import type { CompiledBundle, CompiledPlan, CompiledSinglePlan } from './schema.js';
import type { UnhashedBundle, UnhashedPlan } from '../lower/index.js';

export function planHash(plan: UnhashedPlan | UnhashedBundle | CompiledPlan): string {
  const { hash: _hash, ...rest } = plan as CompiledPlan;
  void _hash;
  return sha256Hex(canonicalJson(rest));
}

export function emitPlan(plan: UnhashedPlan): CompiledSinglePlan;
export function emitPlan(plan: UnhashedBundle): CompiledBundle;
export function emitPlan(plan: UnhashedPlan | UnhashedBundle): CompiledPlan {
  return { ...plan, hash: planHash(plan) } as CompiledPlan;
}

/** Pretty-printed JSON with keys sorted at every level and a trailing newline. */
export function serializeCompiledPlan(plan: CompiledPlan): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(plan)), null, 2)}\n`;
}

/** The file name a compiled plan is written to: `<planId>@<version>.<hash prefix>.json`. */
export function compiledPlanFileName(plan: CompiledPlan): string {
  return `${plan.planId}@${plan.planVersion}.${plan.hash.slice(0, 12)}.json`;
}
