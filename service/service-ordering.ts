// TMF641 Service Ordering v4, read side (`/tmf-api/serviceOrdering/v4/serviceOrder[/{id}]`): the
// service orders decomposition created. A product order item's saga is one ServiceOrder; its
// steps that service order management fulfils (the catalog's owner of their step kind is
// `service-order`, the component TMF641 is the API of) on a customer-facing service (`ref` a
// `service`) are its ServiceOrderItems, with their states. No step kind is named here.
// The ServiceOrder names its product order in `externalReference` (type `ProductOrder`).
import type { CompiledPlan, CompiledStep } from '../compiler/emit/schema.js';
import type { PlanRegistry } from '../runtime/engine/plans.js';
import { iso } from '../runtime/store/sql.js';
import type { Queryable } from '../runtime/store/store.js';
import type { ServicePlugin } from './context.js';
import { sendError } from './errors.js';
import { anyOf, dateOf, isProblem, listQuerySchema, pageOf, project, readQuerySchema, sendPage, Where } from './listing.js';
import { orderHref } from './product-order-view.js';
import { SERVICE_ORDER_OWNER, serviceStepsOf } from '../runtime/engine/envelope-refs.js';

export const SERVICE_ORDERING = '/tmf-api/serviceOrdering/v4';


export const SERVICE_ORDER_FILTERS = [
  'id', 'state', 'externalReference.id', 'serviceOrderItem.state', 'serviceOrderItem.service.serviceSpecification.id',
  'orderDate.gt', 'orderDate.gte', 'orderDate.lt', 'orderDate.lte',
] as const;

/** A saga step's state as a TMF641 ServiceOrderItemStateType. */
const ITEM_STATE: Record<string, string> = {
  NOT_STARTED: 'acknowledged', STARTED: 'inProgress', UNKNOWN: 'inProgress', WAITING: 'held', SUCCEEDED: 'completed',
  FAILED: 'failed', COMPENSATING: 'pendingCancellation', COMPENSATED: 'cancelled',
};

/** The ServiceOrder's state from its items' (TMF641 ServiceOrderStateType). */
function orderState(items: string[]): string {
  const all = (s: string) => items.every((i) => i === s);
  const some = (s: string) => items.includes(s);
  if (all('completed')) return 'completed';
  if (all('cancelled')) return 'cancelled';
  if (some('failed')) return some('completed') ? 'partial' : 'failed';
  if (some('pendingCancellation')) return 'pendingCancellation';
  if (some('held')) return 'held';
  if (all('acknowledged')) return 'acknowledged';
  return 'inProgress';
}

const DATE_OPS: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Sagas whose plan has a service step (the SQL part of the filters), oldest first. */
async function sagasOf(db: Queryable, filters: Record<string, string | undefined>): Promise<Record<string, unknown>[] | { field: string; message: string }> {
  const where = new Where();
  where.and(`EXISTS (SELECT 1 FROM plan p, jsonb_array_elements(CASE WHEN jsonb_typeof(p.body->'steps') = 'array' THEN p.body->'steps' ELSE '[]'::jsonb END) e
                      WHERE p.hash = s.plan_hash AND e->>'owner' = ${where.param(SERVICE_ORDER_OWNER)} AND e->'ref'->>'type' = 'service')`);
  if (filters.id !== undefined) where.and(`s.id = ANY(${where.param(anyOf(filters.id))}::text[])`);
  if (filters['externalReference.id'] !== undefined) where.and(`s.product_order_id = ANY(${where.param(anyOf(filters['externalReference.id']))}::text[])`);
  for (const op of Object.keys(DATE_OPS)) {
    const value = filters[`orderDate.${op}`];
    if (value === undefined) continue;
    const at = dateOf(`orderDate.${op}`, value);
    if (isProblem(at)) return { field: at.field as string, message: at.message };
    where.and(`s.created_at ${DATE_OPS[op]} ${where.param(at.toISOString())}::timestamptz`);
  }
  return db.query<Record<string, unknown>>(
    `SELECT s.id, s.product_order_id, s.product_order_item_id, s.plan_hash, s.created_at, s.updated_at,
            i.action, o.external_id, o.body->'relatedParty' AS related_party,
            (SELECT json_agg(json_build_object('stepId', st.step_id, 'state', st.state, 'externalRef', st.external_ref,
                                               'startedAt', st.started_at, 'completedAt', st.completed_at))
               FROM saga_step st WHERE st.saga_id = s.id) AS steps
       FROM saga s
       JOIN product_order o ON o.id = s.product_order_id
       LEFT JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
       ${where.sql}
      ORDER BY s.created_at DESC, s.id`, where.params);
}

