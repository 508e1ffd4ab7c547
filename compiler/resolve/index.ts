// Name resolution: binds every name of the workspace's documents to its definition (a step, a
// template, a plan, or a catalog entry) and reports what does not bind.
import type { Diagnostic, Fix, Range } from '../diagnostics/diagnostic.js';
import { diagnostic } from '../diagnostics/index.js';
import { closestMatch, fewCandidates } from '../diagnostics/suggest.js';
import type { CatalogSnapshot, ProductOffering, StepKind } from '../catalog/schema.js';
import type {
  BillingPolicy, BundleDecl, CatalogRefKey, CharacteristicRef, Document, Expr, Ident, PlanDecl, StepDecl, StepProperty, TemplateDecl,
} from '../syntax/ast.js';
import type {
  BoundBundle, BoundBundleItem, BoundModel, BoundPlan, BoundStep, BoundTemplate, ReferenceRole,
  SymbolDefinition, SymbolReference, SymbolTarget,
} from './model.js';
import {
  activeCatalogIds, catalogIds, catalogRefSection, lookupCatalog, sectionNoun, unknownCode,
} from './catalog-lookup.js';
import { replaceFix } from './fixes.js';
import { resolveEffectiveStep, type PropertyLayer } from './policies.js';

export * from './model.js';
export { compileOutcomeAction, compileRetry, noRetry } from './policies.js';

export interface ResolveOptions {
  /** The catalog stage already reported why there is no snapshot: do not report it again. */
  catalogProblemReported?: boolean;
  /**
   * Keep what binding each plan and step gave, and reuse it for the nodes that an incremental
   * re-parse kept (the language server, on every edit). Off for one-off compiles.
   */
  reuse?: boolean;
}

export interface ResolveResult {
  model: BoundModel;
  diagnostics: Diagnostic[];
}

type Decl = PlanDecl | BundleDecl | TemplateDecl;

const propertyNoun: Record<StepProperty['kind'], string> = {
  Owner: 'owner', CatalogRef: 'catalog reference', Timeout: 'timeout', OnTimeout: 'on timeout', Retry: 'retry',
  Compensate: 'compensate', Irreversible: 'irreversible', Evidence: 'evidence', Outcome: 'outcome', Rule: 'rule',
};

const defaultsAllowed = new Set<StepProperty['kind']>(['Timeout', 'OnTimeout', 'Retry']);

function usable(id: Ident | undefined): id is Ident {
  return id !== undefined && !id.missing && id.name !== '';
}

/**
 * A kind takes the catalog reference it requires; a kind that requires none may still say which
 * service it is about (`inventory_commit { service X }` commits that service to the inventory).
 */
export function refApplies(kind: StepKind, key: CatalogRefKey): boolean {
  return kind.requires !== undefined ? kind.requires === key : key === 'service';
}

/** `a work_order step`, `an activation step`. */
export function aKind(id: string): string {
  return /^[aeiou]/.test(id) ? `an ${id}` : `a ${id}`;
}

/** "did you mean" with its fix (replace the name) for an unknown name, or nothing when no candidate is close. */
function didYouMeanHelp(file: string, ident: { name: string; range: Range }, candidates: Iterable<string>): { help?: string; fixes?: Fix[] } {
  const suggestion = closestMatch(ident.name, candidates);
  if (suggestion === undefined) return {};
  return { help: `did you mean '${suggestion}'?`, fixes: [replaceFix(`Replace with '${suggestion}'`, file, ident.range, suggestion)] };
}

/**
 * Help for an unknown catalog name: "did you mean" with its fix, else the names the catalog has,
 * when they are few enough to list (`nouns`: what they are, e.g. 'step kinds').
 */
function unknownNameHelp(file: string, ident: Ident, candidates: readonly string[], nouns: string): { help?: string; fixes?: Fix[] } {
  const close = didYouMeanHelp(file, ident, candidates);
  if (close.help !== undefined) return close;
  const few = fewCandidates(candidates);
  return few !== undefined ? { help: `the ${nouns} of this catalog are: ${few.join(', ')}` } : {};
}

/**
 * What binding one step gave, reused while the step's AST node and everything its binding reads
 * are the same objects: the language server binds a large plan again on every edit, and a step
 * the edit did not touch keeps its node (an incremental re-parse moves it in place). Diagnostics
 * and references hold the node's own ranges, so they move with it.
 */
interface StepBinding {
  catalog: CatalogSnapshot | undefined;
  file: string;
  plan: string;
  template: BoundTemplate['decl'] | undefined;
  templateFile: string | undefined;
  templateKind: StepKind | undefined;
  /** The workspace's template names (an unknown template's did-you-mean), when the template is unknown. */
  templateNames: string | undefined;
  defaults: StepProperty[];
  step: BoundStep;
  diagnostics: Diagnostic[];
  references: SymbolReference[];
  definition: SymbolDefinition;
  /** The `after` list, bound against the plan's step names (and the nodes of the steps it names). */
  dependencies?: {
    plan: string;
    names: number;
    targets: StepDecl[];
    dependsOn: BoundStep['dependsOn'];
    diagnostics: Diagnostic[];
    references: SymbolReference[];
  };
  /** The rule's characteristics, bound against `offering` (after every step is bound). */
  rule?: { offering: ProductOffering | undefined; diagnostics: Diagnostic[]; references: SymbolReference[] };
}

const stepBindings = new WeakMap<StepDecl, StepBinding>();

function stepDefinition(plan: BoundPlan, decl: StepDecl): SymbolDefinition {
  return {
    file: plan.file, range: decl.name.range, declarationRange: decl.range, ...(decl.doc !== undefined ? { doc: decl.doc } : {}),
    target: { kind: 'step', plan: plan.name, step: decl.name.name, file: plan.file, range: decl.name.range },
  };
}

/** A bound step with its own index and an empty `dependsOn` (fields in one order: one object shape). */
function copyStep(s: BoundStep, index: number, template: BoundTemplate | undefined): BoundStep {
  const step: BoundStep = {
    name: s.name, plan: s.plan, file: s.file, decl: s.decl, index, kindName: s.kindName, dependsOn: [],
    outcomes: s.outcomes, policies: s.policies, catalogRefResolved: s.catalogRefResolved,
  };
  if (s.kind !== undefined) step.kind = s.kind;
  if (template !== undefined) step.template = template;
  if (s.catalogRef !== undefined) step.catalogRef = s.catalogRef;
  if (s.evidence !== undefined) step.evidence = s.evidence;
  if (s.rule !== undefined) step.rule = s.rule;
  if (s.retryProperty !== undefined) step.retryProperty = s.retryProperty;
  if (s.onTimeoutProperty !== undefined) step.onTimeoutProperty = s.onTimeoutProperty;
  return step;
}

