// The item actions a declaration fulfils (compiler/resolve/actions.ts). O2A4026: a name that is
// no TMF622 action. O2A4027: `noChange`, which no plan fulfils (such an item runs nothing).
// O2A4028: an action written twice. O2A4029: two declarations fulfil the same action of the same
// offering (new orders take the higher plan version: the other is dead for that action). O2A5006: a bundle fulfils an
// action one of its item plans does not.
import { diagnostic, type Diagnostic, type Fix } from '../../diagnostics/index.js';
import { closestMatch } from '../../diagnostics/suggest.js';
import { replaceFix } from '../../resolve/fixes.js';
import { ITEM_ACTIONS, PLAN_ACTIONS, fulfilledActions } from '../../resolve/actions.js';
import type { BoundBundle, BoundModel, BoundPlan } from '../../resolve/model.js';
import type { ActionClause, Ident } from '../../syntax/ast.js';
import type { BundleCheck, PlanCheck } from '../context.js';

type Declaration = BoundPlan | BoundBundle;

/** Removes one name of an `action` list with its comma; the whole clause when it is the only one. */
function removeNameFix(title: string, file: string, clause: ActionClause, at: number, text: string | undefined): Fix | undefined {
  const names = clause.names;
  const name = names[at]!;
  if (names.length === 1) {
    // ` action noChange`: from the end of the offering name (the space before the keyword) on.
    if (text === undefined) return undefined;
    let start = clause.range.start.offset;
    while (start > 0 && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    return { title, edits: [{ file, range: { start: positionAt(text, start), end: clause.range.end }, newText: '' }] };
  }
  const range = at > 0
    ? { start: names[at - 1]!.range.end, end: name.range.end }
    : { start: name.range.start, end: names[1]!.range.start };
  return { title, edits: [{ file, range, newText: '' }] };
}

function positionAt(text: string, offset: number): { line: number; character: number; offset: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) { line++; lineStart = i + 1; }
  return { line, character: offset - lineStart, offset };
}

function clauseFindings(decl: Declaration, text: string | undefined): Diagnostic[] {
  const clause = decl.decl.actions;
  if (clause === undefined) return [];
  const out: Diagnostic[] = [];
  const seen = new Map<string, Ident>();
  const owner = `${decl.kind} ${decl.name}`;
  clause.names.forEach((name, at) => {
    const word = name.name;
    if (word === 'noChange') {
      const fix = removeNameFix("Remove 'noChange'", decl.file, clause, at, text);
      out.push(diagnostic('O2A4027', decl.file, name.range, `${owner} declares noChange: an item with action noChange runs nothing, so no plan fulfils it`, {
        help: `remove it; the actions a ${decl.kind} can fulfil are ${PLAN_ACTIONS.join(', ')}`,
        ...(fix ? { fixes: [fix] } : {}),
      }));
      return;
    }
    if (!(ITEM_ACTIONS as readonly string[]).includes(word)) {
      const guess = closestMatch(word, PLAN_ACTIONS);
      out.push(diagnostic('O2A4026', decl.file, name.range, `unknown item action '${word}' in ${owner}`, {
        help: guess !== undefined ? `did you mean '${guess}'? The actions are ${PLAN_ACTIONS.join(', ')}` : `the actions a ${decl.kind} can fulfil are ${PLAN_ACTIONS.join(', ')}`,
        ...(guess !== undefined ? { fixes: [replaceFix(`Replace with '${guess}'`, decl.file, name.range, guess)] } : {}),
      }));
      return;
    }
    const earlier = seen.get(word);
    if (earlier !== undefined) {
      const fix = removeNameFix(`Remove the second '${word}'`, decl.file, clause, at, text);
      out.push(diagnostic('O2A4028', decl.file, name.range, `${owner} lists action '${word}' twice`, {
        help: 'keep one',
        related: [{ file: decl.file, range: earlier.range, message: 'first listed here' }],
        ...(fix ? { fixes: [fix] } : {}),
      }));
      return;
    }
    seen.set(word, name);
  });
  return out;
}

/** Where a declaration says what it fulfils: its `action` clause, else its offering's name. */
function actionsRange(decl: Declaration) {
  return decl.decl.actions?.range ?? decl.decl.offering.range;
}

/**
 * The model's declarations grouped by kind and offering (plans first, each in declaration order),
 * and the plans a bundle names: made once per model, as every plan's check reads them.
 */
interface DeclarationIndex {
  byOffering: Map<string, Declaration[]>;
  named: Set<Declaration>;
}

const indexes = new WeakMap<BoundModel, DeclarationIndex>();

