// TMF622 Product Ordering v4 (`/tmf-api/productOrderingManagement/v4/`): product orders and
// their cancellation. Each route checks the request against the TMF622 schema (ajv), translates it
// and calls the engine's API: submitOrder, amend, cancel. Answers:
// - POST /productOrder: 201 with the order as TMF622 shows it, taken (`acknowledged`, then its
//   saga runs) or taken and rejected at once (`rejected`, `errorMessage` naming the field: an
//   offering no plan covers, an item without an offering). The same id with the same body again:
//   200 with the order as it is now (nothing was created: RFC 9110's 201 means a new resource);
//   the same id with another body: 409 naming the first field that differs; a body that is not a
//   valid TMF622 order: 400 naming the field.
// - PATCH /productOrder/{id}: an amendment (§19) of one item's characteristics, the plan's amend
//   rule named by the item's `change` (o2a's extension); 200 with the order, 409 with the plan's
//   text when the rule refuses it now.
// - POST /cancelProductOrder: 201 with the cancel request and its own state (done at once when
//   nothing ran, inProgress while compensations run, terminatedWithError with the plan's text when
//   refused); the same `Idempotency-Key` again: 200 with that request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServicePlugin } from './context.js';
import { problemOf, sendError, type Problem } from './errors.js';
import { isProblem, listQuerySchema, pageOf, project, readQuerySchema, sendPage } from './listing.js';
import {
  CANCEL_FILTERS, ORDER_FILTERS, PRODUCT_ORDERING, cancelHref, cancelView, orderHref, readOrder, searchCancels, searchOrders,
} from './product-order-view.js';
import { cancelRequest } from '../runtime/engine/cancellation.js';
import { tmf622 } from './tmf-schemas.js';

type Query = Record<string, string | undefined>;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } } as const;
/** A client's key for a retried write (PATCH, cancel): the request is answered as the first. */
const idempotencyHeaders = {
  type: 'object', properties: { 'idempotency-key': { type: 'string', pattern: '^[\\w.:@-]{1,128}$' } },
} as const;

