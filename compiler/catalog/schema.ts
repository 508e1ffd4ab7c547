// The catalog snapshot format, defined once: the TypeScript types are inferred from this zod
// schema and `schemas/catalog.schema.json` is generated from it (checked with ajv).
// Shapes echo TM Forum's catalogs: TMF620 product offering / specification / characteristics,
// TMF633 service specifications (CFS/RFS), TMF634 resource specifications.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).describe('Catalog identifier, e.g. ONT_GPON');
const lifecycleStatus = z.enum(['active', 'retired']);

export const characteristicSchema = z.discriminatedUnion('valueType', [
  z.object({
    name: id,
    description: z.string().optional(),
    valueType: z.literal('enum'),
    values: z.array(z.string()).min(1),
    mandatory: z.boolean().default(false),
    default: z.string().optional(),
  }).strict(),
  z.object({
    name: id,
    description: z.string().optional(),
    valueType: z.literal('number'),
    unit: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    mandatory: z.boolean().default(false),
    default: z.number().optional(),
  }).strict(),
  z.object({
    name: id,
    description: z.string().optional(),
    valueType: z.literal('string'),
    /** `date` marks an ISO date (e.g. a contract start date usable by a scheduled billing policy). */
    format: z.enum(['text', 'date']).default('text'),
    mandatory: z.boolean().default(false),
    default: z.string().optional(),
  }).strict(),
  z.object({
    name: id,
    description: z.string().optional(),
    valueType: z.literal('boolean'),
    mandatory: z.boolean().default(false),
    default: z.boolean().optional(),
  }).strict(),
]);

export const productSpecificationSchema = z.object({
  id,
  name: z.string(),
  characteristics: z.array(characteristicSchema).default([]),
}).strict();

export const productOfferingSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  lifecycleStatus,
  /** Set when retired: the offering that replaces it, if any. */
  replacedBy: id.optional(),
  /** `new` offerings provide a service; `modify` offerings change an active one (no new field work). */
  orderType: z.enum(['new', 'modify']).default('new'),
  isBundle: z.boolean().default(false),
  /** For a bundle: the offerings it bundles. */
  bundledOfferings: z.array(id).default([]),
  productSpecification: productSpecificationSchema,
  /** Customer-facing services a plan for this offering must produce. */
  mandatoryServices: z.array(id).default([]),
}).strict();

export const serviceSpecificationSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  category: z.enum(['CFS', 'RFS']),
  lifecycleStatus: lifecycleStatus.default('active'),
  /** CFS to RFS (or RFS to RFS) decomposition. */
  supportingServices: z.array(id).default([]),
  /** Resource specifications the service needs; a plan producing it must reserve them. */
  requiredResources: z.array(id).default([]),
}).strict();

export const resourceSpecificationSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  category: z.enum(['cpe', 'number', 'sim', 'logical', 'network', 'port']),
  lifecycleStatus: lifecycleStatus.default('active'),
  /** Set when renamed or retired. */
  replacedBy: id.optional(),
}).strict();

export const workTypeSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  /** Completion evidence a technician must submit. */
  evidence: z.array(id).default([]),
}).strict();

export const activationTargetSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  /** Network elements / platforms the activation configures. */
  systems: z.array(z.string()).default([]),
  /** Whether the target's state can be read back to reconcile an UNKNOWN outcome. */
  supportsReadBack: z.boolean(),
}).strict();

export const stepKindSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/),
  name: z.string(),
  description: z.string().optional(),
  /** The component that owns this kind of step. */
  owner: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** The catalog reference a step of this kind needs, if any. */
  requires: z.enum(['service', 'resource', 'work', 'target', 'template']).optional(),
  /** Whether executing it changes something outside o2a (and so needs compensation or `irreversible`). */
  sideEffecting: z.boolean(),
  /** Whether its adapter applies a repeated command at most once by itself. */
  idempotent: z.boolean(),
  /** Compensating actions its owner supports. */
  compensations: z.array(z.string()).default([]),
  /** Outcomes its owner can report besides success and timeout, e.g. no_access. */
  outcomes: z.array(z.string()).default([]),
  /** Command sent to the owner (§11 names) and the events it answers with (§10 names). */
  command: z.string(),
  succeededEvent: z.string(),
  failedEvent: z.string(),
  defaultTimeoutMs: z.number().int().positive(),
}).strict();

export const notificationTemplateSchema = z.object({
  id,
  name: z.string(),
  description: z.string().optional(),
  channels: z.array(z.enum(['sms', 'email', 'push', 'letter'])).default(['sms']),
  /** Tells the customer the service is active: must come after technical verification. */
  announcesActiveService: z.boolean().default(false),
}).strict();

export const catalogSnapshotSchema = z.object({
  $schema: z.string().optional(),
  catalogId: z.string().regex(/^[a-z][a-z0-9-]*$/),
  version: z.string().regex(/^\d{4}\.\d{2}(\.\d+)?$/),
  releasedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  description: z.string().optional(),
  productOfferings: z.array(productOfferingSchema),
  serviceSpecifications: z.array(serviceSpecificationSchema),
  resourceSpecifications: z.array(resourceSpecificationSchema),
  workTypes: z.array(workTypeSchema),
  activationTargets: z.array(activationTargetSchema),
  stepKinds: z.array(stepKindSchema),
  notificationTemplates: z.array(notificationTemplateSchema),
}).strict();

export type Characteristic = z.infer<typeof characteristicSchema>;
export type ProductOffering = z.infer<typeof productOfferingSchema>;
export type ServiceSpecification = z.infer<typeof serviceSpecificationSchema>;
export type ResourceSpecification = z.infer<typeof resourceSpecificationSchema>;
export type WorkType = z.infer<typeof workTypeSchema>;
export type ActivationTarget = z.infer<typeof activationTargetSchema>;
export type StepKind = z.infer<typeof stepKindSchema>;
export type NotificationTemplate = z.infer<typeof notificationTemplateSchema>;
export type CatalogSnapshotData = z.infer<typeof catalogSnapshotSchema>;

/** A loaded, validated snapshot with its identity and lookup maps. */
export interface CatalogSnapshot {
  data: CatalogSnapshotData;
  /** sha256 (hex) of the canonical JSON of `data`. */
  sha256: string;
  /** Where it was loaded from (directory or file). */
  source: string;
  offerings: ReadonlyMap<string, ProductOffering>;
  services: ReadonlyMap<string, ServiceSpecification>;
  resources: ReadonlyMap<string, ResourceSpecification>;
  workTypes: ReadonlyMap<string, WorkType>;
  activationTargets: ReadonlyMap<string, ActivationTarget>;
  stepKinds: ReadonlyMap<string, StepKind>;
  notificationTemplates: ReadonlyMap<string, NotificationTemplate>;
}
