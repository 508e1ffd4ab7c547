// Pairs the steps of two versions of a plan: by id first, then across renames by identity (same
// kind, same catalog reference, same dependencies once earlier pairs are applied). A rename is
// accepted only when exactly one step on each side fits, so a guess is never reported as fact.
import type { CompiledStep } from '../emit/schema.js';

export interface StepPair {
  previous: CompiledStep;
  current: CompiledStep;
  renamed: boolean;
}

export interface StepMatching {
  pairs: StepPair[];
  added: CompiledStep[];
  removed: CompiledStep[];
  /** Previous step id -> current step id, for every paired step. */
  previousToCurrent: ReadonlyMap<string, string>;
}

export function matchSteps(previous: readonly CompiledStep[], current: readonly CompiledStep[]): StepMatching {
  const currentById = new Map(current.map((s) => [s.id, s]));
  const previousToCurrent = new Map<string, string>();
  const pairedCurrent = new Set<string>();
  for (const step of previous) {
    if (currentById.has(step.id)) {
      previousToCurrent.set(step.id, step.id);
      pairedCurrent.add(step.id);
    }
  }
  const renamed = new Set<string>();
  for (;;) {
    const openPrevious = previous.filter((s) => !previousToCurrent.has(s.id));
    const openCurrent = current.filter((s) => !pairedCurrent.has(s.id));
    const fits = (p: CompiledStep, c: CompiledStep) => sameIdentity(p, c, previousToCurrent);
    let progressed = false;
    for (const p of openPrevious) {
      const candidates = openCurrent.filter((c) => !pairedCurrent.has(c.id) && fits(p, c));
      if (candidates.length !== 1) continue;
      const c = candidates[0]!;
      const rivals = openPrevious.filter((q) => !previousToCurrent.has(q.id) && fits(q, c));
      if (rivals.length !== 1) continue;
      previousToCurrent.set(p.id, c.id);
      pairedCurrent.add(c.id);
      renamed.add(p.id);
      progressed = true;
    }
    if (!progressed) break;
  }
  const pairs: StepPair[] = [];
  for (const p of previous) {
    const currentId = previousToCurrent.get(p.id);
    if (currentId !== undefined) pairs.push({ previous: p, current: currentById.get(currentId)!, renamed: renamed.has(p.id) });
  }
  return {
    pairs,
    added: current.filter((s) => !pairedCurrent.has(s.id)),
    removed: previous.filter((s) => !previousToCurrent.has(s.id)),
    previousToCurrent,
  };
}

function sameIdentity(previous: CompiledStep, current: CompiledStep, previousToCurrent: ReadonlyMap<string, string>): boolean {
  if (previous.kind !== current.kind) return false;
  if ((previous.ref?.type ?? null) !== (current.ref?.type ?? null) || (previous.ref?.id ?? null) !== (current.ref?.id ?? null)) return false;
  if (previous.dependsOn.length !== current.dependsOn.length) return false;
  const mapped = new Set(previous.dependsOn.map((d) => previousToCurrent.get(d) ?? `\u0000${d}`));
  return current.dependsOn.every((d) => mapped.has(d));
}