const noDefaults: StepProperty[] = [];

/** The bound template of a template node (with the catalog its kind was resolved in). */
const boundTemplates = new WeakMap<TemplateDecl, { catalog: CatalogSnapshot | undefined; template: BoundTemplate }>();

/**
 * What resolving a plan gave last time (by the plan's name node, which an incremental re-parse
 * keeps), with where each step's part lies in its diagnostics, references and definitions: when
 * only steps changed (same names), the next run re-binds those steps (and the `after` lists
 * naming them) and copies the rest, instead of visiting a thousand steps.
 */
interface PlanRun {
  catalog: CatalogSnapshot | undefined;
  file: string;
  decl: PlanDecl;
  templates: BoundTemplate[];
  plan: BoundPlan;
  namesVersion: number;
  /** Plan members by index: the step index, or -1. */
  memberStep: Int32Array;
  /** The plan's part of the resolver's output. */
  diagnostics: Diagnostic[];
  references: SymbolReference[];
  definitions: SymbolDefinition[];
  /** Where the step part starts (after the offering, the defaults and the singletons). */
  prefix: { d: number; r: number };
  /** Per step, [d0, d1, r0, r1, f0, f1] of its binding; [d0, d1, r0, r1] of its `after` list and of its rule. */
  bind: Int32Array;
  deps: Int32Array;
  rule: Int32Array;
  /** Steps by the step names their `after` lists give. */
  dependents: Map<string, number[]>;
}

const planRuns = new WeakMap<Ident, PlanRun>();

/** Plans bound whole, and plans bound from their last run (tests and `o2a/stats`). */
export const planBindCounts = { whole: 0, again: 0 };

