// Catalog snapshots retired for new orders (§31.4, "stale catalog snapshot"). A snapshot is
// released once and never edited (catalogs/README.md); a newer one supersedes it, and what it
// retires "stays in the snapshot so that older plans and in-flight orders still resolve, but new
// plans must not use" it (the catalog schema). The runtime carries that to orders: once a snapshot
// version is retired, a plan compiled against it takes no new order. The intake prefers, for an
// offering, the newest plan compiled against a snapshot still in force; when every plan of the
// offering (or the plan given, or a bundle's item plan) was compiled against a retired snapshot,
// the order is rejected, the reason naming the plan and the snapshot. The sagas already running
// on such a plan finish as they are: a saga is pinned to its plan's hash, and nothing after the
// intake looks at the snapshot.
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { iso } from '../store/sql.js';
import type { Queryable, Store } from '../store/store.js';

export interface CatalogRetirement {
  catalogId: string;
  version: string;
  retiredAt: string;
  reason: string | null;
  /** The snapshot version that replaces it (plans are to be compiled against it), if said. */
  replacedBy: string | null;
}

export interface RetireCatalogInput {
  catalogId: string;
  version: string;
  reason?: string;
  replacedBy?: string;
}

export type RetireCatalogResult =
  | {
    ok: true;
    retirement: CatalogRetirement;
    /** Retired before (the first retirement is kept and given back). */
    duplicate: boolean;
    /** The registered plans compiled against it: no new order will use them. */
    plans: { planId: string; planVersion: number; hash: string }[];
    /** Sagas running (or held) on those plans: they finish as they are. */
    inFlightSagas: number;
  }
  | { ok: false; code: 'invalid'; field: string; problem: string };

/**
 * An ORDER BY term for `plan p` rows: false (first) for a plan whose snapshot is in force, true
 * for one compiled against a retired snapshot.
 */
export const PLAN_ON_RETIRED_SNAPSHOT = `EXISTS (SELECT 1 FROM catalog_retirement r
  WHERE r.catalog_id = p.body->'catalog'->>'id' AND r.version = p.body->'catalog'->>'version')`;

const key = (catalogId: string, version: string) => `${catalogId}\u0000${version}`;

/** Retires a catalog snapshot version for new orders; the same retirement again is answered as the first. */
export async function retireCatalog(store: Store, input: RetireCatalogInput, at: Date): Promise<RetireCatalogResult> {
  for (const field of ['catalogId', 'version'] as const) {
    const value = (input as Partial<RetireCatalogInput> | null | undefined)?.[field];
    if (typeof value !== 'string' || value.trim() === '') {
      return { ok: false, code: 'invalid', field, problem: `${field}: a catalog ${field === 'catalogId' ? 'id' : 'version'} is required` };
    }
  }
  for (const field of ['reason', 'replacedBy'] as const) {
    const value = input[field];
    if (value !== undefined && typeof value !== 'string') return { ok: false, code: 'invalid', field, problem: `${field}: must be a text` };
  }
  return store.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO catalog_retirement (catalog_id, version, retired_at, reason, replaced_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (catalog_id, version) DO NOTHING RETURNING 1`,
      [input.catalogId, input.version, at.toISOString(), input.reason ?? null, input.replacedBy ?? null]);
    const [row] = await tx.query<Record<string, unknown>>(
      'SELECT * FROM catalog_retirement WHERE catalog_id = $1 AND version = $2', [input.catalogId, input.version]);
    const plans = await tx.query<{ plan_id: string; plan_version: number; hash: string }>(
      `SELECT plan_id, plan_version, hash FROM plan p WHERE p.body->'catalog'->>'id' = $1 AND p.body->'catalog'->>'version' = $2
        ORDER BY plan_id, plan_version`, [input.catalogId, input.version]);
    const [sagas] = await tx.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM saga WHERE plan_hash = ANY($1::text[]) AND state IN ('STARTED', 'HELD', 'COMPENSATING')`,
      [plans.map((p) => p.hash)]);
    return {
      ok: true, retirement: retirementOf(row as Record<string, unknown>), duplicate: inserted.length === 0,
      plans: plans.map((p) => ({ planId: p.plan_id, planVersion: Number(p.plan_version), hash: p.hash })),
      inFlightSagas: Number(sagas?.n ?? 0),
    };
  });
}

/** Every retired snapshot version, by catalog and version. */
export async function catalogRetirements(db: Queryable): Promise<CatalogRetirement[]> {
  const rows = await db.query<Record<string, unknown>>('SELECT * FROM catalog_retirement ORDER BY catalog_id, version');
  return rows.map(retirementOf);
}

/** The retirements as the intake looks them up (from `json_agg` of the table's rows, or the rows). */
export function retirementIndex(rows: Record<string, unknown>[]): Map<string, CatalogRetirement> {
  return new Map(rows.map((r) => { const x = retirementOf(r); return [key(x.catalogId, x.version), x]; }));
}

/** Why a plan takes no new order (its snapshot is retired), or null. */
export function staleSnapshotProblem(plan: CompiledPlan, retired: Map<string, CatalogRetirement>): string | null {
  const r = retired.get(key(plan.catalog.id, plan.catalog.version));
  if (!r) return null;
  return `plan ${plan.planId} version ${plan.planVersion} (${plan.hash.slice(0, 12)}) was compiled against catalog ${r.catalogId} ${r.version}, `
    + `retired on ${r.retiredAt.slice(0, 10)}${r.reason ? ` (${r.reason})` : ''}: it takes no new order`
    + `${r.replacedBy ? `; compile the plan against ${r.catalogId} ${r.replacedBy}` : '; compile the plan against a snapshot in force'}`;
}

function retirementOf(r: Record<string, unknown>): CatalogRetirement {
  return {
    catalogId: String(r.catalog_id), version: String(r.version), retiredAt: iso(r.retired_at) as string,
    reason: (r.reason as string | null) ?? null, replacedBy: (r.replaced_by as string | null) ?? null,
  };
}
