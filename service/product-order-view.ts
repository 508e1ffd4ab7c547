// The TMF622 v4 views of what the runtime holds: a ProductOrder is the order as the customer
// stated it (its stored body) with what the server assigns (id, href, state, orderDate, each
// item's state, why it was rejected); a CancelProductOrder is a cancel request with its own
// state. Read with parameterised SQL from the runtime's tables: reading is not the engine's door.
import { cancelRequest, type CancelRequestView } from '../runtime/engine/cancellation.js';
import { iso, parseJson } from '../runtime/store/sql.js';
import type { Queryable } from '../runtime/store/store.js';
import { anyOf, dateOf, isProblem, Where, type Page } from './listing.js';
import type { Problem } from './errors.js';

export const PRODUCT_ORDERING = '/tmf-api/productOrderingManagement/v4';

interface OrderRecord {
  id: string;
  state: string;
  createdAt: string;
  updatedAt: string;
  body: Record<string, unknown>;
  rejectionReasons: string[] | null;
  items: { id: string; state: string }[];
}

const ORDER_SELECT = `
  SELECT o.id, o.state, o.created_at, o.updated_at, o.body, o.rejection_reasons,
         (SELECT json_agg(json_build_object('id', i.id, 'state', i.state)) FROM product_order_item i WHERE i.product_order_id = o.id) AS items
    FROM product_order o`;

function recordOf(row: Record<string, unknown>): OrderRecord {
  const reasons = parseJson(row.rejection_reasons);
  return {
    id: String(row.id), state: String(row.state), createdAt: iso(row.created_at) as string, updatedAt: iso(row.updated_at) as string,
    body: (parseJson(row.body) ?? {}) as Record<string, unknown>,
    rejectionReasons: Array.isArray(reasons) ? reasons.map(String) : null,
    items: ((parseJson(row.items) ?? []) as { id: string; state: string }[]),
  };
}

/** The attribute filters GET /productOrder takes (`a,b`: either; orderDate also with .gt .gte .lt .lte). */
export const ORDER_FILTERS = [
  'id', 'state', 'externalId', 'category', 'priority', 'description', 'channel.id', 'relatedParty.id',
  'productOrderItem.productOffering.id', 'productOrderItem.state',
  'orderDate', 'orderDate.gt', 'orderDate.gte', 'orderDate.lt', 'orderDate.lte',
] as const;

const DATE_OPS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** The WHERE of a product order search, or the problem naming the filter at fault. */
function orderWhere(filters: Record<string, string | undefined>): Where | Problem {
  const where = new Where();
  for (const name of ORDER_FILTERS) {
    const value = filters[name];
    if (value === undefined) continue;
    if (name.startsWith('orderDate')) {
      const at = dateOf(name, value);
      if (isProblem(at)) return at;
      const op = DATE_OPS[name.split('.')[1] ?? ''] ?? '=';
      where.and(`o.created_at ${op} ${where.param(at.toISOString())}::timestamptz`);
      continue;
    }
    const values = anyOf(value);
    const list = where.param(values);
    switch (name) {
      case 'id': where.and(`o.id = ANY(${list}::text[])`); break;
      case 'state': where.and(`o.state = ANY(${list}::text[])`); break;
      case 'externalId': where.and(`o.external_id = ANY(${list}::text[])`); break;
      case 'category': case 'priority': case 'description':
        where.and(`o.body->>'${name}' = ANY(${list}::text[])`); break;
      case 'channel.id': case 'relatedParty.id': {
        const array = name.split('.')[0] as string;
        where.and(`EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(o.body->'${array}') = 'array' THEN o.body->'${array}' ELSE '[]'::jsonb END) e
                            WHERE e->>'id' = ANY(${list}::text[]))`);
        break;
      }
      case 'productOrderItem.productOffering.id':
        where.and(`EXISTS (SELECT 1 FROM product_order_item i WHERE i.product_order_id = o.id AND i.offering_id = ANY(${list}::text[]))`); break;
      case 'productOrderItem.state':
        where.and(`EXISTS (SELECT 1 FROM product_order_item i WHERE i.product_order_id = o.id AND i.state = ANY(${list}::text[]))`); break;
    }
  }
  return where;
}