/** Each plan's step names of the last run and their number (`Resolver.stepNamesVersion`), by the plan's name node. */
const lastStepNames = new WeakMap<Ident, { names: string; version: number }>();
let stepNamesCounter = 0;

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  readonly references: SymbolReference[] = [];
  readonly definitions: SymbolDefinition[] = [];
  readonly templates = new Map<string, BoundTemplate>();
  readonly plans = new Map<string, BoundPlan>();
  readonly bundles = new Map<string, BoundBundle>();
  private readonly declared = new Map<string, { file: string; decl: Decl }>();
  private templateNameList?: string;
  private readonly stepNameVersions = new Map<BoundPlan, number>();

  constructor(readonly documents: Document[], readonly catalog: CatalogSnapshot | undefined, readonly options: ResolveOptions) {}

  report(code: string, file: string, range: Range, message: string, details: Parameters<typeof diagnostic>[4] = {}): void {
    this.diagnostics.push(diagnostic(code, file, range, message, details));
  }

  reference(file: string, ident: Ident, role: ReferenceRole, target: SymbolTarget): void {
    this.references.push({ file, range: ident.range, name: ident.name, role, target });
  }

  run(): void {
    for (const doc of this.documents) this.checkBinding(doc);
    for (const doc of this.documents) for (const decl of doc.declarations) this.declare(doc.file, decl);
    for (const t of this.templates.values()) this.resolveTemplate(t);
    for (const doc of this.documents) {
      for (const decl of doc.declarations) {
        if (decl.kind === 'Plan' && this.plans.get(decl.name.name)?.decl === decl) this.resolvePlan(this.plans.get(decl.name.name)!);
      }
    }
    for (const b of this.bundles.values()) this.resolveBundle(b);
  }

  // --- catalog binding -------------------------------------------------------------------------

  private checkBinding(doc: Document): void {
    if (doc.declarations.length === 0) return;
    const binding = doc.catalog;
    const catalog = this.catalog;
    if (catalog === undefined) {
      if (!this.options.catalogProblemReported) {
        this.report('O2A2004', doc.file, binding?.range ?? doc.declarations[0]!.name.range,
          `no catalog snapshot to check '${doc.file}' against`,
          { help: 'give a catalog snapshot (e.g. `--catalog catalogs/2026.11`)' });
      }
      return;
    }
    const { catalogId, version } = catalog.data;
    // A file without a binding is reported by the parser (O2A0007) and checked against the snapshot given.
    if (binding === undefined) return;
    const first = doc.declarations.find((d) => d.kind !== 'Template') ?? doc.declarations[0]!;
    const subject = `${first.kind === 'Template' ? 'template' : first.kind === 'Plan' ? 'plan' : 'bundle'} ${first.name.name}`;
    if (usable(binding.id) && binding.id.name !== catalogId) {
      this.report('O2A2002', doc.file, binding.id.range,
        `${subject} is pinned to catalog '${binding.id.name}' but is checked against catalog '${catalogId}'`, {
          help: `the snapshot given is ${catalogId} ${version}`,
          fixes: [replaceFix(`Pin to catalog ${catalogId}`, doc.file, binding.id.range, catalogId)],
        });
    } else if (usable(binding.version) && binding.version.name !== version) {
      this.report('O2A2003', doc.file, binding.version.range,
        `${subject} is pinned to catalog ${binding.id.name} ${binding.version.name} but is checked against ${version}`, {
          help: `check it against catalog snapshot ${binding.version.name}, or re-pin it to ${version} after reviewing the changes`,
          fixes: [replaceFix(`Re-pin to ${version}`, doc.file, binding.version.range, version)],
        });
    }
  }

  // --- declarations ----------------------------------------------------------------------------

  private declare(file: string, decl: Decl): void {
    if (!usable(decl.name)) return;
    const name = decl.name.name;
    const earlier = this.declared.get(name);
    if (earlier !== undefined) {
      this.report('O2A2031', file, decl.name.range, `'${name}' is already declared`, {
        help: 'plans, bundles and templates share one namespace in the workspace: rename one of them',
        related: [{ file: earlier.file, range: earlier.decl.name.range, message: `first declaration of '${name}'` }],
      });
      return;
    }
    this.declared.set(name, { file, decl });
    const version = decl.kind !== 'Template' ? Math.max(1, Math.floor(decl.version?.value ?? 1)) : 1;
    const def = (target: SymbolDefinition['target']): void => {
      const d: SymbolDefinition = { file, range: decl.name.range, declarationRange: decl.range, target };
      if (decl.doc !== undefined) d.doc = decl.doc;
      this.definitions.push(d);
    };
    if (decl.kind === 'Template') {
      // The same object as last time for the same node and catalog: steps bound from it can be reused.
      const last = this.options.reuse === true ? boundTemplates.get(decl) : undefined;
      const template = last !== undefined && last.catalog === this.catalog && last.template.file === file ? last.template : { name, file, decl };
      if (this.options.reuse === true && last?.template !== template) boundTemplates.set(decl, { catalog: this.catalog, template });
      this.templates.set(name, template);
      def({ kind: 'template', name, file, range: decl.name.range });
    } else if (decl.kind === 'Plan') {
      this.plans.set(name, {
        kind: 'plan', name, file, decl, version, steps: [], stepByName: new Map(),
        defaults: noDefaults, cancel: [], amendments: [], status: [],
      });
      def({ kind: 'plan', name, file, range: decl.name.range });
    } else {
      this.bundles.set(name, { kind: 'bundle', name, file, decl, version, items: [], status: [] });
      def({ kind: 'bundle', name, file, range: decl.name.range });
    }
  }

  private resolveOffering(file: string, ident: Ident): ProductOffering | undefined {
    const catalog = this.catalog;
    if (catalog === undefined || !usable(ident)) return undefined;
    const offering = catalog.offerings.get(ident.name);
    if (offering === undefined) {
      this.report('O2A2010', file, ident.range,
        `unknown product offering '${ident.name}' in catalog ${catalog.data.catalogId} ${catalog.data.version}`,
        unknownNameHelp(file, ident, activeCatalogIds(catalog, 'offering'), 'active product offerings'));
      return undefined;
    }
    this.reference(file, ident, 'offering', { kind: 'catalog', section: 'offering', id: offering.id });
    if (offering.lifecycleStatus === 'retired') {
      const by = offering.replacedBy;
      this.report('O2A2011', file, ident.range,
        `product offering '${offering.id}' is retired in catalog ${catalog.data.catalogId} ${catalog.data.version}`, {
          help: by !== undefined ? `it is replaced by '${by}'` : 'no offering replaces it: retire this plan too',
          ...(by !== undefined ? { fixes: [replaceFix(`Replace with '${by}'`, file, ident.range, by)] } : {}),
        });
    }
    return offering;
  }

  // --- step properties -------------------------------------------------------------------------

  /** Checks one property list as written: duplicates, applicability, catalog names. */
  private checkProperties(file: string, properties: StepProperty[], kind: StepKind | undefined, where: 'step' | 'template' | 'defaults'): void {
    const seen = new Map<string, StepProperty>();
    let compensation: StepProperty | undefined;
    for (const p of properties) {
      if (where === 'defaults' && !defaultsAllowed.has(p.kind)) {
        this.report('O2A2037', file, p.range, `'${propertyNoun[p.kind]}' cannot be a plan default`, {
          help: 'plan defaults hold `timeout`, `on timeout` and `retry`; declare the rest on the steps or in a template',
        });
        continue;
      }
      const slot = p.kind === 'CatalogRef' ? `ref:${p.key}`
        : p.kind === 'Outcome' ? `outcome:${p.outcome.name}`
        : p.kind === 'Rule' ? 'rule'
        : p.kind;
      const earlier = seen.get(slot);
      if (earlier !== undefined) {
        const what = p.kind === 'CatalogRef' ? p.key : p.kind === 'Outcome' ? `on ${p.outcome.name}` : p.kind === 'Rule' ? 'skip/only when' : propertyNoun[p.kind];
        this.report('O2A2033', file, p.range, `'${what}' is declared twice`, {
          help: 'keep one: only the first one would count',
          related: [{ file, range: earlier.range, message: 'first declared here' }],
          fixes: [replaceFix('Remove the repeated property', file, p.range, '')],
        });
        continue;
      }
      seen.set(slot, p);
      if (p.kind === 'Compensate' || p.kind === 'Irreversible') {
        if (compensation !== undefined && compensation.kind !== p.kind) {
          this.report('O2A2036', file, p.range, 'a step cannot both be compensated and be irreversible', {
            help: 'keep `compensate <action>` if the owner can undo the step, otherwise `irreversible`',
            related: [{ file, range: compensation.range, message: 'declared here' }],
          });
        }
        compensation ??= p;
      }
      if (p.kind === 'CatalogRef') this.checkCatalogRef(file, p, kind);
      if (p.kind === 'Evidence' && kind !== undefined && kind.requires !== 'work') {
        this.report('O2A2034', file, p.range, `'evidence' does not apply to ${aKind(kind.id)} step`, {
          help: 'completion evidence is declared on steps with field work (work orders)',
          fixes: [replaceFix('Remove the property', file, p.range, '')],
        });
      }
    }
  }

  private checkCatalogRef(file: string, p: StepProperty & { kind: 'CatalogRef' }, kind: StepKind | undefined): void {
    if (kind !== undefined && !refApplies(kind, p.key)) {
      this.report('O2A2034', file, p.range, `'${p.key}' does not apply to ${aKind(kind.id)} step`, {
        help: kind.requires !== undefined ? `${aKind(kind.id)} step takes \`${kind.requires} <id>\`` : `${aKind(kind.id)} step takes at most \`service <id>\``,
        fixes: [replaceFix('Remove the property', file, p.range, '')],
      });
      return;
    }
    const catalog = this.catalog;
    if (catalog === undefined || !usable(p.ref)) return;
    const section = catalogRefSection[p.key];
    const info = lookupCatalog(catalog, section, p.ref.name);
    if (!info.exists) {
      this.report(unknownCode[p.key], file, p.ref.range,
        `unknown ${sectionNoun[section]} '${p.ref.name}' in catalog ${catalog.data.catalogId} ${catalog.data.version}`,
        unknownNameHelp(file, p.ref, activeCatalogIds(catalog, section), `active ${sectionNoun[section]}s`));
      return;
    }
    this.reference(file, p.ref, 'catalogRef', { kind: 'catalog', section, id: p.ref.name });
    if (info.retired) {
      const by = info.replacedBy;
      this.report('O2A2018', file, p.ref.range,
        `${sectionNoun[section]} '${p.ref.name}' is retired in catalog ${catalog.data.catalogId} ${catalog.data.version}`, {
          help: by !== undefined ? `it is replaced by '${by}'` : 'nothing replaces it in this snapshot',
          ...(by !== undefined ? { fixes: [replaceFix(`Replace with '${by}'`, file, p.ref.range, by)] } : {}),
        });
    }
  }

  private resolveKind(file: string, ident: Ident): StepKind | undefined {
    const catalog = this.catalog;
    if (catalog === undefined || !usable(ident)) return undefined;
    const kind = catalog.stepKinds.get(ident.name);
    if (kind === undefined) {
      this.report('O2A2012', file, ident.range, `unknown step kind '${ident.name}'`, unknownNameHelp(file, ident, catalogIds(catalog, 'stepKind'), 'step kinds'));
      return undefined;
    }
    this.reference(file, ident, 'stepKind', { kind: 'catalog', section: 'stepKind', id: kind.id });
    return kind;
  }

  private resolveTemplate(t: BoundTemplate): void {
    const kind = this.resolveKind(t.file, t.decl.stepKind);
    if (kind !== undefined) t.kind = kind;
    this.checkProperties(t.file, t.decl.properties, kind, 'template');
  }

  // --- plans -----------------------------------------------------------------------------------

  /** Runs `f`, and takes out what it added to the diagnostics, references and definitions. */
  private captured(f: () => void): { d: Diagnostic[]; r: SymbolReference[]; f: SymbolDefinition[] } {
    const d0 = this.diagnostics.length;
    const r0 = this.references.length;
    const f0 = this.definitions.length;
    f();
    return { d: this.diagnostics.splice(d0), r: this.references.splice(r0), f: this.definitions.splice(f0) };
  }

  private resolvePlan(plan: BoundPlan): void {
    if (this.options.reuse !== true) {
      this.resolvePlanNow(plan, () => undefined);
      return;
    }
    if (this.resolvePlanAgain(plan)) {
      planBindCounts.again++;
      return;
    }
    planBindCounts.whole++;
    const d0 = this.diagnostics.length;
    const r0 = this.references.length;
    const f0 = this.definitions.length;
    const marks: number[] = [];
    const mark = (): void => {
      marks.push(this.diagnostics.length - d0, this.references.length - r0, this.definitions.length - f0);
    };
    const duplicates = this.resolvePlanNow(plan, mark);
    if (duplicates) {
      planRuns.delete(plan.decl.name);
      return;
    }
    // marks: prefix, then per step after binding, after its `after` list, after its rule.
    const n = plan.steps.length;
    const bind = new Int32Array(6 * n);
    const deps = new Int32Array(4 * n);
    const rule = new Int32Array(4 * n);
    let at = 3;
    let d = marks[0]!;
    let r = marks[1]!;
    let f = marks[2]!;
    for (let k = 0; k < n; k++, at += 3) {
      bind.set([d, marks[at]!, r, marks[at + 1]!, f, marks[at + 2]!], 6 * k);
      [d, r, f] = [marks[at]!, marks[at + 1]!, marks[at + 2]!];
    }
    for (let k = 0; k < n; k++, at += 3) {
      deps.set([d, marks[at]!, r, marks[at + 1]!], 4 * k);
      [d, r] = [marks[at]!, marks[at + 1]!];
    }
    for (let k = 0; k < n; k++, at += 3) {
      rule.set([d, marks[at]!, r, marks[at + 1]!], 4 * k);
      [d, r] = [marks[at]!, marks[at + 1]!];
    }
    const memberStep = new Int32Array(plan.decl.members.length).fill(-1);
    let k = 0;
    plan.decl.members.forEach((m, j) => {
      if (m.kind === 'Step' && usable(m.name)) memberStep[j] = k++;
    });
    const dependents = new Map<string, number[]>();
    plan.steps.forEach((step, i) => {
      for (const a of step.decl.after) {
        const list = dependents.get(a.name);
        if (list === undefined) dependents.set(a.name, [i]);
        else list.push(i);
      }
    });
    planRuns.set(plan.decl.name, {
      catalog: this.catalog, file: plan.file, decl: plan.decl, templates: [...this.templates.values()], plan,
      namesVersion: this.stepNamesVersion(plan), memberStep,
      diagnostics: this.diagnostics.slice(d0), references: this.references.slice(r0), definitions: this.definitions.slice(f0),
      prefix: { d: marks[0]!, r: marks[1]! }, bind, deps, rule, dependents,
    });
  }

  /**
   * The plan bound from its last run when only steps changed: a run of its members replaced by a
   * run of steps (a step edited, typed, renamed, added or removed), the members around it the same
   * nodes. The new steps are bound, and the `after` lists that may read what changed: those that
   * name a step of the run (before or after the edit) and, when the plan's step names changed,
   * those that name an unknown step (their did-you-mean reads every name). The rest of the output
   * is copied in the order a full run makes it. False when that does not apply.
   */
  private resolvePlanAgain(plan: BoundPlan): boolean {
    const { decl } = plan;
    const last = planRuns.get(decl.name);
    if (
      last === undefined || last.catalog !== this.catalog || last.file !== plan.file || last.plan.name !== plan.name
      || last.decl.offering !== decl.offering || last.templates.length !== this.templates.size
    ) return false;
    let t = 0;
    for (const template of this.templates.values()) if (template !== last.templates[t++]) return false;
    const before = last.plan;
    const oldMembers = last.decl.members;
    const members = decl.members;
    // The members that changed: old [p, oldEnd) became new [p, newEnd).
    let p = 0;
    while (p < members.length && p < oldMembers.length && members[p] === oldMembers[p]) p++;
    let s = 0;
    while (s < members.length - p && s < oldMembers.length - p && members[members.length - 1 - s] === oldMembers[oldMembers.length - 1 - s]) s++;
    const oldEnd = oldMembers.length - s;
    const newEnd = members.length - s;
    // Only steps with names, before and after (the other members are bound with the plan).
    for (let j = p; j < oldEnd; j++) if (last.memberStep[j]! < 0) return false;
    for (let j = p; j < newEnd; j++) {
      const m = members[j]!;
      if (m.kind !== 'Step' || !usable(m.name)) return false;
    }
    // The run's steps: old [k0, k0 + oldCount), new [k0, k0 + newCount); the steps after it move by `shift`.
    let k0 = 0;
    for (let j = 0; j < p; j++) if (last.memberStep[j]! >= 0) k0++;
    const oldCount = oldEnd - p;
    const newCount = newEnd - p;
    const shift = newCount - oldCount;
    const n = before.steps.length + shift;
    const k1 = k0 + newCount;
    const oldIndex = (k: number): number => (k < k0 ? k : k < k1 ? -1 : k - shift);
    const newIndex = (i: number): number => (i < k0 ? i : i < k0 + oldCount ? -1 : i + shift);
    const runDecl = (k: number): StepDecl => members[p + k - k0] as StepDecl;
    const nameAt = (k: number): string => (k < k0 || k >= k1 ? before.steps[oldIndex(k)]!.name : runDecl(k).name.name);
    // A name given twice: the full run reports it.
    const stepByName = new Map<string, BoundStep>();
    const names: string[] = new Array<string>(n);
    for (let k = 0; k < n; k++) {
      const name = nameAt(k);
      if (stepByName.has(name)) return false;
      names[k] = name;
      stepByName.set(name, before.steps[0]!);
    }
    let sameNames = shift === 0;
    for (let k = k0; k < k1 && sameNames; k++) sameNames = names[k] === before.steps[k]!.name;

    plan.offering = before.offering;
    plan.defaults = before.defaults;
    if (before.billing !== undefined) plan.billing = before.billing;
    if (before.completion !== undefined) plan.completion = before.completion;
    plan.cancel = before.cancel;
    plan.status = before.status;
    plan.amendments = before.amendments;
    const steps: BoundStep[] = new Array<BoundStep>(n);
    for (let k = 0; k < n; k++) {
      if (k >= k0 && k < k1) continue;
      const old = before.steps[oldIndex(k)]!;
      if (shift === 0 || k < k0) steps[k] = old;
      else {
        // Its new index; its `after` list is bound again below or kept.
        const moved = copyStep(old, k, old.template);
        moved.dependsOn = old.dependsOn;
        steps[k] = moved;
      }
    }
    plan.steps = steps;
    plan.stepByName = stepByName;
    if (sameNames) this.stepNameVersions.set(plan, last.namesVersion);

    // New parts, by step index.
    const bound = new Map<number, { d: Diagnostic[]; r: SymbolReference[]; f: SymbolDefinition[] }>();
    for (let k = k0; k < k1; k++) {
      bound.set(k, this.captured(() => {
        steps[k] = this.bindStepCached(plan, runDecl(k), k);
      }));
    }
    for (let k = 0; k < n; k++) stepByName.set(names[k]!, steps[k]!);
    const rebind = new Set<number>();
    for (let k = k0; k < k1; k++) rebind.add(k);
    const namesOfRun = new Set<string>();
    for (let i = k0; i < k0 + oldCount; i++) namesOfRun.add(before.steps[i]!.name);
    for (let k = k0; k < k1; k++) namesOfRun.add(names[k]!);
    for (const name of namesOfRun) {
      for (const i of last.dependents.get(name) ?? []) {
        const k = newIndex(i);
        if (k >= 0) rebind.add(k);
      }
    }
    if (!sameNames) {
      for (let i = 0; i < before.steps.length; i++) {
        const k = newIndex(i);
        if (k >= 0 && last.deps[4 * i] !== last.deps[4 * i + 1]) rebind.add(k);
      }
    }
    const depsParts = new Map<number, { d: Diagnostic[]; r: SymbolReference[] }>();
    for (const k of [...rebind].sort((a, b) => a - b)) {
      // A step of the last model is copied before its `after` list is bound again.
      if (!bound.has(k)) {
        steps[k] = copyStep(steps[k]!, k, steps[k]!.template);
        stepByName.set(steps[k]!.name, steps[k]!);
      }
      const step = steps[k]!;
      depsParts.set(k, this.captured(() => this.bindDependencies(plan, step)));
    }
    const ruleParts = new Map<number, { d: Diagnostic[]; r: SymbolReference[] }>();
    for (let k = k0; k < k1; k++) ruleParts.set(k, this.captured(() => this.bindRuleCharacteristics(plan, steps[k]!)));
    const tail = this.captured(() => this.bindPlanTail(plan));

    // The output in a full run's order, and the offsets for the next run.
    const diagnostics: Diagnostic[] = last.diagnostics.slice(0, last.prefix.d);
    const references: SymbolReference[] = last.references.slice(0, last.prefix.r);
    const definitions: SymbolDefinition[] = [];
    const bind = new Int32Array(6 * n);
    const deps = new Int32Array(4 * n);
    const rule = new Int32Array(4 * n);
    const copy = <T>(into: T[], from: T[], a: number, b: number): void => {
      for (let i = a; i < b; i++) into.push(from[i]!);
    };
    for (let k = 0; k < n; k++) {
      const o = 6 * k;
      bind[o] = diagnostics.length;
      bind[o + 2] = references.length;
      bind[o + 4] = definitions.length;
      const part = bound.get(k);
      if (part !== undefined) {
        copy(diagnostics, part.d, 0, part.d.length);
        copy(references, part.r, 0, part.r.length);
        copy(definitions, part.f, 0, part.f.length);
      } else {
        const l = 6 * oldIndex(k);
        copy(diagnostics, last.diagnostics, last.bind[l]!, last.bind[l + 1]!);
        copy(references, last.references, last.bind[l + 2]!, last.bind[l + 3]!);
        copy(definitions, last.definitions, last.bind[l + 4]!, last.bind[l + 5]!);
      }
      bind[o + 1] = diagnostics.length;
      bind[o + 3] = references.length;
      bind[o + 5] = definitions.length;
    }
    const parts = (offsets: Int32Array, lastOffsets: Int32Array, fresh: Map<number, { d: Diagnostic[]; r: SymbolReference[] }>): void => {
      for (let k = 0; k < n; k++) {
        const o = 4 * k;
        offsets[o] = diagnostics.length;
        offsets[o + 2] = references.length;
        const part = fresh.get(k);
        if (part !== undefined) {
          copy(diagnostics, part.d, 0, part.d.length);
          copy(references, part.r, 0, part.r.length);
        } else {
          const l = 4 * oldIndex(k);
          copy(diagnostics, last.diagnostics, lastOffsets[l]!, lastOffsets[l + 1]!);
          copy(references, last.references, lastOffsets[l + 2]!, lastOffsets[l + 3]!);
        }
        offsets[o + 1] = diagnostics.length;
        offsets[o + 3] = references.length;
      }
    };
    parts(deps, last.deps, depsParts);
    parts(rule, last.rule, ruleParts);
    copy(diagnostics, tail.d, 0, tail.d.length);
    copy(references, tail.r, 0, tail.r.length);
    for (const x of diagnostics) this.diagnostics.push(x);
    for (const x of references) this.references.push(x);
    for (const x of definitions) this.definitions.push(x);

    let dependents = last.dependents;
    let memberStep = last.memberStep;
    const sameAfter = (a: Ident[], b: Ident[]): boolean => a.length === b.length && a.every((x, i) => x.name === b[i]!.name);
    if (shift !== 0 || !sameNames || Array.from({ length: newCount }, (_, j) => k0 + j).some((k) => !sameAfter(steps[k]!.decl.after, before.steps[k]!.decl.after))) {
      dependents = new Map();
      steps.forEach((step, i) => {
        for (const a of step.decl.after) {
          const list = dependents.get(a.name);
          if (list === undefined) dependents.set(a.name, [i]);
          else list.push(i);
        }
      });
    }
    if (shift !== 0) {
      memberStep = new Int32Array(members.length).fill(-1);
      let k = 0;
      members.forEach((m, j) => {
        if (m.kind === 'Step' && usable(m.name)) memberStep[j] = k++;
      });
    }
    planRuns.set(decl.name, {
      ...last, decl, plan, namesVersion: this.stepNamesVersion(plan), memberStep, diagnostics, references, definitions, bind, deps, rule, dependents,
    });
    return true;
  }

  /** Resolves a plan (all of it); calls `mark` after the prefix and after each step's parts. True if it has duplicate step names. */
  private resolvePlanNow(plan: BoundPlan, mark: () => void): boolean {
    const { file, decl } = plan;
    const offering = this.resolveOffering(file, decl.offering);
    if (offering !== undefined) plan.offering = offering;
    const stepByName = new Map<string, BoundStep>();
    const singletons = new Map<string, { range: Range }>();
    const single = (key: string, noun: string, range: Range): boolean => {
      const earlier = singletons.get(key);
      if (earlier !== undefined) {
        this.report('O2A2038', file, range, `plan ${plan.name} declares ${noun} twice`, {
          help: 'keep one: merge them',
          related: [{ file, range: earlier.range, message: 'first declared here' }],
        });
        return false;
      }
      singletons.set(key, { range });
      return true;
    };

    for (const m of decl.members) {
      if (m.kind === 'Defaults') {
        if (single('defaults', 'defaults', m.range)) {
          plan.defaults = m.properties;
          this.checkProperties(file, m.properties, undefined, 'defaults');
        }
      } else if (m.kind === 'Billing') {
        if (single('billing', 'a billing policy', m.range)) plan.billing = m;
      } else if (m.kind === 'Completion') {
        if (single('completion', 'a completion policy', m.range)) plan.completion = m;
      } else if (m.kind === 'Cancel') {
        if (single('cancel', 'a cancel policy', m.range)) plan.cancel = m.rules;
      } else if (m.kind === 'Status') {
        if (single('status', 'a status mapping', m.range)) plan.status = m.entries;
      } else if (m.kind === 'Amend') {
        if (!usable(m.name) || single(`amend:${m.name.name}`, `amendment '${m.name.name}'`, m.name.range)) plan.amendments.push(m);
      }
    }

    mark();
    let duplicates = false;
    for (const m of decl.members) {
      if (m.kind !== 'Step' || !usable(m.name)) continue;
      const earlier = stepByName.get(m.name.name);
      if (earlier !== undefined) {
        duplicates = true;
        this.report('O2A2030', file, m.name.range, `step '${m.name.name}' is already declared in plan ${plan.name}`, {
          help: 'step names are unique within a plan: rename one of them',
          related: [{ file, range: earlier.decl.name.range, message: `first declaration of '${m.name.name}'` }],
        });
        continue;
      }
      // Its definition too (cached with the binding).
      const step = this.bindStepCached(plan, m, plan.steps.length);
      stepByName.set(step.name, step);
      plan.steps.push(step);
      mark();
    }
    plan.stepByName = stepByName;

    for (const step of plan.steps) {
      this.bindDependencies(plan, step);
      mark();
    }
    for (const step of plan.steps) {
      this.bindRuleCharacteristics(plan, step);
      mark();
    }
    this.bindPlanTail(plan);
    return duplicates;
  }

  /** The plan's billing characteristic and the step names of its cancel, amend and status rules. */
  private bindPlanTail(plan: BoundPlan): void {
    if (plan.billing !== undefined) this.bindBillingCharacteristic(plan.file, plan.offering, plan.billing);
    for (const rule of plan.cancel) this.stepRef(plan, rule.step, 'cancel');
    for (const amend of plan.amendments) {
      for (const s of amend.replan) this.stepRef(plan, s, 'amend');
      if (amend.until !== undefined) this.stepRef(plan, amend.until, 'amend');
      if (amend.afterReject !== undefined) this.stepRef(plan, amend.afterReject.step, 'amend');
    }
    for (const entry of plan.status) if (entry.step !== undefined) this.stepRef(plan, entry.step, 'status');
  }

  private templateNames(): string {
    this.templateNameList ??= [...this.templates.keys()].join('\0');
    return this.templateNameList;
  }

  /** `bindStep`, or what it gave last time for the same node in the same surroundings. */
  private bindStepCached(plan: BoundPlan, decl: StepDecl, index: number): BoundStep {
    if (this.options.reuse !== true) {
      const step = this.bindStep(plan, decl, index);
      this.definitions.push(stepDefinition(plan, decl));
      return step;
    }
    const template = decl.template !== undefined && usable(decl.template) ? this.templates.get(decl.template.name) : undefined;
    const templateNames = decl.template !== undefined && usable(decl.template) && template === undefined ? this.templateNames() : undefined;
    const defaults = plan.defaults.length === 0 ? noDefaults : plan.defaults;
    const cached = stepBindings.get(decl);
    if (
      cached !== undefined && cached.catalog === this.catalog && cached.file === plan.file && cached.plan === plan.name
      && cached.template === template?.decl && cached.templateFile === template?.file && cached.templateKind === template?.kind
      && cached.templateNames === templateNames && cached.defaults === defaults
    ) {
      for (const d of cached.diagnostics) this.diagnostics.push(d);
      for (const r of cached.references) this.references.push(r);
      const step = copyStep(cached.step, index, template);
      this.definitions.push(cached.definition);
      return step;
    }
    const d0 = this.diagnostics.length;
    const r0 = this.references.length;
    const step = this.bindStep(plan, decl, index);
    const definition = stepDefinition(plan, decl);
    this.definitions.push(definition);
    stepBindings.set(decl, {
      catalog: this.catalog, file: plan.file, plan: plan.name, template: template?.decl, templateFile: template?.file,
      templateKind: template?.kind, templateNames, defaults, step: copyStep(step, index, template),
      diagnostics: this.diagnostics.slice(d0), references: this.references.slice(r0), definition,
    });
    return step;
  }

  private bindStep(plan: BoundPlan, decl: StepDecl, index: number): BoundStep {
    const file = plan.file;
    let template: BoundTemplate | undefined;
    let kind: StepKind | undefined;
    let kindName = '';
    if (decl.template !== undefined && usable(decl.template)) {
      template = this.templates.get(decl.template.name);
      if (template === undefined) {
        this.report('O2A2021', file, decl.template.range, `unknown step template '${decl.template.name}'`, didYouMeanHelp(file, decl.template, this.templates.keys()));
      } else {
        this.reference(file, decl.template, 'template', { kind: 'template', name: template.name, file: template.file, range: template.decl.name.range });
        kind = template.kind;
        kindName = template.decl.stepKind.name;
      }
    } else if (decl.stepKind !== undefined) {
      kind = this.resolveKind(file, decl.stepKind);
      kindName = decl.stepKind.name;
    }
    this.checkProperties(file, decl.properties, kind, 'step');

    const layers: PropertyLayer[] = [{ source: 'step', file, properties: decl.properties }];
    if (template !== undefined) layers.push({ source: 'template', file: template.file, properties: template.decl.properties });
    layers.push({ source: 'defaults', file, properties: plan.defaults });
    const effective = resolveEffectiveStep(layers, kind);

    const step: BoundStep = {
      name: decl.name.name, plan: plan.name, file, decl, index, kindName, dependsOn: [],
      outcomes: effective.outcomes, policies: effective.policies, catalogRefResolved: false,
    };
    if (kind !== undefined) step.kind = kind;
    if (template !== undefined) step.template = template;
    if (effective.catalogRef !== undefined) {
      step.catalogRef = effective.catalogRef;
      const ref = effective.catalogRef.value;
      step.catalogRefResolved = this.catalog !== undefined && usable(ref.ref)
        && lookupCatalog(this.catalog, catalogRefSection[ref.key], ref.ref.name).exists
        && (kind === undefined || refApplies(kind, ref.key));
    }
    if (effective.evidence !== undefined) step.evidence = effective.evidence;
    if (effective.rule !== undefined) step.rule = effective.rule;
    if (effective.retryProperty !== undefined) step.retryProperty = effective.retryProperty;
    if (effective.onTimeoutProperty !== undefined) step.onTimeoutProperty = effective.onTimeoutProperty;

    if (kind?.requires !== undefined && (step.catalogRef === undefined || step.catalogRef.value.key !== kind.requires)) {
      const key = kind.requires;
      this.report('O2A2035', file, decl.name.range, `step '${step.name}' (${kind.id}) names no ${sectionNoun[catalogRefSection[key]]}`, {
        help: `add \`${key} <id>\` to say which ${sectionNoun[catalogRefSection[key]]} it acts on`,
      });
    }
    return step;
  }

  private stepRef(plan: BoundPlan, ident: Ident, role: ReferenceRole): BoundStep | undefined {
    if (!usable(ident)) return undefined;
    const step = plan.stepByName.get(ident.name);
    if (step === undefined) {
      this.report('O2A2020', plan.file, ident.range, `plan ${plan.name} has no step '${ident.name}'`, didYouMeanHelp(plan.file, ident, plan.stepByName.keys()));
      return undefined;
    }
    this.reference(plan.file, ident, role, { kind: 'step', plan: plan.name, step: step.name, file: plan.file, range: step.decl.name.range });
    return step;
  }

  private bindDependencies(plan: BoundPlan, step: BoundStep): void {
    if (this.options.reuse !== true) {
      this.bindDependenciesNow(plan, step);
      return;
    }
    // Reused with the step's binding while the steps it names are the same nodes (their ranges
    // are the references' targets) and the plan has the same step names; when every name of the
    // list bound, without a diagnostic, the other names of the plan do not matter (a step typed
    // or renamed elsewhere in the plan keeps this list's binding).
    const binding = stepBindings.get(step.decl);
    const names = this.stepNamesVersion(plan);
    const cached = binding?.dependencies;
    const allBound = cached !== undefined && cached.diagnostics.length === 0 && cached.targets.length === step.decl.after.length;
    if (cached !== undefined && cached.plan === plan.name && (cached.names === names || allBound)) {
      let same = true;
      for (let i = 0; i < cached.targets.length && same; i++) same = plan.stepByName.get(cached.dependsOn[i]!.name)?.decl === cached.targets[i];
      if (same) {
        for (const d of cached.diagnostics) this.diagnostics.push(d);
        for (const r of cached.references) this.references.push(r);
        step.dependsOn = cached.dependsOn;
        return;
      }
    }
    const d0 = this.diagnostics.length;
    const r0 = this.references.length;
    this.bindDependenciesNow(plan, step);
    if (binding !== undefined) {
      binding.dependencies = {
        plan: plan.name, names, targets: step.dependsOn.map((d) => plan.stepByName.get(d.name)!.decl), dependsOn: step.dependsOn,
        diagnostics: this.diagnostics.slice(d0), references: this.references.slice(r0),
      };
    }
  }

  /**
   * A number for the plan's step names in order: the same as in the last run while they are the
   * same (the cached `after` bindings compare numbers, not a thousand names).
   */
  private stepNamesVersion(plan: BoundPlan): number {
    let version = this.stepNameVersions.get(plan);
    if (version === undefined) {
      const names = [...plan.stepByName.keys()].join('\0');
      const last = lastStepNames.get(plan.decl.name);
      if (last !== undefined && last.names === names) version = last.version;
      else {
        version = ++stepNamesCounter;
        lastStepNames.set(plan.decl.name, { names, version });
      }
      this.stepNameVersions.set(plan, version);
    }
    return version;
  }

  private bindDependenciesNow(plan: BoundPlan, step: BoundStep): void {
    const seen = new Set<string>();
    for (const ident of step.decl.after) {
      const target = this.stepRef(plan, ident, 'after');
      if (target === undefined) continue;
      if (seen.has(target.name)) {
        this.report('O2A2039', plan.file, ident.range, `step '${step.name}' lists '${target.name}' twice in 'after'`, {
          help: 'remove the repeated name',
        });
        continue;
      }
      seen.add(target.name);
      step.dependsOn.push({ name: target.name, ident });
    }
  }

  // --- characteristics -------------------------------------------------------------------------

  private bindRuleCharacteristics(plan: BoundPlan, step: BoundStep): void {
    const rule = step.rule;
    if (rule === undefined) return;
    // Reused with the step's binding (same rule node) while the offering is the same.
    const binding = this.options.reuse === true ? stepBindings.get(step.decl) : undefined;
    const cached = binding?.step.rule === rule ? binding.rule : undefined;
    if (cached !== undefined && cached.offering === plan.offering) {
      for (const d of cached.diagnostics) this.diagnostics.push(d);
      for (const r of cached.references) this.references.push(r);
      return;
    }
    const d0 = this.diagnostics.length;
    const r0 = this.references.length;
    const file = rule.file ?? plan.file;
    for (const ref of characteristicRefs(rule.value.condition)) this.characteristicRef(file, plan.offering, ref, 'characteristic');
    if (binding?.step.rule === rule) binding.rule = { offering: plan.offering, diagnostics: this.diagnostics.slice(d0), references: this.references.slice(r0) };
  }

  private bindBillingCharacteristic(file: string, offering: ProductOffering | undefined, billing: BillingPolicy): void {
    if (billing.scheduledFrom !== undefined) this.characteristicRef(file, offering, billing.scheduledFrom, 'scheduledFrom');
  }

  /** Binds `item.<name>` to a characteristic of the offering's product specification. */
  characteristicRef(file: string, offering: ProductOffering | undefined, ref: CharacteristicRef, role: ReferenceRole): void {
    const path = ref.path;
    if (path.some((p) => !usable(p))) return;
    if (path.length !== 2 || path[0]!.name !== 'item') {
      this.report('O2A2024', file, ref.range, `'${path.map((p) => p.name).join('.')}' is not a characteristic reference`, {
        help: 'rules compare order-item characteristics, written `item.<characteristic>`',
      });
      return;
    }
    if (offering === undefined) return;
    const name = path[1]!;
    const characteristics = offering.productSpecification.characteristics;
    const found = characteristics.find((c) => c.name === name.name);
    if (found === undefined) {
      const close = didYouMeanHelp(file, name, characteristics.map((c) => c.name));
      this.report('O2A2023', file, name.range,
        `offering ${offering.id} has no characteristic '${name.name}'`, {
          ...close,
          help: close.help
            ?? (characteristics.length > 0 ? `its characteristics: ${characteristics.map((c) => c.name).join(', ')}` : 'its product specification defines no characteristics'),
        });
      return;
    }
    this.reference(file, name, role, { kind: 'catalog', section: 'characteristic', id: found.name, offering: offering.id });
  }

  // --- bundles ---------------------------------------------------------------------------------

  private resolveBundle(bundle: BoundBundle): void {
    const { file, decl } = bundle;
    const offering = this.resolveOffering(file, decl.offering);
    if (offering !== undefined) bundle.offering = offering;
    const items = new Map<string, BoundBundleItem>();
    const singletons = new Map<string, Range>();
    for (const m of decl.members) {
      if (m.kind === 'Item') {
        if (!usable(m.name)) continue;
        const earlier = items.get(m.name.name);
        if (earlier !== undefined) {
          this.report('O2A2032', file, m.name.range, `bundle ${bundle.name} already has an item '${m.name.name}'`, {
            help: 'item names are unique within a bundle: rename one of them',
            related: [{ file, range: earlier.ident.range, message: 'first declared here' }],
          });
          continue;
        }
        const item: BoundBundleItem = { name: m.name.name, ident: m.name, planIdent: m.plan, optional: m.optional };
        if (usable(m.plan)) {
          const plan = this.plans.get(m.plan.name);
          if (plan === undefined) {
            const isBundle = this.bundles.has(m.plan.name);
            this.report('O2A2022', file, m.plan.range, isBundle
              ? `'${m.plan.name}' is a bundle: a bundle item names a plan`
              : `unknown plan '${m.plan.name}'`, didYouMeanHelp(file, m.plan, this.plans.keys()));
          } else {
            item.plan = plan;
            this.reference(file, m.plan, 'bundleItem', { kind: 'plan', name: plan.name, file: plan.file, range: plan.decl.name.range });
          }
        }
        items.set(item.name, item);
        bundle.items.push(item);
      } else {
        const key = m.kind;
        const earlier = singletons.get(key);
        if (earlier !== undefined) {
          const noun = m.kind === 'Billing' ? 'a billing policy' : m.kind === 'Completion' ? 'a completion policy' : 'a status mapping';
          this.report('O2A2038', file, m.range, `bundle ${bundle.name} declares ${noun} twice`, {
            help: 'keep one: merge them', related: [{ file, range: earlier, message: 'first declared here' }],
          });
          continue;
        }
        singletons.set(key, m.range);
        if (m.kind === 'Billing') {
          bundle.billing = m;
          this.bindBillingCharacteristic(file, bundle.offering, m);
        } else if (m.kind === 'Completion') bundle.completion = m;
        else bundle.status = m.entries;
      }
    }
    for (const entry of bundle.status) {
      if (entry.step === undefined || !usable(entry.step)) continue;
      if (!items.has(entry.step.name)) {
        this.report('O2A2025', file, entry.step.range, `bundle ${bundle.name} has no item '${entry.step.name}'`, didYouMeanHelp(file, entry.step, items.keys()));
      }
    }
  }
}

