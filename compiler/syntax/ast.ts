// The abstract syntax tree of an .o2a document. Every node carries its source range.
// After error recovery a required name may be missing: its Ident then has `name === ''`
// and `missing: true`; later stages skip such names instead of reporting them again.
import type { Range } from '../diagnostics/diagnostic.js';

export interface Ident {
  name: string;
  range: Range;
  missing?: true;
}

export interface Comment {
  kind: 'line' | 'block' | 'doc';
  /** The comment's full text including its markers (`// ...`, `/* ... *\/`, `/// ...`). */
  text: string;
  range: Range;
}

export interface Duration {
  /** As written, e.g. `10m`, `1h30m`, `500ms`. */
  text: string;
  ms: number;
  range: Range;
}

export interface StringLiteral {
  value: string;
  range: Range;
}

export interface NumberLiteral {
  value: number;
  range: Range;
}

export interface Document {
  kind: 'Document';
  /** The file name or URI the source came from. */
  file: string;
  catalog?: CatalogBinding;
  declarations: Declaration[];
  /** Every comment of the file in source order (doc comments too), for the formatter. */
  comments: Comment[];
  range: Range;
}

/** `catalog telco-core 2026.11` */
export interface CatalogBinding {
  kind: 'CatalogBinding';
  id: Ident;
  version: Ident;
  range: Range;
}

export type Declaration = PlanDecl | BundleDecl | TemplateDecl;

/** `plan HomeFiber1G version 3 for offering HOME_FIBER_1G { ... }` */
export interface PlanDecl {
  kind: 'Plan';
  name: Ident;
  /** Plan version; 1 when not written. */
  version?: NumberLiteral;
  offering: Ident;
  /** `action delete`: the TMF622 item actions fulfilled; when not written, the offering's order type decides. */
  actions?: ActionClause;
  doc?: string;
  members: PlanMember[];
  range: Range;
}

/** `action add, modify` in a plan or bundle header: the names as written (checked by the checker). */
export interface ActionClause {
  names: Ident[];
  range: Range;
}

export type PlanMember =
  | StepDecl
  | DefaultsBlock
  | BillingPolicy
  | CancelPolicy
  | AmendRule
  | StatusMapping
  | CompletionPolicy;

/** `template Reservation: resource_reservation { ... }`: properties reused by `step x from Reservation`. */
export interface TemplateDecl {
  kind: 'Template';
  name: Ident;
  stepKind: Ident;
  doc?: string;
  properties: StepProperty[];
  range: Range;
}

/**
 * `step ont: resource_reservation after internet { ... }` or
 * `step ont from Reservation after internet { ... }` (kind and properties from the template,
 * the step's own properties override).
 */
export interface StepDecl {
  kind: 'Step';
  name: Ident;
  stepKind?: Ident;
  template?: Ident;
  after: Ident[];
  doc?: string;
  properties: StepProperty[];
  range: Range;
}

/** `defaults { timeout 1h  retry 3 every 30s }`: plan-wide defaults for every step. */
export interface DefaultsBlock {
  kind: 'Defaults';
  properties: StepProperty[];
  range: Range;
}

export type StepProperty =
  | OwnerProperty
  | CatalogRefProperty
  | TimeoutProperty
  | OnTimeoutProperty
  | RetryProperty
  | CompensateProperty
  | IrreversibleProperty
  | EvidenceProperty
  | OutcomeProperty
  | RuleProperty;

/** `owner service-order` */
export interface OwnerProperty {
  kind: 'Owner';
  component: Ident;
  range: Range;
}

/** The catalog entry a step acts on. */
export type CatalogRefKey = 'service' | 'resource' | 'work' | 'target' | 'template';

/** `service INTERNET_ACCESS_CFS`, `resource ONT_GPON`, `work FTTH_INSTALLATION`, `target OLT_BNG_RADIUS`, `template SERVICE_ACTIVE` */
export interface CatalogRefProperty {
  kind: 'CatalogRef';
  key: CatalogRefKey;
  ref: Ident;
  range: Range;
}

/** `timeout 10m` */
export interface TimeoutProperty {
  kind: 'Timeout';
  duration: Duration;
  range: Range;
}

/** `on timeout fail` | `on timeout hold customer "..."` | `on timeout unknown then reconcile` | `on timeout fallout` */
export interface OnTimeoutProperty {
  kind: 'OnTimeout';
  action: OutcomeAction;
  range: Range;
}

/**
 * `retry 5 every 1m`, `retry 3 exponential 10s max 5m jitter same key`, `retry none`.
 * `count` is the number of retries after the first attempt.
 */
export interface RetryProperty {
  kind: 'Retry';
  count: NumberLiteral;
  backoff?: FixedBackoff | ExponentialBackoff;
  jitter: boolean;
  sameKey: boolean;
  range: Range;
}

export interface FixedBackoff {
  kind: 'fixed';
  every: Duration;
}

export interface ExponentialBackoff {
  kind: 'exponential';
  initial: Duration;
  max?: Duration;
}

/** `compensate release` | `compensate cancel_dispatch requires approval` */
export interface CompensateProperty {
  kind: 'Compensate';
  action: Ident;
  requiresApproval: boolean;
  range: Range;
}

/** `irreversible` */
export interface IrreversibleProperty {
  kind: 'Irreversible';
  range: Range;
}

/** `evidence ont_serial, photo` */
export interface EvidenceProperty {
  kind: 'Evidence';
  items: Ident[];
  range: Range;
}

/** `on no_access hold customer "Please pick a new slot"`, `on rejected fallout`, `on verification_failed fail` */
export interface OutcomeProperty {
  kind: 'Outcome';
  outcome: Ident;
  action: OutcomeAction;
  range: Range;
}