interface StepRow { stepId: string; state: string; externalRef: string | null; startedAt: string | null; completedAt: string | null }

/** A saga as a TMF641 ServiceOrder, or null when none of its steps is a service step that ran or will. */
async function serviceOrderView(db: Queryable, registry: PlanRegistry, row: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const plan: CompiledPlan = await registry.get(db, String(row.plan_hash));
  if (plan.kind === 'bundle') return null;
  const serviceSteps = serviceStepsOf(plan);
  const services = new Map(plan.steps.filter((s: CompiledStep) => serviceSteps.has(s.id)).map((s) => [s.id, s]));
  const raw = row.steps;
  const steps = ((typeof raw === 'string' ? JSON.parse(raw) : raw) ?? []) as StepRow[];
  // A skipped step was not needed (its rule said so): decomposition did not create it.
  const items = steps.filter((s) => services.has(s.stepId) && s.state !== 'SKIPPED').map((s) => ({
    id: s.stepId,
    '@type': 'ServiceOrderItem',
    action: String(row.action ?? 'add'),
    state: ITEM_STATE[s.state] ?? 'inProgress',
    service: {
      ...(s.externalRef ? { id: s.externalRef } : {}),
      '@type': 'Service',
      serviceSpecification: { id: services.get(s.stepId)?.ref?.id as string, '@referredType': 'ServiceSpecification' },
    },
  }));
  if (items.length === 0) return null;
  const state = orderState(items.map((i) => i.state));
  const id = String(row.id);
  const productOrderId = String(row.product_order_id);
  const relatedParty = typeof row.related_party === 'string' ? JSON.parse(row.related_party) : row.related_party;
  return {
    id, href: `${SERVICE_ORDERING}/serviceOrder/${encodeURIComponent(id)}`, '@type': 'ServiceOrder', state,
    orderDate: iso(row.created_at),
    ...(state === 'completed' ? { completionDate: iso(row.updated_at) } : {}),
    externalReference: [{ id: productOrderId, href: orderHref(productOrderId), name: `product order ${productOrderId} item ${String(row.product_order_item_id)}`, externalReferenceType: 'ProductOrder' }],
    ...(row.external_id ? { externalId: String(row.external_id) } : {}),
    relatedParty: Array.isArray(relatedParty) ? relatedParty : [],
    serviceOrderItem: items,
  };
}

export const serviceOrdering: ServicePlugin = async (app, { runtime }) => {
  const views = async (filters: Record<string, string | undefined>) => {
    const rows = await sagasOf(runtime.store, filters);
    if (isProblem(rows)) return rows;
    const all = (await Promise.all(rows.map((r) => serviceOrderView(runtime.store, runtime.registry, r)))).filter((v): v is Record<string, unknown> => v !== null);
    // The filters on computed states apply to the views.
    const states = filters.state !== undefined ? anyOf(filters.state) : null;
    const itemStates = filters['serviceOrderItem.state'] !== undefined ? anyOf(filters['serviceOrderItem.state'] as string) : null;
    const specs = filters['serviceOrderItem.service.serviceSpecification.id'] !== undefined
      ? anyOf(filters['serviceOrderItem.service.serviceSpecification.id'] as string) : null;
    return all.filter((v) => {
      const items = v.serviceOrderItem as { state: string; service: { serviceSpecification: { id: string } } }[];
      return (states === null || states.includes(String(v.state)))
        && (itemStates === null || items.some((i) => itemStates.includes(i.state)))
        && (specs === null || items.some((i) => specs.includes(i.service.serviceSpecification.id)));
    });
  };

  app.get(`${SERVICE_ORDERING}/serviceOrder`, { schema: { querystring: listQuerySchema(SERVICE_ORDER_FILTERS) } }, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const page = pageOf(query);
    if (isProblem(page)) return sendError(reply, 400, page.message, [page]);
    const found = await views(query);
    if (isProblem(found)) return sendError(reply, 400, found.message, [found]);
    return sendPage(reply, found.length, found.slice(page.offset, page.offset + page.limit).map((v) => project(v, query.fields)));
  });

  app.get(`${SERVICE_ORDERING}/serviceOrder/:id`, {
    schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } }, querystring: readQuerySchema },
  }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = await views({ id });
    const view = isProblem(found) ? undefined : found[0];
    if (!view) return sendError(reply, 404, `no service order ${id}`, [{ field: 'id', message: `id: no service order ${id}` }]);
    return reply.send(project(view, (request.query as Record<string, string | undefined>).fields));
  });
};