function indexOf(model: BoundModel): DeclarationIndex {
  let index = indexes.get(model);
  if (index !== undefined) return index;
  const byOffering = new Map<string, Declaration[]>();
  for (const d of [...model.plans.values(), ...model.bundles.values()]) {
    if (d.offering === undefined) continue;
    const key = `${d.kind} ${d.offering.id}`;
    byOffering.set(key, [...(byOffering.get(key) ?? []), d]);
  }
  const named = new Set<Declaration>();
  for (const b of model.bundles.values()) for (const i of b.items) if (i.plan !== undefined) named.add(i.plan);
  index = { byOffering, named };
  indexes.set(model, index);
  return index;
}

/**
 * O2A4029: another declaration fulfils one of the same actions of the same offering. Reported once
 * a pair: on the one whose actions are implied (no `action` clause) when the other writes them,
 * else on the one no bundle names, else on the later one: the other stays usable. Only a
 * declaration of the same kind counts (a bundle for a single offering is O2A5001's).
 */
function fulfilledTwice(decl: Declaration, model: BoundModel): Diagnostic[] {
  const offering = decl.offering;
  if (offering === undefined) return [];
  const { byOffering, named } = indexOf(model);
  const rivals = byOffering.get(`${decl.kind} ${offering.id}`) ?? [];
  if (rivals.length < 2) return [];
  const mine = fulfilledActions(decl.decl, offering);
  const myIndex = rivals.indexOf(decl);
  for (const [index, other] of rivals.entries()) {
    if (other === decl) continue;
    const shared = fulfilledActions(other.decl, other.offering).filter((a) => mine.includes(a));
    if (shared.length === 0) continue;
    const implied = decl.decl.actions === undefined;
    const otherImplied = other.decl.actions === undefined;
    const mineToReport = implied !== otherImplied ? implied
      : named.has(decl) !== named.has(other) ? !named.has(decl)
      : index < myIndex;
    if (!mineToReport) continue;
    const written = implied ? ` (no \`action\` written: a ${offering.orderType === 'modify' ? 'modify' : 'new'} offering's plan fulfils ${mine.join(', ')})` : '';
    return [diagnostic('O2A4029', decl.file, actionsRange(decl),
      `${decl.kind} ${decl.name} and ${other.kind} ${other.name} both fulfil ${shared.join(', ')} of ${offering.id}${written}`, {
        help: 'new orders take the one of the higher plan version (then the one registered last), never both: write the actions each fulfils in its header (`action add`, `action modify`, `action delete`)',
        related: [{ file: other.file, range: actionsRange(other), message: `${other.kind} ${other.name} fulfils ${shared.join(', ')} of ${offering.id}` }],
      })];
  }
  return [];
}

export const planActionsValid: PlanCheck = ({ plan, sourceText }) => clauseFindings(plan, sourceText(plan.file));

/** Reads the other plans of the model: run on every check, never reused from an earlier one. */
export const planFulfilledOnce: PlanCheck = ({ plan, model }) => fulfilledTwice(plan, model);

export const bundleActionsValid: BundleCheck = ({ bundle, model, sourceText }) => {
  const out = [...clauseFindings(bundle, sourceText(bundle.file)), ...fulfilledTwice(bundle, model)];
  // O2A5006: each item's plan fulfils every action of the bundle (a bundle's delete ceases its items).
  const wanted = fulfilledActions(bundle.decl, bundle.offering);
  for (const item of bundle.items) {
    const plan = item.plan;
    // An item whose offering the bundle does not bundle is its own error (O2A5002).
    if (plan === undefined || plan.offering === undefined || bundle.offering?.bundledOfferings.includes(plan.offering.id) !== true) continue;
    const has = fulfilledActions(plan.decl, plan.offering);
    const missing = wanted.filter((a) => !has.includes(a));
    if (missing.length === 0) continue;
    const offeringId = plan.offering.id;
    const better = [...model.plans.values()].find((p) => p.offering?.id === offeringId
      && missing.every((a) => fulfilledActions(p.decl, p.offering).includes(a)));
    out.push(diagnostic('O2A5006', bundle.file, item.planIdent.range,
      `bundle ${bundle.name} fulfils ${wanted.join(', ')}, but its item '${item.name}' is plan ${plan.name}, which fulfils ${has.join(', ')}`, {
        help: better !== undefined
          ? `did you mean plan ${better.name}? It fulfils ${missing.join(', ')} of ${offeringId}`
          : `name a plan for ${offeringId} that fulfils ${missing.join(', ')} (\`action ${missing.join(', ')}\` in its header)`,
        ...(better !== undefined ? { fixes: [replaceFix(`Replace with '${better.name}'`, bundle.file, item.planIdent.range, better.name)] } : {}),
      }));
  }
  return out;
};