export const productOrdering: ServicePlugin = async (app, { runtime, guard }) => {
  const engine = runtime.engine;

  // --- productOrder ---------------------------------------------------------------------------
  app.post(`${PRODUCT_ORDERING}/productOrder`, {
    preHandler: guard,
    schema: { body: tmf622('ProductOrder_Create'), querystring: { type: 'object', additionalProperties: false } },
  }, async (request, reply) => {
    // The edge took it as a valid TMF622 order: an item without an offering is then the intake's
    // rejection (recorded, with the reason), not a refusal.
    const result = await runtime.submitOrder(request.body, { offeringRequired: false });
    if (result.ok || result.code === 'rejected' || result.code === 'rejected-before') {
      const created = result.ok ? !result.duplicate : result.code === 'rejected';
      const view = await readOrder(runtime.store, result.productOrderId);
      if (!view) throw new Error(`product order ${result.productOrderId} was taken but cannot be read`);
      request.log.info({ productOrderId: result.productOrderId, orderCorrelationId: result.correlationId, state: view.state, created },
        created ? 'product order taken' : 'product order submitted again: answered as taken');
      return reply.code(created ? 201 : 200).header('Location', orderHref(result.productOrderId)).send(view);
    }
    if (result.code === 'conflict') {
      const field = result.field;
      return sendError(reply, 409, `product order ${result.productOrderId} already exists with a different body`
        + `${field ? ` (${field} differs)` : ''}; nothing was recorded`, [{ field, message: result.problems.join('; ') }]);
    }
    const problems = result.problems.map((p) => problemOf(p));
    return sendError(reply, 400, `not a product order this server can take: ${problems[0]?.message ?? 'invalid'}; nothing was recorded`, problems);
  });

  app.get(`${PRODUCT_ORDERING}/productOrder`, { schema: { querystring: listQuerySchema(ORDER_FILTERS) } }, async (request, reply) => {
    const query = request.query as Query;
    const page = pageOf(query);
    if (isProblem(page)) return sendError(reply, 400, page.message, [page]);
    const found = await searchOrders(runtime.store, query, page);
    if (isProblem(found)) return sendError(reply, 400, found.message, [found]);
    return sendPage(reply, found.total, found.views.map((v) => project(v, query.fields)));
  });

  app.get(`${PRODUCT_ORDERING}/productOrder/:id`, { schema: { params: idParams, querystring: readQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const view = await readOrder(runtime.store, id);
    if (!view) return sendError(reply, 404, `no product order ${id}`, [{ field: 'id', message: `id: no product order ${id}` }]);
    return reply.send(project(view, (request.query as Query).fields));
  });

  app.patch(`${PRODUCT_ORDERING}/productOrder/:id`, {
    preHandler: guard,
    schema: { params: idParams, headers: idempotencyHeaders, body: tmf622('ProductOrder_Amend'), querystring: { type: 'object', additionalProperties: false } },
  }, async (request, reply) => amendOrder(request, reply));

  // TMF622 defines DELETE: this server never deletes an order (its history is kept); a cancel does what a client wants of it.
  app.delete(`${PRODUCT_ORDERING}/productOrder/:id`, { preHandler: guard, schema: { params: idParams } }, async (_request, reply) =>
    sendError(reply.header('Allow', 'GET, PATCH'), 405, 'a product order is not deleted here: cancel it with POST cancelProductOrder'));

  /** A PATCH is an amendment of one item (§19): the only change of an order in flight this runtime makes. */
  async function amendOrder(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { id } = request.params as { id: string };
    const body = request.body as Record<string, unknown>;
    const asked = amendmentOf(body);
    if (isProblem(asked)) return sendError(reply, 400, `${asked.message}`, [asked]);
    const key = request.headers['idempotency-key'] as string | undefined;
    const result = await engine.amend({ productOrderId: id, itemId: asked.itemId, change: asked.change, with: asked.with, ...(key ? { id: key } : {}) });
    if (!result.ok) {
      const field = amendField(result.field);
      const problem: Problem = { field, message: result.problem.replace(/^[^:]+: /, `${field}: `) };
      if (result.code === 'not-found' && result.field === 'productOrderId') return sendError(reply, 404, `no product order ${id}`, [{ field: 'id', message: `id: no product order ${id}` }]);
      if (result.code === 'refused') return sendError(reply, 409, `amendment refused: ${problem.message}; nothing was changed`, [problem]);
      return sendError(reply, 400, `${problem.message}; nothing was changed`, [problem]);
    }
    const view = await readOrder(runtime.store, id);
    request.log.info({ productOrderId: id, amendmentRequestId: result.request.id, duplicate: result.duplicate }, 'amendment taken');
    return reply.code(200).header('X-Amendment-Request-Id', result.request.id).send(view);
  }

  // --- cancelProductOrder ---------------------------------------------------------------------
  app.post(`${PRODUCT_ORDERING}/cancelProductOrder`, {
    preHandler: guard,
    schema: { headers: idempotencyHeaders, body: tmf622('CancelProductOrder_Create'), querystring: { type: 'object', additionalProperties: false } },
  }, async (request, reply) => {
    const body = request.body as { productOrder: { id: string }; cancellationReason?: string; requestedCancellationDate?: string };
    if (body.requestedCancellationDate !== undefined && Date.parse(body.requestedCancellationDate) > Date.now() + 60_000) {
      const problem = { field: 'requestedCancellationDate', message: 'requestedCancellationDate: this server cancels at once; a cancellation at a later date is not taken' };
      return sendError(reply, 400, `${problem.message}; nothing was recorded`, [problem]);
    }
    const key = request.headers['idempotency-key'] as string | undefined;
    const result = await engine.cancel({
      productOrderId: body.productOrder.id,
      ...(body.cancellationReason !== undefined ? { reason: body.cancellationReason } : {}),
      ...(key ? { id: key } : {}),
    });
    if (!result.ok) {
      const field = result.field === 'productOrderId' ? 'productOrder.id' : result.field === 'id' ? 'header.idempotency-key' : result.field;
      const message = result.problem.replace(/^[^:]+: /, `${field}: `);
      return sendError(reply, 400, `${message}; nothing was recorded`, [{ field, message }]);
    }
    request.log.info({ productOrderId: body.productOrder.id, cancelRequestId: result.request.id, state: result.request.state }, 'cancel request taken');
    return reply.code(result.duplicate ? 200 : 201).header('Location', cancelHref(result.request.id)).send(cancelView(result.request));
  });

  app.get(`${PRODUCT_ORDERING}/cancelProductOrder`, { schema: { querystring: listQuerySchema(CANCEL_FILTERS) } }, async (request, reply) => {
    const query = request.query as Query;
    const page = pageOf(query);
    if (isProblem(page)) return sendError(reply, 400, page.message, [page]);
    const found = await searchCancels(runtime.store, query, page);
    return sendPage(reply, found.total, found.views.map((v) => project(v, query.fields)));
  });

  app.get(`${PRODUCT_ORDERING}/cancelProductOrder/:id`, { schema: { params: idParams, querystring: readQuerySchema } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const found = await cancelRequest(runtime.store, id);
    if (!found) return sendError(reply, 404, `no cancel request ${id}`, [{ field: 'id', message: `id: no cancel request ${id}` }]);
    return reply.send(project(cancelView(found), (request.query as Query).fields));
  });
};

interface AmendmentAsked {
  itemId: string;
  change: string;
  with: Record<string, unknown>;
}

/** What a PATCH body asks, or the problem naming the field it cannot have. */
function amendmentOf(body: Record<string, unknown>): AmendmentAsked | Problem {
  const other = Object.keys(body).filter((k) => k !== 'productOrderItem' && k !== '@type');
  if (other.length > 0) {
    return { field: other[0] as string, message: `${other[0]}: cannot be changed on an order in flight here: a PATCH amends one item's characteristics (productOrderItem)` };
  }
  const items = body.productOrderItem as Record<string, unknown>[] | undefined;
  if (!items || items.length !== 1) {
    return { field: 'productOrderItem', message: `productOrderItem: a PATCH amends exactly one item (${items?.length ?? 0} given)` };
  }
  const item = items[0] as Record<string, unknown>;
  const extra = Object.keys(item).filter((k) => !['id', 'action', 'change', 'product', '@type'].includes(k));
  if (extra.length > 0) {
    return { field: `productOrderItem.0.${extra[0]}`, message: `productOrderItem.0.${extra[0]}: cannot be amended: only the item's characteristics (product.productCharacteristic) can` };
  }
  if (item.action !== undefined && item.action !== 'modify') {
    return { field: 'productOrderItem.0.action', message: `productOrderItem.0.action: an amendment is a modify, not ${String(item.action)}` };
  }
  if (typeof item.change !== 'string') {
    return { field: 'productOrderItem.0.change', message: 'productOrderItem.0.change: required: the name of the plan\'s amend rule (appointment, speed, ...)' };
  }
  const product = (item.product ?? {}) as Record<string, unknown>;
  const productExtra = Object.keys(product).filter((k) => k !== 'productCharacteristic' && k !== '@type');
  if (productExtra.length > 0) {
    return { field: `productOrderItem.0.product.${productExtra[0]}`, message: `productOrderItem.0.product.${productExtra[0]}: cannot be amended: only productCharacteristic can` };
  }
  const characteristics = product.productCharacteristic as { name: string; value: unknown }[] | undefined;
  if (!characteristics || characteristics.length === 0) {
    return { field: 'productOrderItem.0.product.productCharacteristic', message: 'productOrderItem.0.product.productCharacteristic: required: the characteristics the amendment changes, with their new values' };
  }
  return { itemId: String(item.id), change: item.change, with: Object.fromEntries(characteristics.map((c) => [c.name, c.value])) };
}

/** The engine's field names of an amendment, as the PATCH body names them. */
function amendField(field: string): string {
  if (field === 'item' || field === 'itemId') return 'productOrderItem.0.id';
  if (field === 'change') return 'productOrderItem.0.change';
  if (field === 'id') return 'header.idempotency-key';
  if (field === 'with') return 'productOrderItem.0.product.productCharacteristic';
  if (field.startsWith('with.')) return `productOrderItem.0.product.productCharacteristic(${field.slice(5)})`;
  if (field === 'productOrderId') return 'id';
  return field;
}
