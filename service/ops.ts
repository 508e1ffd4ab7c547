// Operations (#12): JSON endpoints under /o2a/v1/ops/ and the ops page under /ops. Reads go
// through the runtime's readers (the §32 read model, the trail, approvals, reconciliation
// findings) and the read-only queries of ops/queries.ts; the two writes (resume a fallout case,
// decide an approval) sit behind the service's guard and call the engine API, nothing else.
//
// JSON errors: `{ status, code, reason, field? }` with 400 (a parameter that is not valid: the
// field and why), 404 (no such order, case or approval), 409 (a case not open, an approval decided).
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { approvals } from '../runtime/engine/cancellation.js';
import { reconciliationFindings } from '../runtime/engine/reconciliation.js';
import type { FalloutCaseState } from '../runtime/engine/states.js';
import { orderTrail, projectOrder } from '../runtime/projection/read-model.js';
import type { ServicePlugin } from './context.js';
import { sendError } from './errors.js';
import {
  FALLOUT_CASE_STATES, PRODUCT_ORDER_STATES, falloutCase, falloutCases, findOrders, listOrders, orderPlans, ordersByState,
  stuckOrders, trailByCorrelation,
} from './ops/queries.js';
import { dashboardPage, itemGraph, messagePage, orderListPage, orderPage, trailPage, type PageOptions } from './ops/page.js';

export const OPS_API = '/o2a/v1/ops';
export const OPS_PAGE = '/ops';

const text = { type: 'string', minLength: 1, maxLength: 200 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: text } } as const;
/** Numbers in a query string arrive as text: checked as digits here, ranged by `intParam` (ajv coerces nothing). */
const digits = { type: 'string', pattern: '^[0-9]{1,12}$' } as const;
const page = { limit: digits, offset: digits } as const;
/** A query string of these parameters, and no other (an unknown one is refused, not ignored). */
const query = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
const APPROVAL_STATES = ['PENDING', 'APPROVED', 'REFUSED'] as const;

interface PageQuery { limit?: string; offset?: string }

/** A query parameter out of its range: 400 naming it. */
class ParamError extends Error {
  readonly statusCode = 400;
  constructor(readonly field: string, problem: string) { super(`${field}: ${problem}`); }
}

function intParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ParamError(`querystring.${name}`, `must be from ${min} to ${max}`);
  return n;
}

function paging(q: PageQuery): { limit: number; offset: number } {
  return { limit: intParam(q.limit, 'limit', 50, 1, 500), offset: intParam(q.offset, 'offset', 0, 0, 1_000_000_000) };
}

/** Answers an error as the rest of the service does (TMF630 `Error`, the field at fault beside it). */
function fail(reply: FastifyReply, status: number, message: string, field: string | null = null): FastifyReply {
  return sendError(reply, status, message, [{ field, message }]);
}

/**
 * The operations part of `o2a serve`: register with the service context,
 * `app.register(opsPlugin, { runtime, guard })`. Routes are absolute (no prefix needed).
 */
