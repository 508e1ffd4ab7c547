// TMF622 Product Ordering v4 and the TMF641 read side through the HTTP edge, on every store:
// intake (201, the same order again 200, another body 409, not a TMF622 order 400 naming the
// field, an offering no plan covers created then rejected with reasons), search (filters,
// fields=, paging headers), amendment by PATCH (200, or 409 with the plan's text), cancellation
// (its own states), the write guard, health and readiness; and the same over a real socket.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { amendmentRequests } from '../../runtime/engine/amendment.js';
import { homeFiberOrder, storesUnderTest } from '../runtime/harness.js';
import type { ServerOptions } from '../../service/server.js';
import { orderBody, PO, rowCounts, SO, startService, type ServiceUnderTest } from './service-harness.js';

const stores = await storesUnderTest();

describe.each(stores)('TMF622 over HTTP on $name', (storeUnderTest) => {
  let service: ServiceUnderTest | undefined;
  afterEach(async () => { await service?.close(); service = undefined; });

  async function start(options: Omit<ServerOptions, 'runtime'> = {}): Promise<ServiceUnderTest> {
    service = await startService(storeUnderTest, options);
    return service;
  }

  it('POST /productOrder: 201 with the TMF622 view, the same order again 200, another body 409, the saga runs to completed', async () => {
    const { app, runtime } = await start();
    const body = orderBody('po-h1', 'HOME_FIBER_1G', { installation: 'technician' });
    const created = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: body });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`${PO}/productOrder/po-h1`);
    expect(created.headers['x-correlation-id']).toMatch(/\S/);
    const view = created.json();
    expect(view).toMatchObject({
      id: 'po-h1', href: `${PO}/productOrder/po-h1`, '@type': 'ProductOrder', state: 'acknowledged', externalId: 'crm-po-h1', category: 'residential',
      relatedParty: body.relatedParty, productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G' }, state: 'acknowledged' }],
    });
    expect(new Date(view.orderDate).toISOString()).toBe(view.orderDate);

    const again = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: body });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: 'po-h1', orderDate: view.orderDate });

    const other = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: { ...body, category: 'business' } });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: '409', reason: 'Conflict', status: '409', field: 'category', message: expect.stringContaining('po-h1 already exists') });

    await runtime.settle();
    const read = await app.inject({ method: 'GET', url: `${PO}/productOrder/po-h1` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ state: 'completed', completionDate: expect.any(String), productOrderItem: [{ id: '1', state: 'completed' }] });
  });

  it('an offering no plan covers, or an item without one: created (201), then rejected with reasons naming the field', async () => {
    const { app } = await start();
    const unknown = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody('po-u1', 'NO_SUCH_OFFERING') });
    expect(unknown.statusCode).toBe(201);
    expect(unknown.json()).toMatchObject({
      id: 'po-u1', state: 'rejected', productOrderItem: [{ id: '1', state: 'rejected' }],
      errorMessage: [{ field: 'productOrderItem.0.productOffering.id', message: 'productOrderItem.0.productOffering.id: no fulfillment plan for offering NO_SUCH_OFFERING' }],
    });
    // The kit's minimal order: TMF622-valid, names no offering.
    const minimal = await app.inject({
      method: 'POST', url: `${PO}/productOrder`,
      payload: { productOrderItem: [{ id: '123', action: 'add' }], relatedParty: [{ id: '456-dd-df45', '@referredType': 'Individual' }] },
    });
    expect(minimal.statusCode).toBe(201);
    expect(minimal.json()).toMatchObject({
      id: expect.stringMatching(/^po-/), state: 'rejected', productOrderItem: [{ id: '123', action: 'add', state: 'rejected' }],
      errorMessage: [{ field: 'productOrderItem.0.productOffering', message: expect.stringContaining('no productOffering given') }],
    });
    // The same rejected order again: 200, still rejected, nothing new.
    const again = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody('po-u1', 'NO_SUCH_OFFERING') });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: 'po-u1', state: 'rejected' });
  });

  it('a body that is not a valid TMF622 order: 400 naming the field, nothing recorded', async () => {
    const { app, store } = await start();
    const before = await rowCounts(store);
    const cases: [unknown, string][] = [
      [{ productOrderItem: [{ id: '1', action: 'upgrade', productOffering: { id: 'HOME_FIBER_1G' } }] }, 'productOrderItem.0.action'],
      [{ productOrderItem: [{ action: 'add', productOffering: { id: 'HOME_FIBER_1G' } }] }, 'productOrderItem.0.id'],
      [{ relatedParty: [] }, 'productOrderItem'],
      [{ productOrderItem: [{ id: '1', action: 'add', productOffering: {} }] }, 'productOrderItem.0.productOffering.id'],
      [{ productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'HOME_FIBER_1G' }, colour: 'red' }] }, 'productOrderItem.0.colour'],
      [{ productOrderItem: [], requestedStartDate: 'soon' }, 'requestedStartDate'],
      // Valid for TMF622, not for the engine: no item at all.
      [{ productOrderItem: [] }, 'productOrderItem'],
    ];
    for (const [payload, field] of cases) {
      const response = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      const error = response.json();
      expect(error).toMatchObject({ code: '400', reason: 'Bad Request', status: '400', '@type': 'Error' });
      expect(error.problems.map((p: { field: string }) => p.field), JSON.stringify(error)).toContain(field);
      expect(error.message).toContain(field);
    }
    expect(await rowCounts(store)).toEqual(before);
  });

  it('GET /productOrder: attribute filters, fields=, offset/limit with X-Total-Count and X-Result-Count; GET one, 404', async () => {
    const { app, runtime } = await start();
    for (const [id, offering] of [['po-l1', 'MOBILE_POSTPAID'], ['po-l2', 'HOME_FIBER_1G'], ['po-l3', 'NO_SUCH_OFFERING']] as const) {
      expect((await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody(id, offering, { installation: 'technician' }) })).statusCode).toBe(201);
    }
    await runtime.settle();
    const list = await app.inject({ method: 'GET', url: `${PO}/productOrder` });
    expect(list.statusCode).toBe(200);
    expect(list.headers['x-total-count']).toBe('3');
    expect(list.headers['x-result-count']).toBe('3');
    expect(list.json().map((o: { id: string }) => o.id).sort()).toEqual(['po-l1', 'po-l2', 'po-l3']);

    const page = await app.inject({ method: 'GET', url: `${PO}/productOrder?limit=2&offset=2` });
    expect(page.headers['x-total-count']).toBe('3');
    expect(page.headers['x-result-count']).toBe('1');

    const byState = await app.inject({ method: 'GET', url: `${PO}/productOrder?state=rejected&fields=state` });
    expect(byState.json()).toEqual([{ id: 'po-l3', href: `${PO}/productOrder/po-l3`, '@type': 'ProductOrder', state: 'rejected' }]);
    const byOffering = await app.inject({ method: 'GET', url: `${PO}/productOrder?productOrderItem.productOffering.id=MOBILE_POSTPAID,HOME_FIBER_1G&fields=productOrderItem.state` });
    expect(byOffering.json().map((o: { id: string }) => o.id).sort()).toEqual(['po-l1', 'po-l2']);
    expect(byOffering.json()[0].productOrderItem).toEqual([{ state: 'completed' }]);
    const one = (await app.inject({ method: 'GET', url: `${PO}/productOrder/po-l1` })).json();
    const byDate = await app.inject({ method: 'GET', url: `${PO}/productOrder?orderDate=${encodeURIComponent(one.orderDate)}&id=po-l1` });
    expect(byDate.json()).toEqual([one]);
    const byParty = await app.inject({ method: 'GET', url: `${PO}/productOrder?relatedParty.id=cust-42&externalId=crm-po-l2` });
    expect(byParty.json().map((o: { id: string }) => o.id)).toEqual(['po-l2']);
    expect((await app.inject({ method: 'GET', url: `${PO}/productOrder/po-l1?fields=state` })).json()).toEqual({ id: 'po-l1', href: `${PO}/productOrder/po-l1`, '@type': 'ProductOrder', state: 'completed' });

    for (const [query, field] of [['limit=0', 'querystring.limit'], ['limit=x', 'querystring.limit'], ['colour=red', 'querystring.colour'],
      ['orderDate=yesterday', 'querystring.orderDate'], [`id=${encodeURIComponent("' OR 1=1 --")}`, null]] as const) {
      const response = await app.inject({ method: 'GET', url: `${PO}/productOrder?${query}` });
      if (field === null) { expect(response.statusCode).toBe(200); expect(response.json()).toEqual([]); continue; }
      expect(response.statusCode, query).toBe(400);
      expect(response.json().field).toBe(field);
    }
    const deleted = await app.inject({ method: 'DELETE', url: `${PO}/productOrder/po-l1` });
    expect(deleted.statusCode).toBe(405);
    expect(deleted.json().message).toContain('cancelProductOrder');
    expect((await app.inject({ method: 'GET', url: `${PO}/productOrder/po-l1?fields=id` })).statusCode).toBe(200);
    const missing = await app.inject({ method: 'GET', url: `${PO}/productOrder/po-none` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: '404', reason: 'Not Found', field: 'id', message: 'no product order po-none' });
  });

  it('PATCH /productOrder/{id}: an amendment the plan allows (200, replanned), one it refuses (409 with its text, nothing written)', async () => {
    const { app, runtime, store } = await start();
    // In flight: the appointment is answered an hour late.
    await runtime.submitOrder(homeFiberOrder('po-a1', { preferredDate: '2026-12-01' }), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } });
    await runtime.runUntilIdle();
    const patch = (id: string, item: Record<string, unknown>, headers: Record<string, string> = {}) => app.inject({
      method: 'PATCH', url: `${PO}/productOrder/${id}`, headers: { 'content-type': 'application/merge-patch+json', ...headers }, payload: JSON.stringify({ productOrderItem: [item] }),
    });
    const appointment = { id: '1', action: 'modify', change: 'appointment', product: { productCharacteristic: [{ name: 'preferredDate', value: '2026-12-08' }] } };
    const amended = await patch('po-a1', appointment, { 'idempotency-key': 'am-http-1' });
    expect(amended.statusCode, amended.body).toBe(200);
    expect(amended.headers['x-amendment-request-id']).toBe('am-http-1');
    expect(amended.json()).toMatchObject({ id: 'po-a1', state: 'inProgress' });
    expect(await amendmentRequests(store, 'po-a1')).toEqual([expect.objectContaining({ id: 'am-http-1', change: 'appointment', delta: { preferredDate: { old: '2026-12-01', new: '2026-12-08' } } })]);
    // The same request again (its key): answered as the first.
    expect((await patch('po-a1', appointment, { 'idempotency-key': 'am-http-1' })).statusCode).toBe(200);
    expect(await amendmentRequests(store, 'po-a1')).toHaveLength(1);
    await runtime.settle();
    expect((await app.inject({ method: 'GET', url: `${PO}/productOrder/po-a1?fields=state` })).json().state).toBe('completed');

    // After activation the speed is not amended: the plan's text, 409, nothing written.
    const before = await rowCounts(store);
    const speed = await patch('po-a1', { id: '1', action: 'modify', change: 'speed', product: { productCharacteristic: [{ name: 'downloadMbps', value: 2000 }] } });
    expect(speed.statusCode).toBe(409);
    expect(speed.json()).toMatchObject({ code: '409', field: 'productOrderItem.0.change', message: expect.stringContaining('the line is active: place a speed change order') });
    // Not an amendment of this plan, another field, an unknown item or order: 400 / 404 naming it.
    expect((await patch('po-a1', { id: '1', action: 'modify', change: 'colour', product: { productCharacteristic: [{ name: 'x', value: 1 }] } })).json())
      .toMatchObject({ code: '400', field: 'productOrderItem.0.change', message: expect.stringContaining('has no amendment') });
    expect((await patch('po-a1', { id: '9', action: 'modify', change: 'appointment', product: { productCharacteristic: [{ name: 'x', value: 1 }] } })).json())
      .toMatchObject({ code: '400', field: 'productOrderItem.0.id' });
    expect((await patch('po-a1', { id: '1', action: 'modify', product: { productCharacteristic: [{ name: 'x', value: 1 }] } })).json())
      .toMatchObject({ code: '400', field: 'productOrderItem.0.change' });
    expect((await patch('po-zz', appointment)).statusCode).toBe(404);
    // The body must still be a TMF622 ProductOrderItem: its action is required.
    expect((await patch('po-a1', { id: '1', change: 'speed', product: { productCharacteristic: [{ name: 'downloadMbps', value: 2000 }] } })).json())
      .toMatchObject({ code: '400', field: 'productOrderItem.0.action' });
    const description = await app.inject({ method: 'PATCH', url: `${PO}/productOrder/po-a1`, payload: { description: 'new' } });
    expect(description.json()).toMatchObject({ code: '400', field: 'description' });
    const jsonPatch = await app.inject({ method: 'PATCH', url: `${PO}/productOrder/po-a1`, headers: { 'content-type': 'application/json-patch+json' }, payload: '[]' });
    expect(jsonPatch.statusCode).toBe(415);
    expect(await rowCounts(store)).toEqual(before);
  });

  it('POST /cancelProductOrder: the cancel request with its own states (inProgress then done; refused with the plan\'s text); GET them', async () => {
    const { app, runtime } = await start();
    await runtime.submitOrder(homeFiberOrder('po-c1'), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } });
    await runtime.runUntilIdle();
    const cancel = (payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: `${PO}/cancelProductOrder`, headers, payload: payload as object });
    const taken = await cancel({ productOrder: { id: 'po-c1', '@referredType': 'ProductOrder' }, cancellationReason: 'moving abroad' }, { 'idempotency-key': 'cx-1' });
    expect(taken.statusCode, taken.body).toBe(201);
    expect(taken.headers.location).toBe(`${PO}/cancelProductOrder/cx-1`);
    expect(taken.json()).toMatchObject({
      id: 'cx-1', '@type': 'CancelProductOrder', state: 'inProgress', cancellationReason: 'moving abroad',
      productOrder: { id: 'po-c1', href: `${PO}/productOrder/po-c1` },
    });
    const retried = await cancel({ productOrder: { id: 'po-c1' }, cancellationReason: 'moving abroad' }, { 'idempotency-key': 'cx-1' });
    expect(retried.statusCode).toBe(200);
    expect(retried.json().id).toBe('cx-1');
    await runtime.settle();
    expect((await app.inject({ method: 'GET', url: `${PO}/cancelProductOrder/cx-1` })).json()).toMatchObject({ state: 'done', effectiveCancellationDate: expect.any(String) });
    expect((await app.inject({ method: 'GET', url: `${PO}/productOrder/po-c1?fields=state` })).json().state).toBe('cancelled');

    // A completed order: the plan refuses (after notify: reject), the request ends terminatedWithError with its text.
    await runtime.submitOrder(homeFiberOrder('po-c2'));
    await runtime.settle();
    const refused = await cancel({ productOrder: { id: 'po-c2' } });
    expect(refused.statusCode).toBe(201);
    expect(refused.json()).toMatchObject({ state: 'terminatedWithError', stateReason: 'the service is active: place a cease order instead' });

    const list = await app.inject({ method: 'GET', url: `${PO}/cancelProductOrder?productOrder.id=po-c1,po-c2&fields=state` });
    expect(list.headers['x-total-count']).toBe('2');
    expect(list.json().map((c: { state: string }) => c.state).sort()).toEqual(['done', 'terminatedWithError']);
    expect((await app.inject({ method: 'GET', url: `${PO}/cancelProductOrder?state=done` })).json().map((c: { id: string }) => c.id)).toEqual(['cx-1']);
    expect((await app.inject({ method: 'GET', url: `${PO}/cancelProductOrder/none` })).statusCode).toBe(404);
    expect((await cancel({ productOrder: { id: 'po-none' } })).json()).toMatchObject({ code: '400', field: 'productOrder.id' });
    expect((await cancel({ productOrder: {} })).json()).toMatchObject({ code: '400', field: 'productOrder.id' });
    expect((await cancel({ productOrder: { id: 'po-c2' }, requestedCancellationDate: '2099-01-01T00:00:00Z' })).json()).toMatchObject({ code: '400', field: 'requestedCancellationDate' });
  });

  it('TMF641 GET /serviceOrder: the service orders decomposition created, with states, filters and fields=', async () => {
    const { app, runtime } = await start();
    await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody('po-s1', 'HOME_FIBER_1G', { installation: 'technician' }) });
    await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody('po-s2', 'MOBILE_POSTPAID') });
    const early = await app.inject({ method: 'GET', url: `${SO}/serviceOrder` });
    expect(early.json()).toEqual([]);
    await runtime.settle();
    const all = await app.inject({ method: 'GET', url: `${SO}/serviceOrder` });
    expect(all.headers['x-total-count']).toBe('2');
    const fiber = (await app.inject({ method: 'GET', url: `${SO}/serviceOrder?externalReference.id=po-s1` })).json();
    expect(fiber).toHaveLength(1);
    expect(fiber[0]).toMatchObject({
      '@type': 'ServiceOrder', state: 'completed', externalId: 'crm-po-s1',
      externalReference: [{ id: 'po-s1', externalReferenceType: 'ProductOrder', href: `${PO}/productOrder/po-s1` }],
      serviceOrderItem: [{ id: 'internet', action: 'add', state: 'completed', service: { serviceSpecification: { id: 'INTERNET_ACCESS_CFS' } } }],
    });
    const one = await app.inject({ method: 'GET', url: `${SO}/serviceOrder/${fiber[0].id}?fields=state,serviceOrderItem.state` });
    expect(one.json()).toEqual({ id: fiber[0].id, href: fiber[0].href, '@type': 'ServiceOrder', state: 'completed', serviceOrderItem: [{ state: 'completed' }] });
    const bySpec = await app.inject({ method: 'GET', url: `${SO}/serviceOrder?serviceOrderItem.service.serviceSpecification.id=MOBILE_VOICE_DATA_CFS&state=completed` });
    expect(bySpec.json().map((s: { externalReference: { id: string }[] }) => s.externalReference[0]?.id)).toEqual(['po-s2']);
    expect((await app.inject({ method: 'GET', url: `${SO}/serviceOrder?state=failed` })).json()).toEqual([]);
    expect((await app.inject({ method: 'GET', url: `${SO}/serviceOrder/none` })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `${SO}/serviceOrder?priority=1` })).json()).toMatchObject({ code: '400', field: 'querystring.priority' });
  });

  it('the write guard: with a token, writes need it (401 otherwise), reads do not; health and readiness', async () => {
    const { app } = await start({ apiToken: 's3cret' });
    const body = orderBody('po-g1', 'MOBILE_POSTPAID');
    const none = await app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: body });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ code: '401', reason: 'Unauthorized', field: 'header.authorization' });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((await app.inject({ method: 'POST', url: `${PO}/productOrder`, headers: { authorization: 'Bearer wrong' }, payload: body })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `${PO}/cancelProductOrder`, payload: { productOrder: { id: 'po-g1' } } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'PATCH', url: `${PO}/productOrder/po-g1`, payload: { productOrderItem: [] } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: `${PO}/productOrder`, headers: { authorization: 'Bearer s3cret' }, payload: body })).statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `${PO}/productOrder/po-g1` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'up' });
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', database: 'reachable', migrations: { missing: [] } });
  });

  it('logs carry the correlation id; an internal error answers 500 without a word of SQL or stack, the correlation id to quote', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({ write(chunk, _encoding, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
    const { app, store } = await start({ logger: { level: 'info', stream } });
    await app.inject({ method: 'POST', url: `${PO}/productOrder`, headers: { 'x-correlation-id': 'corr-log-1' }, payload: orderBody('po-log1', 'MOBILE_POSTPAID') });
    const mine = lines.filter((l) => l.correlationId === 'corr-log-1');
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['incoming request', 'product order taken', 'request completed']));
    expect(mine.find((l) => l.msg === 'product order taken')).toMatchObject({ productOrderId: 'po-log1', orderCorrelationId: expect.stringMatching(/^ota-/) });
    // The database refuses (a table gone): the caller learns nothing of it, the log has it all.
    await store.exec('DROP TABLE cancel_request CASCADE');
    const failed = await app.inject({ method: 'GET', url: `${PO}/cancelProductOrder`, headers: { 'x-correlation-id': 'corr-log-2' } });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({
      code: '500', reason: 'Internal Server Error', status: '500', '@type': 'Error', field: null, problems: [],
      message: 'internal error; quote correlation id corr-log-2 to the operator',
    });
    expect(lines.find((l) => l.correlationId === 'corr-log-2' && l.level === 50)).toMatchObject({ msg: 'request failed', err: { message: expect.stringContaining('cancel_request') } });
  });

  it('over a real socket: listen on 127.0.0.1, POST and GET with fetch, the correlation id given is answered back', async () => {
    const { app, runtime } = await start();
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const posted = await fetch(`${address}${PO}/productOrder`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-socket-1' }, body: JSON.stringify(orderBody('po-n1', 'MOBILE_POSTPAID')),
    });
    expect(posted.status).toBe(201);
    expect(posted.headers.get('x-correlation-id')).toBe('corr-socket-1');
    await runtime.settle();
    const read = await fetch(`${address}${PO}/productOrder/po-n1`);
    expect(await read.json()).toMatchObject({ id: 'po-n1', state: 'completed' });
  });
});
