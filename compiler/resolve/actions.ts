// The TMF622 item actions a plan or bundle fulfils (§5 product order items carry `action`): written
// in its header (`plan HomeFiberCease for offering HOME_FIBER_1G action delete`), or, when not
// written, the offering's order type decides: a `new` offering's plan fulfils `add`, a `modify`
// offering's plan fulfils `modify`. `noChange` is an action no plan fulfils: such an item runs
// nothing. Pure functions over the AST and the catalog entry.
import type { ProductOffering } from '../catalog/schema.js';
import type { ActionClause } from '../syntax/ast.js';

/** The actions of TMF622 v4 OrderItemActionType. */
export const ITEM_ACTIONS = ['add', 'modify', 'delete', 'noChange'] as const;
export type ItemAction = (typeof ITEM_ACTIONS)[number];

/** The actions a plan can fulfil, in this order in a compiled plan. */
export const PLAN_ACTIONS = ['add', 'modify', 'delete'] as const;
export type PlanAction = (typeof PLAN_ACTIONS)[number];

export function isPlanAction(name: string): name is PlanAction {
  return (PLAN_ACTIONS as readonly string[]).includes(name);
}

/** What a plan without an `action` clause fulfils. */
export function defaultActions(offering: ProductOffering | undefined): PlanAction[] {
  return offering?.orderType === 'modify' ? ['modify'] : ['add'];
}

/**
 * The actions fulfilled: when written, the valid names (in canonical order, once each; none when
 * every name is wrong, which the checker reports), else the default.
 */
export function fulfilledActions(decl: { actions?: ActionClause }, offering: ProductOffering | undefined): PlanAction[] {
  if (decl.actions === undefined) return defaultActions(offering);
  const written = decl.actions.names.map((n) => n.name).filter(isPlanAction);
  return PLAN_ACTIONS.filter((a) => written.includes(a));
}
