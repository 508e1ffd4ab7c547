// The compiled plan: the one contract between the compiler and the runtime (and `o2a diff`).
// Defined once here; `schemas/compiled-plan.schema.json` is generated from it and checked with
// ajv by `o2a check` and by the runtime when it loads a plan.
import { z } from 'zod';

export const COMPILED_PLAN_FORMAT_VERSION = 1;

/** Rule conditions as a small expression tree, evaluated by the runtime, never eval'd. */
export type CompiledExpr =
  | { op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; left: CompiledExpr; right: CompiledExpr }
  | { op: 'in' | 'notIn'; value: CompiledExpr; list: (string | number | boolean)[] }
  | { op: 'and' | 'or'; args: CompiledExpr[] }
  | { op: 'not'; arg: CompiledExpr }
  | { op: 'characteristic'; name: string }
  | { op: 'literal'; value: string | number | boolean };

const literalValue = z.union([z.string(), z.number(), z.boolean()]);

export const compiledExprSchema: z.ZodType<CompiledExpr> = z.lazy(() =>
  z.union([
    z.object({ op: z.enum(['eq', 'ne', 'lt', 'le', 'gt', 'ge']), left: compiledExprSchema, right: compiledExprSchema }).strict(),
    z.object({ op: z.enum(['in', 'notIn']), value: compiledExprSchema, list: z.array(literalValue) }).strict(),
    z.object({ op: z.enum(['and', 'or']), args: z.array(compiledExprSchema).min(2) }).strict(),
    z.object({ op: z.literal('not'), arg: compiledExprSchema }).strict(),
    z.object({ op: z.literal('characteristic'), name: z.string() }).strict(),
    z.object({ op: z.literal('literal'), value: literalValue }).strict(),
  ]),
);

/** What a timeout or a reported outcome leads to. */
export const outcomeActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('fail') }).strict(),
  z.object({ action: z.literal('hold'), party: z.enum(['customer', 'provider']), message: z.string().optional() }).strict(),
  z.object({ action: z.literal('fallout'), ownerGroup: z.string().optional() }).strict(),
  /** Timeout only: the outcome is UNKNOWN, reconciliation reads the target back (§6.4, §26). */
  z.object({ action: z.literal('reconcile') }).strict(),
]);

export const retryPolicySchema = z.object({
  /** Retries after the first attempt (0: no retry). */
  maxRetries: z.number().int().min(0),
  backoff: z.enum(['none', 'fixed', 'exponential']),
  initialDelayMs: z.number().int().min(0),
  maxDelayMs: z.number().int().min(0),
  jitter: z.boolean(),
  /** Every attempt carries the same idempotency key. */
  sameIdempotencyKey: z.boolean(),
}).strict();

export const compensationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('compensate'), action: z.string(), requiresApproval: z.boolean() }).strict(),
  z.object({ kind: z.literal('irreversible') }).strict(),
  /** A step without side effects needs no compensation. */
  z.object({ kind: z.literal('none') }).strict(),
]);

export const compiledStepSchema = z.object({
  id: z.string(),
  kind: z.string(),
  owner: z.string(),
  /** Command sent to the owner and the events it answers with, from the catalog's step kind. */
  command: z.string(),
  succeededEvent: z.string(),
  failedEvent: z.string(),
  dependsOn: z.array(z.string()),
  /** The catalog entry the step acts on (service, resource, work type, activation target or notification template). */
  ref: z.object({ type: z.enum(['service', 'resource', 'work', 'target', 'template']), id: z.string() }).strict().nullable(),
  sideEffecting: z.boolean(),
  idempotentAdapter: z.boolean(),
  timeout: z.object({ ms: z.number().int().positive(), on: outcomeActionSchema }).strict(),
  retry: retryPolicySchema,
  compensation: compensationSchema,
  evidence: z.array(z.string()),
  /** Outcomes other than success and timeout, e.g. `no_access`, `rejected`, `verification_failed`. */
  outcomes: z.record(z.string(), outcomeActionSchema),
  condition: z.object({ mode: z.enum(['skip', 'only']), expr: compiledExprSchema }).strict().nullable(),
  /** Template the step was instantiated from, if any. */
  template: z.string().nullable(),
}).strict();

