// Plan registry: compiled plans stored by hash, immutable. A saga is pinned to the hash it started with.
import { canonicalJson, sha256Hex } from '../../compiler/hash.js';
import { compiledPlanSchema, type CompiledPlan } from '../../compiler/emit/schema.js';
import type { Queryable } from '../store/store.js';

export type PlanCheck = { ok: true; plan: CompiledPlan } | { ok: false; problems: string[] };

/** Validates a compiled plan from outside (file, registry row) before the runtime trusts it. */
export function checkPlan(value: unknown): PlanCheck {
  const parsed = compiledPlanSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(plan)'}: ${issue.message}`) };
  }
  const { hash, ...rest } = parsed.data;
  const actual = sha256Hex(canonicalJson(rest));
  if (actual !== hash) return { ok: false, problems: [`hash: the plan's content hashes to ${actual}, not ${hash}`] };
  return { ok: true, plan: parsed.data };
}

export class PlanRegistry {
  private readonly byHash = new Map<string, CompiledPlan>();

  async register(tx: Queryable, plan: CompiledPlan, at: Date): Promise<void> {
    await tx.query(
      `INSERT INTO plan (hash, plan_id, plan_version, offering_id, kind, body, registered_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (hash) DO NOTHING`,
      [plan.hash, plan.planId, plan.planVersion, plan.offeringId, plan.kind, JSON.stringify(plan), at.toISOString()],
    );
    this.byHash.set(plan.hash, plan);
  }

  async get(tx: Queryable, hash: string): Promise<CompiledPlan> {
    const cached = this.byHash.get(hash);
    if (cached) return cached;
    const rows = await tx.query<{ body: CompiledPlan }>('SELECT body FROM plan WHERE hash = $1', [hash]);
    const row = rows[0];
    if (!row) throw new Error(`plan ${hash} is not registered`);
    const body = typeof row.body === 'string' ? (JSON.parse(row.body) as CompiledPlan) : row.body;
    this.byHash.set(hash, body);
    return body;
  }
}