export type OutcomeAction =
  | { kind: 'fail'; range: Range }
  | { kind: 'hold'; party: 'customer' | 'provider'; message?: StringLiteral; range: Range }
  | { kind: 'fallout'; group?: Ident; range: Range }
  | { kind: 'reconcile'; range: Range }; // `unknown then reconcile`

/** `skip when <expr>` | `only when <expr>` */
export interface RuleProperty {
  kind: 'Rule';
  mode: 'skip' | 'only';
  condition: Expr;
  range: Range;
}

export type Expr = ComparisonExpr | InExpr | LogicalExpr | NotExpr | CharacteristicRef | LiteralExpr | MissingExpr;

/**
 * How deep parentheses and `not` may nest in one rule (`not (a or (b and not c))` is 4 deep).
 * Deeper nesting is one O2A0011 at the place it is exceeded; chains of `and`/`or` are flat
 * (`LogicalExpr.operands`) and may be of any length. Every stage may recurse over an expression:
 * the recursion is bounded by this depth, never by the length of a chain.
 */
export const maxExpressionNesting = 64;

/** What every expression node may carry: parentheses the author wrote around it. */
interface ExprBase {
  /** How many pairs of parentheses enclose the node in the source (absent: none). Its range excludes them. */
  parens?: number;
}

export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export interface ComparisonExpr extends ExprBase {
  kind: 'Comparison';
  op: ComparisonOp;
  left: Expr;
  right: Expr;
  range: Range;
}

/** `item.installation in ["self", "shop"]` or `not in` */
export interface InExpr extends ExprBase {
  kind: 'In';
  negated: boolean;
  value: Expr;
  list: LiteralExpr[];
  range: Range;
}

/** `a and b and c`: one node whose operands are the whole chain, in source order (two or more). */
export interface LogicalExpr extends ExprBase {
  kind: 'Logical';
  op: 'and' | 'or';
  operands: Expr[];
  range: Range;
}

export interface NotExpr extends ExprBase {
  kind: 'Not';
  operand: Expr;
  range: Range;
}

/** `item.installation`: a characteristic of the order item. `path` holds every segment (`item`, `installation`). */
export interface CharacteristicRef extends ExprBase {
  kind: 'CharacteristicRef';
  path: Ident[];
  range: Range;
}

export interface LiteralExpr extends ExprBase {
  kind: 'Literal';
  type: 'string' | 'number' | 'boolean' | 'duration';
  /** Durations are in ms. */
  value: string | number | boolean;
  /** As written. */
  text: string;
  range: Range;
}

/** Stands where recovery found no expression. */
export interface MissingExpr extends ExprBase {
  kind: 'MissingExpr';
  range: Range;
}

export type BillingTrigger = 'acceptance' | 'activation' | 'customer_acceptance' | 'first_usage' | 'scheduled_date';

/**
 * `billing starts on activation, blocks completion`
 * `billing starts on scheduled date item.contractStart, revenue assurance`
 * Gating: `blocks completion` (billing readiness is a blocker of product order completion) or
 * `revenue assurance` (the order may complete; a billing gap goes to revenue assurance, §28).
 */
export interface BillingPolicy {
  kind: 'Billing';
  trigger: BillingTrigger;
  triggerRange: Range;
  scheduledFrom?: CharacteristicRef;
  gating?: 'blocks_completion' | 'revenue_assurance';
  gatingRange?: Range;
  range: Range;
}

/** `cancel { before ont: stop  after ont: compensate  after network: compensate requires approval  after notify: reject "..." }` */
export interface CancelPolicy {
  kind: 'Cancel';
  rules: CancelRule[];
  range: Range;
}

export interface CancelRule {
  phase: 'before' | 'after';
  step: Ident;
  action: 'stop' | 'compensate' | 'reject';
  requiresApproval: boolean;
  message?: StringLiteral;
  range: Range;
}

/**
 * `amend appointment { replan install_slot, install }`
 * `amend speed { until network  after network: reject "use a modify order" }`
 */
export interface AmendRule {
  kind: 'Amend';
  name: Ident;
  replan: Ident[];
  until?: Ident;
  afterReject?: { step: Ident; message?: StringLiteral; range: Range };
  range: Range;
}

/** `status { install_slot running: "Preparing your installation"  completed: "Service active" }` */
export interface StatusMapping {
  kind: 'Status';
  entries: StatusEntry[];
  range: Range;
}

/** A step state (`running`, `waiting`, `held`, `failed`, `done`) for a step, or an order-level state (`received`, `completed`, `held`, `failed`, `cancelling`, `cancelled`) without one. */
export interface StatusEntry {
  step?: Ident;
  state: Ident;
  text: StringLiteral;
  range: Range;
}

/** `completion all` | `completion partial allowed` */
export interface CompletionPolicy {
  kind: 'Completion';
  mode: 'all' | 'partial_allowed';
  range: Range;
}

/** `bundle FamilyPack for offering FAMILY_PACK { item mobile: MobilePostpaid ... }` */
export interface BundleDecl {
  kind: 'Bundle';
  name: Ident;
  version?: NumberLiteral;
  offering: Ident;
  actions?: ActionClause;
  doc?: string;
  members: BundleMember[];
  range: Range;
}

export type BundleMember = BundleItem | BillingPolicy | CompletionPolicy | StatusMapping;

/** `item fiber: HomeFiber1G` or `item tv: OttStreaming optional` */
export interface BundleItem {
  kind: 'Item';
  name: Ident;
  plan: Ident;
  optional: boolean;
  doc?: string;
  range: Range;
}