export const billingPolicySchema = z.object({
  trigger: z.enum(['acceptance', 'activation', 'customer_acceptance', 'first_usage', 'scheduled_date']),
  /** For `scheduled_date`: the order-item characteristic holding the date. */
  scheduledFrom: z.string().nullable(),
  /** True: billing readiness blocks product order completion; false: a gap goes to revenue assurance (§28). */
  blocksCompletion: z.boolean(),
}).strict();

export const cancellationRuleSchema = z.object({
  phase: z.enum(['before', 'after']),
  step: z.string(),
  action: z.enum(['stop', 'compensate', 'reject']),
  requiresApproval: z.boolean(),
  message: z.string().nullable(),
}).strict();

export const amendmentRuleSchema = z.object({
  name: z.string(),
  /** Steps re-run from scratch by the amendment (a delta, not a full replace). */
  replan: z.array(z.string()),
  /** Allowed until this step has started; null: always allowed. */
  until: z.string().nullable(),
  rejectAfter: z.object({ step: z.string(), message: z.string().nullable() }).strict().nullable(),
}).strict();

export const statusEntrySchema = z.object({
  step: z.string().nullable(),
  state: z.string(),
  text: z.string(),
}).strict();

const planIdentity = {
  formatVersion: z.literal(COMPILED_PLAN_FORMAT_VERSION),
  planId: z.string(),
  planVersion: z.number().int().positive(),
  offeringId: z.string(),
  offeringName: z.string(),
  /**
   * The TMF622 item actions the plan fulfils: an order item is fulfilled by the plan of its
   * offering and its action. Absent in plans compiled before actions were declared: `add`.
   */
  actions: z.array(z.enum(['add', 'modify', 'delete'])).min(1).optional(),
  source: z.object({ file: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
  catalog: z.object({ id: z.string(), version: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict(),
  /** sha256 of the canonical JSON of the plan without this field: the plan's address. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  billing: billingPolicySchema.nullable(),
  completion: z.object({ mode: z.enum(['all', 'partial_allowed']) }).strict(),
  statusMapping: z.array(statusEntrySchema),
};

export const compiledSinglePlanSchema = z.object({
  kind: z.literal('plan'),
  ...planIdentity,
  /** In topological order (ties broken by source order). */
  steps: z.array(compiledStepSchema),
  cancellation: z.array(cancellationRuleSchema),
  amendments: z.array(amendmentRuleSchema),
}).strict();

export const compiledBundleSchema = z.object({
  kind: z.literal('bundle'),
  ...planIdentity,
  items: z.array(z.object({
    name: z.string(),
    planId: z.string(),
    planHash: z.string().regex(/^[0-9a-f]{64}$/),
    optional: z.boolean(),
  }).strict()),
}).strict();

export const compiledPlanSchema = z.discriminatedUnion('kind', [compiledSinglePlanSchema, compiledBundleSchema]);

export type OutcomeAction = z.infer<typeof outcomeActionSchema>;
export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export type Compensation = z.infer<typeof compensationSchema>;
export type CompiledStep = z.infer<typeof compiledStepSchema>;
export type BillingPolicy = z.infer<typeof billingPolicySchema>;
export type CancellationRule = z.infer<typeof cancellationRuleSchema>;
export type AmendmentRule = z.infer<typeof amendmentRuleSchema>;
export type CompiledSinglePlan = z.infer<typeof compiledSinglePlanSchema>;
export type CompiledBundle = z.infer<typeof compiledBundleSchema>;
export type CompiledPlan = z.infer<typeof compiledPlanSchema>;

/** The item actions a compiled plan fulfils; one compiled before plans declared them fulfils `add`. */
export function actionsOf(plan: CompiledPlan): ('add' | 'modify' | 'delete')[] {
  return plan.actions ?? ['add'];
}