/** Product orders matching the filters, newest first, one page of them, and how many match in all. */
export async function searchOrders(db: Queryable, filters: Record<string, string | undefined>, page: Page): Promise<{ total: number; views: Record<string, unknown>[] } | Problem> {
  const where = orderWhere(filters);
  if (isProblem(where)) return where;
  const [count] = await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM product_order o ${where.sql}`, where.params);
  const rows = await db.query<Record<string, unknown>>(
    `${ORDER_SELECT} ${where.sql} ORDER BY o.created_at DESC, o.id LIMIT ${where.param(page.limit)} OFFSET ${where.param(page.offset)}`, where.params);
  return { total: Number(count?.n ?? 0), views: rows.map((r) => orderView(recordOf(r))) };
}

export async function readOrder(db: Queryable, id: string): Promise<Record<string, unknown> | null> {
  const [row] = await db.query<Record<string, unknown>>(`${ORDER_SELECT} WHERE o.id = $1`, [id]);
  return row ? orderView(recordOf(row)) : null;
}

export function orderHref(id: string): string {
  return `${PRODUCT_ORDERING}/productOrder/${encodeURIComponent(id)}`;
}

/** Fields of the stored body the server owns: the view gives its own. */
const ASSIGNED = new Set(['id', 'href', 'state', 'orderDate', 'completionDate', 'cancellationDate', '@type']);

function orderView(record: OrderRecord): Record<string, unknown> {
  const states = new Map(record.items.map((i) => [i.id, i.state]));
  const body = Object.fromEntries(Object.entries(record.body).filter(([k]) => !ASSIGNED.has(k)));
  const view: Record<string, unknown> = {
    id: record.id, href: orderHref(record.id), '@type': 'ProductOrder', state: record.state, orderDate: record.createdAt,
    ...body,
    relatedParty: Array.isArray(record.body.relatedParty) ? record.body.relatedParty : [],
    productOrderItem: itemsView(record.body.productOrderItem, states, record.state),
  };
  if (record.state === 'completed' || record.state === 'partial') view.completionDate = record.updatedAt;
  if (record.state === 'cancelled') view.cancellationDate = record.updatedAt;
  if (record.state === 'rejected') {
    // TMF622 v5's ProductOrder.errorMessage: why the intake rejected it, each naming its field.
    view.errorMessage = (record.rejectionReasons ?? ['the reasons were not recorded (rejected before migration 009)']).map((text) => {
      const m = /^([^\s:]+): (.*)$/s.exec(text);
      return {
        '@type': 'ProductOrderErrorMessage', code: 'rejected', reason: 'rejected at intake', status: 'rejected',
        message: text, field: m ? m[1] : null, timestamp: record.updatedAt,
      };
    });
  }
  return view;
}

/** The order's items as sent, each with its state (nested items too); an item the intake did not take has the order's state. */
function itemsView(items: unknown, states: Map<string, string>, orderState: string): unknown[] {
  if (!Array.isArray(items)) return [];
  return items.map((item) => {
    if (item === null || typeof item !== 'object') return item;
    const it = item as Record<string, unknown>;
    const out: Record<string, unknown> = { ...it, state: states.get(String(it.id)) ?? (orderState === 'rejected' ? 'rejected' : orderState) };
    if (Array.isArray(it.productOrderItem)) out.productOrderItem = itemsView(it.productOrderItem, states, orderState);
    return out;
  });
}

// --- CancelProductOrder -----------------------------------------------------------------------

export function cancelHref(id: string): string {
  return `${PRODUCT_ORDERING}/cancelProductOrder/${encodeURIComponent(id)}`;
}

/** A cancel request as TMF622 v4 CancelProductOrder (TaskStateType: acknowledged, inProgress, done, terminatedWithError). */
export function cancelView(request: CancelRequestView): Record<string, unknown> {
  return {
    id: request.id, href: cancelHref(request.id), '@type': 'CancelProductOrder',
    state: request.state,
    productOrder: { id: request.productOrderId, href: orderHref(request.productOrderId), '@referredType': 'ProductOrder' },
    ...(request.reason !== null ? { cancellationReason: request.reason } : {}),
    creationDate: request.createdAt,
    ...(request.state === 'done' ? { effectiveCancellationDate: request.updatedAt } : {}),
    // Why it ended so (the plan's text when it refused), and the rule the plan applied per item.
    ...(request.message !== null ? { stateReason: request.message } : {}),
    ...(request.requestedBy !== null ? { requestedBy: request.requestedBy } : {}),
    decision: request.decisions.map((d) => ({ itemId: d.itemId, rule: d.rule, action: d.action, requiresApproval: d.requiresApproval, message: d.message })),
  };
}

export const CANCEL_FILTERS = ['id', 'state', 'productOrder.id'] as const;

/** Cancel requests matching the filters, newest first, one page, and how many match. */
export async function searchCancels(db: Queryable, filters: Record<string, string | undefined>, page: Page): Promise<{ total: number; views: Record<string, unknown>[] }> {
  const where = new Where();
  if (filters.id !== undefined) where.and(`id = ANY(${where.param(anyOf(filters.id))}::text[])`);
  if (filters.state !== undefined) where.and(`state = ANY(${where.param(anyOf(filters.state))}::text[])`);
  if (filters['productOrder.id'] !== undefined) where.and(`product_order_id = ANY(${where.param(anyOf(filters['productOrder.id']))}::text[])`);
  const [count] = await db.query<{ n: unknown }>(`SELECT count(*) AS n FROM cancel_request ${where.sql}`, where.params);
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM cancel_request ${where.sql} ORDER BY created_at DESC, id LIMIT ${where.param(page.limit)} OFFSET ${where.param(page.offset)}`, where.params);
  // The engine's reading of a request (one per row of the page: a page is small).
  const requests = await Promise.all(rows.map((r) => cancelRequest(db, r.id)));
  return { total: Number(count?.n ?? 0), views: requests.filter((r): r is CancelRequestView => r !== null).map((r) => cancelView(r)) };
}
