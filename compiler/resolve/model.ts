// The bound model: every declaration of the workspace with its names resolved against the other
// declarations and the catalog snapshot. Checks, lowering and the language server read it.
import type { Range } from '../diagnostics/diagnostic.js';
import type {
  AmendRule, BillingPolicy, BundleDecl, CancelRule, CatalogRefProperty, CompletionPolicy, Document, Ident,
  OnTimeoutProperty, OutcomeProperty, PlanDecl, RetryProperty, RuleProperty, StatusEntry, StepDecl, StepProperty,
  TemplateDecl,
} from '../syntax/ast.js';
import type { CatalogSnapshot, ProductOffering, StepKind } from '../catalog/schema.js';
import type { Compensation, OutcomeAction, RetryPolicy } from '../emit/schema.js';

/** The catalog section a name is looked up in. `template` is a notification template. */
export type CatalogSection =
  | 'offering' | 'service' | 'resource' | 'work' | 'target' | 'template' | 'stepKind' | 'characteristic';

/** What a name resolves to. Workspace targets carry the range of the declaring name. */
export type SymbolTarget =
  | { kind: 'step'; plan: string; step: string; file: string; range: Range }
  | { kind: 'template'; name: string; file: string; range: Range }
  | { kind: 'plan'; name: string; file: string; range: Range }
  | { kind: 'bundle'; name: string; file: string; range: Range }
  /** `offering` is set for a characteristic (the offering whose specification defines it). */
  | { kind: 'catalog'; section: CatalogSection; id: string; offering?: string };

/** Where in the source a name is used. */
export type ReferenceRole =
  | 'after' | 'cancel' | 'amend' | 'status' | 'template' | 'stepKind' | 'catalogRef' | 'offering'
  | 'bundleItem' | 'characteristic' | 'scheduledFrom';

/** One use of a name that resolved: go-to-definition, find references, rename, hover. */
export interface SymbolReference {
  file: string;
  range: Range;
  name: string;
  role: ReferenceRole;
  target: SymbolTarget;
}

/** One declaration of a workspace name (a step, template, plan or bundle): the rename anchor. */
export interface SymbolDefinition {
  file: string;
  /** The declared name. */
  range: Range;
  /** The whole declaration. */
  declarationRange: Range;
  doc?: string;
  target: Exclude<SymbolTarget, { kind: 'catalog' }>;
}

/** Where a resolved step policy came from, in resolution order step > template > plan defaults > catalog. */
export type PolicySource = 'step' | 'template' | 'defaults' | 'catalog';

export interface Sourced<T> {
  value: T;
  source: PolicySource;
  /** The property that set it (absent for catalog defaults). */
  file?: string;
  range?: Range;
}

/** A step's effective policies, each with its origin: inlay hints and hover show them. */
export interface ResolvedPolicies {
  owner: Sourced<string>;
  timeoutMs: Sourced<number>;
  onTimeout: Sourced<OutcomeAction>;
  retry: Sourced<RetryPolicy>;
  /** `none` for a step of a kind without side effects that declares nothing; undefined: a side-effecting step declares nothing. */
  compensation?: Sourced<Compensation>;
}

export interface BoundTemplate {
  name: string;
  file: string;
  decl: TemplateDecl;
  kind?: StepKind;
}

export interface BoundStep {
  name: string;
  plan: string;
  file: string;
  decl: StepDecl;
  /** Position in the plan's source order. */
  index: number;
  kindName: string;
  /** Undefined when the kind (or the template) does not resolve: kind-dependent checks skip the step. */
  kind?: StepKind;
  template?: BoundTemplate;
  /** Resolved `after` steps (unknown names are reported and left out), without repeats. */
  dependsOn: { name: string; ident: Ident }[];
  /** The catalog entry the step acts on, as written (step or template). */
  catalogRef?: Sourced<CatalogRefProperty>;
  /** Whether `catalogRef` names an entry of the right catalog section. */
  catalogRefResolved: boolean;
  evidence?: Sourced<Ident[]>;
  outcomes: Map<string, Sourced<OutcomeProperty>>;
  rule?: Sourced<RuleProperty>;
  policies: ResolvedPolicies;
  /** The retry property in effect (for fixes), if any. */
  retryProperty?: Sourced<RetryProperty>;
  onTimeoutProperty?: Sourced<OnTimeoutProperty>;
}

export interface BoundPlan {
  kind: 'plan';
  name: string;
  file: string;
  decl: PlanDecl;
  version: number;
  offering?: ProductOffering;
  /** Source order; a second step of the same name is reported and left out. */
  steps: BoundStep[];
  stepByName: ReadonlyMap<string, BoundStep>;
  defaults: StepProperty[];
  billing?: BillingPolicy;
  completion?: CompletionPolicy;
  cancel: CancelRule[];
  amendments: AmendRule[];
  status: StatusEntry[];
}

export interface BoundBundleItem {
  name: string;
  ident: Ident;
  planIdent: Ident;
  plan?: BoundPlan;
  optional: boolean;
}

export interface BoundBundle {
  kind: 'bundle';
  name: string;
  file: string;
  decl: BundleDecl;
  version: number;
  offering?: ProductOffering;
  items: BoundBundleItem[];
  billing?: BillingPolicy;
  completion?: CompletionPolicy;
  status: StatusEntry[];
}

export interface BoundModel {
  catalog?: CatalogSnapshot;
  documents: ReadonlyMap<string, Document>;
  /** Workspace-global; the first declaration of a name wins, later ones are reported. */
  plans: ReadonlyMap<string, BoundPlan>;
  bundles: ReadonlyMap<string, BoundBundle>;
  templates: ReadonlyMap<string, BoundTemplate>;
  references: SymbolReference[];
  definitions: SymbolDefinition[];
}
