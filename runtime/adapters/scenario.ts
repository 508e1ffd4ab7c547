// A scenario scripts the simulated components for one order: what each step's owner does on each
// command it receives for that step (the first entry for the first command, and so on; past the
// script, success).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { findUnstorable } from '../store/text.js';

export const stepScriptSchema = z.object({
  /** `success`, `timeout`, or a failure outcome the owner reports (`rejected`, `no_access`, `verification_failed`, ...). */
  outcome: z.string().default('success'),
  /** For `timeout`: whether the side effect happened anyway (the target's state will show it). */
  applied: z.boolean().optional(),
  /** Answer this late (simulated milliseconds). */
  delayMs: z.number().int().min(0).optional(),
  /** Send the answer twice with the same message id, and once more under a new one. */
  duplicate: z.boolean().optional(),
  reason: z.string().optional(),
  /** Evidence names to leave out of a success answer. */
  withholdEvidence: z.array(z.string()).optional(),
}).strict();

export const scenarioSchema = z.object({
  name: z.string().optional(),
  description: z.string().optional(),
  /** Keyed by step id, or by `kind:<step kind>` for every step of that kind. */
  steps: z.record(z.string(), z.union([stepScriptSchema, z.array(stepScriptSchema)])).default({}),
}).strict();

export type StepScript = z.infer<typeof stepScriptSchema>;
export type Scenario = z.infer<typeof scenarioSchema>;

export const SUCCESS: StepScript = { outcome: 'success' };

export function scriptFor(scenario: Scenario | undefined, stepId: string, kind: string, delivery: number): StepScript {
  const entry = scenario?.steps[stepId] ?? scenario?.steps[`kind:${kind}`];
  if (!entry) return SUCCESS;
  const list = Array.isArray(entry) ? entry : [entry];
  return list[delivery] ?? SUCCESS;
}

export type ScenarioLoad = { ok: true; scenario: Scenario } | { ok: false; problems: string[] };

export function parseScenario(value: unknown): ScenarioLoad {
  const bad = findUnstorable(value);
  if (bad) return { ok: false, problems: [`${bad.path}: ${bad.problem}`] };
  const parsed = scenarioSchema.safeParse(value ?? {});
  if (parsed.success) return { ok: true, scenario: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(scenario)'}: ${i.message}`) };
}

export function loadScenarioFile(file: string): ScenarioLoad {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (error) {
    return { ok: false, problems: [`cannot read ${file}: ${(error as Error).message}`] };
  }
  try { return parseScenario(JSON.parse(text)); } catch (error) {
    return { ok: false, problems: [`${file} is not JSON: ${(error as Error).message}`] };
  }
}
