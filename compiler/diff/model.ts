// The result of `o2a diff` as data: every change with its rule, level and fingerprint. Defined
// once as a zod schema; `schemas/diff.schema.json` is generated from it.
import { z } from 'zod';

export const DIFF_REPORT_FORMAT_VERSION = 1;

export const diffLevels = ['breaking', 'dangerous', 'safe'] as const;
export const diffLevelSchema = z.enum(diffLevels);
export type DiffLevel = z.infer<typeof diffLevelSchema>;

const levelRank: Record<DiffLevel, number> = { breaking: 0, dangerous: 1, safe: 2 };

/** True when `level` is as severe as `threshold` or more. */
export function levelAtLeast(level: DiffLevel, threshold: DiffLevel): boolean {
  return levelRank[level] <= levelRank[threshold];
}

export function compareLevels(a: DiffLevel, b: DiffLevel): number {
  return levelRank[a] - levelRank[b];
}

export const planChangeSchema = z.object({
  /** Id of the rule that found the change, e.g. `step-removed`. */
  rule: z.string(),
  level: diffLevelSchema,
  planId: z.string(),
  /** The step (current id, or the previous id for a removed step); null for plan-level changes. */
  stepId: z.string().nullable(),
  /** What changed, e.g. `timeout.ms`, `dependsOn`, `billing.trigger`; null for a whole plan or step. */
  field: z.string().nullable(),
  old: z.json().nullable(),
  new: z.json().nullable(),
  /** One line: why this is breaking, dangerous or safe for sagas in flight or for customers. */
  reason: z.string(),
  /** sha256 of the canonical JSON of [rule, planId, stepId, field, old, new]: what an approval names. */
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  /** Listed in the approvals file: reported, but not counted towards --fail-on. */
  approved: z.boolean(),
  approvalNote: z.string().nullable(),
}).strict();

export type PlanChange = z.infer<typeof planChangeSchema>;

const countsSchema = z.object({
  breaking: z.number().int().min(0),
  dangerous: z.number().int().min(0),
  safe: z.number().int().min(0),
  approved: z.number().int().min(0),
}).strict();

export const diffReportSchema = z.object({
  formatVersion: z.literal(DIFF_REPORT_FORMAT_VERSION),
  /** What was compared, as the user named it (paths, a git revision, catalog snapshots). */
  previous: z.string(),
  current: z.string(),
  failOn: diffLevelSchema,
  /** Exit code of `o2a diff`: 0 no changes, 2 changes below --fail-on, 3 at or above. */
  exitCode: z.union([z.literal(0), z.literal(2), z.literal(3)]),
  summary: countsSchema,
  changes: z.array(planChangeSchema),
}).strict();

export type DiffReport = z.infer<typeof diffReportSchema>;

/** The committed approvals file (`.o2a-approved.json`): known changes a team accepted. */
export const approvalsFileSchema = z.object({
  approvals: z.array(z.object({
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    note: z.string(),
    rule: z.string().optional(),
    planId: z.string().optional(),
  }).strict()),
}).strict();

export type ApprovalsFile = z.infer<typeof approvalsFileSchema>;

export const DIFF_SCHEMA_FILE = 'diff.schema.json';

/** The published JSON Schema of `o2a diff --format json` (schemas/diff.schema.json). */
export function diffReportJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(diffReportSchema, { io: 'output' }) as Record<string, unknown>;
  return { $schema, $id: `https://o2a.dev/schemas/${DIFF_SCHEMA_FILE}`, title: 'o2a diff report', ...rest };
}