export const opsPlugin: ServicePlugin = async (app, { runtime, guard }) => {
  const db = runtime.store;

  // Encapsulated: answers for the routes of this plugin only.
  app.setErrorHandler((error: Error & { statusCode?: number; validation?: SchemaError[]; validationContext?: string }, request, reply) => {
    if (error instanceof ParamError) return answerError(request, reply, 400, error.message, error.field);
    if (error.validation && error.validation.length > 0) {
      const problem = schemaProblem(error.validation[0] as SchemaError, error.validationContext);
      return answerError(request, reply, 400, problem.message, problem.field);
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return answerError(request, reply, status, error.message);
    request.log.error({ err: error }, 'ops request failed');
    return answerError(request, reply, 500, 'internal error: see the service log');
  });

  // --- JSON ---------------------------------------------------------------------------------
  app.get(`${OPS_API}/order-states`, { schema: { querystring: query({}) } }, async () => ({ states: await ordersByState(db) }));

  app.get<{ Querystring: PageQuery & { state?: string; correlationId?: string } }>(`${OPS_API}/orders`, {
    schema: { querystring: query({ state: { type: 'string', enum: [...PRODUCT_ORDER_STATES] }, correlationId: text, ...page }) },
  }, async (request, reply) => {
    const { state, correlationId } = request.query;
    const list = await listOrders(db, { state, correlationId, ...paging(request.query) });
    void reply.header('X-Total-Count', String(list.total)).header('X-Result-Count', String(list.orders.length));
    return list;
  });

  app.get<{ Querystring: { q: string } }>(`${OPS_API}/search`, {
    schema: { querystring: query({ q: text }, ['q']) },
  }, async (request) => ({ orders: await findOrders(db, request.query.q) }));

  app.get<{ Params: { id: string } }>(`${OPS_API}/orders/:id`, { schema: { params: idParams, querystring: query({}) } }, async (request, reply) => {
    const view = await projectOrder(db, runtime.registry, request.params.id);
    return view ?? fail(reply, 404, `no order ${request.params.id}`, 'id');
  });

  app.get<{ Params: { id: string } }>(`${OPS_API}/orders/:id/trail`, { schema: { params: idParams, querystring: query({}) } }, async (request, reply) => {
    const trail = await orderTrail(db, request.params.id);
    return trail.length > 0 ? { productOrderId: request.params.id, correlationId: trail[0]?.correlationId, trail } : fail(reply, 404, `no order ${request.params.id}`, 'id');
  });

  app.get<{ Params: { id: string; item: string } }>(`${OPS_API}/orders/:id/items/:item/graph.svg`, {
    schema: { params: { type: 'object', required: ['id', 'item'], properties: { id: text, item: text } }, querystring: query({}) },
  }, async (request, reply) => {
    const { id, item } = request.params;
    const view = await projectOrder(db, runtime.registry, id);
    if (!view) return fail(reply, 404, `no order ${id}`, 'id');
    const items = await orderPlans(db, runtime.registry, id);
    const found = items.find((i) => i.itemId === item);
    if (!found) return fail(reply, 404, `order ${id} has no item ${item}`, 'item');
    const svg = itemGraph(view, found, items);
    if (svg === null) return fail(reply, 404, `item ${item} has no plan in the registry (an item rejected at intake has none)`, 'item');
    return reply.type('image/svg+xml; charset=utf-8').send(svg);
  });

  app.get<{ Querystring: { correlationId: string } }>(`${OPS_API}/trail`, {
    schema: { querystring: query({ correlationId: text }, ['correlationId']) },
  }, async (request, reply) => {
    const found = await trailByCorrelation(db, request.query.correlationId);
    if (found.orders.length === 0) return fail(reply, 404, `no order with correlation id ${request.query.correlationId}`, 'correlationId');
    return { correlationId: request.query.correlationId, ...found };
  });

  app.get<{ Querystring: { olderThanMs?: string } }>(`${OPS_API}/stuck`, {
    schema: { querystring: query({ olderThanMs: digits }) },
  }, async (request) => {
    const olderThanMs = request.query.olderThanMs === undefined ? undefined : intParam(request.query.olderThanMs, 'olderThanMs', 0, 0, 366 * 86_400_000);
    const at = runtime.clock.now();
    const groups = await stuckOrders(db, runtime.registry, at, { olderThanMs });
    return { at: at.toISOString(), olderThanMs: olderThanMs ?? null, groups };
  });

  app.get<{ Querystring: PageQuery & { state?: FalloutCaseState | 'all'; order?: string } }>(`${OPS_API}/fallout`, {
    schema: { querystring: query({ state: { type: 'string', enum: [...FALLOUT_CASE_STATES, 'all'] }, order: text, ...page }) },
  }, async (request, reply) => {
    const { state = 'OPEN', order } = request.query;
    const list = await falloutCases(db, { state: state === 'all' ? undefined : state, productOrderId: order, ...paging(request.query) });
    void reply.header('X-Total-Count', String(list.total)).header('X-Result-Count', String(list.cases.length));
    return list;
  });

  app.get<{ Params: { id: string } }>(`${OPS_API}/fallout/:id`, { schema: { params: idParams, querystring: query({}) } }, async (request, reply) => {
    return (await falloutCase(db, request.params.id)) ?? fail(reply, 404, `no fallout case ${request.params.id}`, 'id');
  });

  app.post<{ Params: { id: string } }>(`${OPS_API}/fallout/:id/resume`, { schema: { params: idParams }, preHandler: guard }, async (request, reply) => {
    const id = request.params.id;
    const found = await falloutCase(db, id);
    if (!found) return fail(reply, 404, `no fallout case ${id}`, 'id');
    const result = await runtime.resume(id);
    if (!result.ok) return fail(reply, 409, result.problem, 'id');
    const { ok: _, ...resumed } = result;
    return { resumed, order: await projectOrder(db, runtime.registry, result.productOrderId) };
  });

  app.get<{ Querystring: { order?: string; action?: string } }>(`${OPS_API}/reconciliation`, {
    schema: { querystring: query({ order: text, action: { type: 'string', enum: ['repaired', 'retried', 'alerted'] } }) },
  }, async (request) => {
    const findings = await reconciliationFindings(db, request.query.order);
    return { findings: request.query.action ? findings.filter((f) => f.action === request.query.action) : findings };
  });

  app.get<{ Querystring: { state?: (typeof APPROVAL_STATES)[number] | 'all' } }>(`${OPS_API}/approvals`, {
    schema: { querystring: query({ state: { type: 'string', enum: [...APPROVAL_STATES, 'all'] } }) },
  }, async (request) => {
    const { state = 'PENDING' } = request.query;
    return { approvals: await approvals(db, state === 'all' ? undefined : state) };
  });

  app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'refuse'; by: string; note?: string } }>(`${OPS_API}/approvals/:id/decision`, {
    preHandler: guard,
    schema: {
      params: idParams,
      body: {
        type: 'object', required: ['decision', 'by'], additionalProperties: false,
        properties: { decision: { type: 'string', enum: ['approve', 'refuse'] }, by: text, note: { type: 'string', maxLength: 2000 } },
      },
    },
  }, async (request, reply) => {
    const { decision, by, note } = request.body;
    const result = await runtime.engine.approve(request.params.id, { by, note, approve: decision === 'approve' });
    if (!result.ok) {
      const status = result.code === 'not-found' ? 404 : result.code === 'decided' ? 409 : 400;
      return fail(reply, status, result.problem, result.field);
    }
    return { approval: result.approval };
  });

  // --- the page -----------------------------------------------------------------------------
  app.get(OPS_PAGE, { schema: { querystring: query({}) } }, async (_request, reply) => {
    const at = runtime.clock.now();
    const [states, stuck, fallout, pending, findings] = [
      await ordersByState(db), await stuckOrders(db, runtime.registry, at), await falloutCases(db, { state: 'OPEN', limit: 200, offset: 0 }),
      await approvals(db, 'PENDING'), await reconciliationFindings(db),
    ];
    const alerts = findings.filter((f) => f.action === 'alerted').slice(0, 50);
    return html(reply, (o) => dashboardPage({ ...o, title: 'Operations' }, { at: at.toISOString(), states, stuck, fallout, approvals: pending, alerts }));
  });

  app.get<{ Querystring: PageQuery & { state?: string } }>(`${OPS_PAGE}/orders`, {
    schema: { querystring: query({ state: { type: 'string', enum: [...PRODUCT_ORDER_STATES] }, ...page }) },
  }, async (request, reply) => {
    const { state } = request.query;
    const { limit, offset } = paging(request.query);
    const list = await listOrders(db, { state, limit, offset });
    return html(reply, (o) => orderListPage({ ...o, title: state ? `Orders ${state}` : 'Orders' }, state, list, { limit, offset }));
  });

  app.get<{ Params: { id: string } }>(`${OPS_PAGE}/orders/:id`, { schema: { params: idParams, querystring: query({}) } }, async (request, reply) => {
    const id = request.params.id;
    const view = await projectOrder(db, runtime.registry, id);
    if (!view) return html(reply.code(404), (o) => messagePage({ ...o, title: 'No such order' }, 'No such order', `There is no order ${id}.`));
    const [items, fallout] = [await orderPlans(db, runtime.registry, id), await falloutCases(db, { state: 'OPEN', productOrderId: id, limit: 50, offset: 0 })];
    return html(reply, (o) => orderPage({ ...o, title: `Order ${id}` }, { view, items, fallout: fallout.cases }));
  });

  app.get<{ Querystring: { correlationId: string } }>(`${OPS_PAGE}/trail`, {
    schema: { querystring: query({ correlationId: text }, ['correlationId']) },
  }, async (request, reply) => {
    const { correlationId } = request.query;
    const found = await trailByCorrelation(db, correlationId);
    if (found.orders.length === 0) {
      return html(reply.code(404), (o) => messagePage({ ...o, title: 'Nothing found' }, 'Nothing found', `No order has the correlation id ${correlationId}.`));
    }
    return html(reply, (o) => trailPage({ ...o, title: `Trail ${correlationId}` }, correlationId, found.orders, found.trail));
  });

  /** One order found: its page; several sharing a correlation id: their trail; none: says so. */
  app.get<{ Querystring: { q: string } }>(`${OPS_PAGE}/search`, {
    schema: { querystring: query({ q: text }, ['q']) },
  }, async (request, reply) => {
    const q = request.query.q.trim();
    const orders = await findOrders(db, q);
    if (orders.length === 1) return reply.redirect(`${OPS_PAGE}/orders/${encodeURIComponent((orders[0] as { id: string }).id)}`, 303);
    if (orders.length > 1 && orders.every((o) => o.correlationId === q)) return reply.redirect(`${OPS_PAGE}/trail?correlationId=${encodeURIComponent(q)}`, 303);
    if (orders.length > 1) {
      return html(reply, (o) => orderListPage({ ...o, title: `Search ${q}` }, undefined, { total: orders.length, orders }, { limit: orders.length, offset: 0 }));
    }
    return html(reply.code(404), (o) => messagePage({ ...o, title: 'Nothing found' }, 'Nothing found', `No order has the id, external id or correlation id ${q}.`));
  });
};