/** Every characteristic reference of an expression, left to right (a loop: chains may be long). */
export function characteristicRefs(expr: Expr): CharacteristicRef[] {
  const out: CharacteristicRef[] = [];
  const pending: Expr[] = [expr];
  while (pending.length > 0) {
    const e = pending.pop()!;
    switch (e.kind) {
      case 'CharacteristicRef': out.push(e); break;
      case 'Comparison': pending.push(e.right, e.left); break;
      case 'Logical': for (let i = e.operands.length - 1; i >= 0; i--) pending.push(e.operands[i]!); break;
      case 'In': pending.push(e.value); break;
      case 'Not': pending.push(e.operand); break;
      case 'Literal': case 'MissingExpr': break;
    }
  }
  return out;
}

/** Binds the workspace. Documents are taken in file order so that "first declaration" is stable. */
export function resolveWorkspace(documents: Document[], catalog: CatalogSnapshot | undefined, options: ResolveOptions = {}): ResolveResult {
  const ordered = [...documents].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const resolver = new Resolver(ordered, catalog, options);
  resolver.run();
  const model: BoundModel = {
    documents: new Map(ordered.map((d) => [d.file, d])),
    plans: resolver.plans,
    bundles: resolver.bundles,
    templates: resolver.templates,
    references: resolver.references,
    definitions: resolver.definitions,
  };
  if (catalog !== undefined) model.catalog = catalog;
  return { model, diagnostics: resolver.diagnostics };
}

