// The catalog snapshot format, defined once: the TypeScript types are inferred from this zod
// schema and `schemas/catalog.schema.json` is generated from it (checked with ajv).
// Shapes echo TM Forum's catalogs: TMF620 product offering / specification / characteristics,
// TMF633 service specifications (CFS/RFS), TMF634 resource specifications.
// Descriptions are carried into the JSON Schema, where editors show them on hover.
import { z } from 'zod';

const id = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/).describe('Catalog identifier: a letter, then letters, digits or underscores, e.g. ONT_GPON');
const lifecycleStatus = z.enum(['active', 'retired']).describe('`retired` entries stay in the snapshot so that older plans and in-flight orders still resolve, but new plans must not use them');
const entryName = z.string().describe('Human-readable name');
const entryDescription = z.string().describe('What the entry is, shown as hover documentation in the plan editor').optional();
const characteristicName = id.describe('Characteristic name, as rules refer to it: `item.<name>`');
const mandatory = z.boolean().default(false).describe('Whether every order item must carry a value');

export const characteristicSchema = z.discriminatedUnion('valueType', [
  z.object({
    name: characteristicName,
    description: entryDescription,
    valueType: z.literal('enum'),
    values: z.array(z.string()).min(1).describe('The allowed values'),
    mandatory,
    default: z.string().optional().describe('One of `values`'),
  }).strict(),
  z.object({
    name: characteristicName,
    description: entryDescription,
    valueType: z.literal('number'),
    unit: z.string().optional().describe('Unit of measure, e.g. Mbps'),
    min: z.number().optional(),
    max: z.number().optional(),
    mandatory,
    default: z.number().optional().describe('Within `min`..`max`'),
  }).strict(),
  z.object({
    name: characteristicName,
    description: entryDescription,
    valueType: z.literal('string'),
    format: z.enum(['text', 'date']).default('text')
      .describe('`date` marks an ISO date (e.g. a contract start date usable by a scheduled billing policy)'),
    mandatory,
    default: z.string().optional(),
  }).strict(),
  z.object({
    name: characteristicName,
    description: entryDescription,
    valueType: z.literal('boolean'),
    mandatory,
    default: z.boolean().optional(),
  }).strict(),
]).describe('A product characteristic an order item carries (TMF620 productSpecCharacteristic)');

export const productSpecificationSchema = z.object({
  id,
  name: entryName,
  characteristics: z.array(characteristicSchema).default([]),
}).strict().describe('The product specification behind an offering: its characteristics');

export const productOfferingSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  lifecycleStatus,
  replacedBy: id.optional().describe('Set when retired: the offering that replaces it, if any'),
  orderType: z.enum(['new', 'modify']).default('new')
    .describe('`new` offerings provide a service; `modify` offerings change an active one (no new field work)'),
  isBundle: z.boolean().default(false),
  bundledOfferings: z.array(id).default([]).describe('For a bundle: the offerings it bundles'),
  productSpecification: productSpecificationSchema,
  mandatoryServices: z.array(id).default([]).describe('Customer-facing services a plan for this offering must produce'),
}).strict().describe('A product offering that can be ordered (TMF620)');

export const serviceSpecificationSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  category: z.enum(['CFS', 'RFS']).describe('Customer-facing or resource-facing service'),
  lifecycleStatus: lifecycleStatus.default('active'),
  supportingServices: z.array(id).default([]).describe('CFS to RFS (or RFS to RFS) decomposition'),
  requiredResources: z.array(id).default([])
    .describe('Resource specifications the service needs; a plan producing it must reserve them'),
}).strict().describe('A service specification (TMF633)');

export const resourceSpecificationSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  category: z.enum(['cpe', 'number', 'sim', 'logical', 'network', 'port']),
  lifecycleStatus: lifecycleStatus.default('active'),
  replacedBy: id.optional().describe('Set when renamed or retired: the resource specification to use instead'),
}).strict().describe('A resource specification (TMF634)');

export const workTypeSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  evidence: z.array(id).default([]).describe('Completion evidence a technician must submit'),
}).strict().describe('A kind of field work a work order or appointment books');

export const activationTargetSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  systems: z.array(z.string()).default([]).describe('Network elements / platforms the activation configures'),
  supportsReadBack: z.boolean()
    .describe("Whether the target's state can be read back to reconcile an UNKNOWN outcome"),
}).strict().describe('A network or platform target an activation step configures');

export const stepKindSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/).describe('Step kind identifier: lower case, digits and underscores, e.g. work_order'),
  name: entryName,
  description: entryDescription,
  owner: z.string().regex(/^[a-z][a-z0-9-]*$/).describe('The component that owns this kind of step, e.g. workforce'),
  requires: z.enum(['service', 'resource', 'work', 'target', 'template']).optional()
    .describe('The catalog reference a step of this kind needs, if any'),
  sideEffecting: z.boolean()
    .describe('Whether executing it changes something outside o2a (and so needs compensation or `irreversible`)'),
  idempotent: z.boolean().describe("Whether its adapter applies a repeated command at most once by itself"),
  compensations: z.array(z.string()).default([]).describe('Compensating actions its owner supports'),
  outcomes: z.array(z.string()).default([])
    .describe('Outcomes its owner can report besides success and timeout, e.g. no_access'),
  command: z.string().describe('Command sent to the owner, e.g. CreateWorkOrder'),
  succeededEvent: z.string().describe('Event the owner answers with on success, in the past tense'),
  failedEvent: z.string().describe('Event the owner answers with on failure'),
  defaultTimeoutMs: z.number().int().positive().describe('Timeout when a plan sets none, in milliseconds'),
}).strict().describe('A kind of plan step and the component that executes it');

export const notificationTemplateSchema = z.object({
  id,
  name: entryName,
  description: entryDescription,
  channels: z.array(z.enum(['sms', 'email', 'push', 'letter'])).default(['sms']),
  announcesActiveService: z.boolean().default(false)
    .describe('Tells the customer the service is active: must come after technical verification'),
}).strict().describe('A customer notification template');

export const catalogSnapshotSchema = z.object({
  $schema: z.string().optional().describe('Path or URL of this JSON Schema, for editors'),
  catalogId: z.string().regex(/^[a-z][a-z0-9-]*$/).describe('Catalog identifier, e.g. telco-core'),
  version: z.string().regex(/^\d{4}\.\d{2}(\.\d+)?$/).describe('Snapshot version, YYYY.MM or YYYY.MM.N'),
  releasedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('Release date, YYYY-MM-DD'),
  description: entryDescription,
  productOfferings: z.array(productOfferingSchema),
  serviceSpecifications: z.array(serviceSpecificationSchema),
  resourceSpecifications: z.array(resourceSpecificationSchema),
  workTypes: z.array(workTypeSchema),
  activationTargets: z.array(activationTargetSchema),
  stepKinds: z.array(stepKindSchema),
  notificationTemplates: z.array(notificationTemplateSchema),
}).strict().describe('A versioned catalog snapshot: offerings, services, resources and the step kinds plans are built from');

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