/** An HTML page with a policy that lets it load nothing from elsewhere and run only its own script. */
function html(reply: FastifyReply, render: (options: Omit<PageOptions, 'title'>) => string): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .type('text/html; charset=utf-8')
    .header('Content-Security-Policy', [
      "default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, "connect-src 'self'", "img-src 'self' data:",
      "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
    ].join('; '))
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cache-Control', 'no-store')
    .send(render({ nonce }));
}

/** Errors as JSON for the API, as a page for the ops page. */
function answerError(request: FastifyRequest, reply: FastifyReply, status: number, message: string, field: string | null = null): FastifyReply {
  const path = request.url.split('?')[0] as string;
  if (path === OPS_PAGE || path.startsWith(`${OPS_PAGE}/`)) {
    return html(reply.code(status), (o) => messagePage({ ...o, title: `Error ${status}` }, status === 404 ? 'Not found' : 'Not valid', message));
  }
  return fail(reply, status, message, field);
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** An ajv error named by its field, dotted: `querystring.limit: must be <= 500`, `body.decision: must be one of approve, refuse`. */
function schemaProblem(error: SchemaError, root: string | undefined): { field: string | null; message: string } {
  const path = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let message = error.message ?? error.keyword;
  if (error.keyword === 'required') { path.push(String(error.params.missingProperty)); message = 'required'; }
  if (error.keyword === 'additionalProperties') { path.push(String(error.params.additionalProperty)); message = 'not a field of this request'; }
  if (error.keyword === 'enum') message = `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`;
  const field = [...(root ? [root] : []), ...path].join('.') || null;
  return { field, message: field ? `${field}: ${message}` : message };
}
