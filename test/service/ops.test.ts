// The operations endpoints (/o2a/v1/ops/...) and the server-rendered page on every store: orders
// by state, the read model and trail, stuck steps, fallout resume behind the token, approvals,
// reconciliation findings; 400/404/409 with the field at fault; data escaped in the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { ManualClock } from '../../runtime/clock.js';
import type { Runtime } from '../../runtime/runtime.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from '../runtime/harness.js';
import { opsServer, TOKEN } from './ops-helpers.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const API = '/o2a/v1/ops';
const auth = { authorization: `Bearer ${TOKEN}` };

describe.each(stores)('ops endpoints on $name', (storeUnderTest) => {
  let runtime: Runtime;
  let clock: ManualClock;
  let app: FastifyInstance;
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: String(response.headers['content-type'] ?? '').includes('json') ? response.json() : response.body, headers: response.headers };
  };
  const post = async (url: string, payload: unknown = {}, headers: Record<string, string> = auth) => {
    const response = await app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers });
    return { status: response.statusCode, body: response.json() };
  };

  beforeAll(async () => {
    ({ runtime, clock } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans as CompiledPlan[]);
    app = await opsServer(runtime);
    // One completes; one falls out at the ONT reservation; one waits on a verification that
    // answers in 5 minutes (its timeout is shorter than the hour the clock will jump); one gets
    // cancelled after its installation (the plan asks for an approval); one is rejected at intake.
    await runtime.submitOrder(mobileOrder('po-ok'));
    await runtime.submitOrder(homeFiberOrder('po-fall'), { scenario: { steps: { ont: { outcome: 'rejected', reason: 'warehouse out of stock' } } } });
    await runtime.submitOrder(homeFiberOrder('po-slow'), { scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await runtime.submitOrder(homeFiberOrder('po-cancel'), { scenario: { steps: { verify: { delayMs: 300_000 } } } });
    await runtime.submitOrder({ ...(homeFiberOrder('po-xss') as object), externalId: '<script>alert("x")</script>',
      productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NO_SUCH_<b>OFFER</b>' } }] });
    await runtime.runUntilIdle();
    const cancel = await runtime.engine.cancel({ productOrderId: 'po-cancel', reason: 'moving abroad' });
    expect(cancel).toMatchObject({ ok: true });
    await runtime.runUntilIdle();
  });

  afterAll(async () => {
    await app?.close();
    if (runtime) await disposeRuntime(runtime);
  });

  it('counts orders by state and lists them with paging headers', async () => {
    const { body } = await get(`${API}/order-states`);
    const counts = Object.fromEntries((body.states as { state: string; count: number }[]).map((s) => [s.state, s.count]));
    expect(counts).toMatchObject({ completed: 1, held: 1, rejected: 1 });
    expect((counts.inProgress ?? 0) + (counts.assessingCancellation ?? 0) + (counts.pendingCancellation ?? 0)).toBe(2);

    const held = await get(`${API}/orders?state=held`);
    expect(held.status).toBe(200);
    expect(held.body.orders.map((o: { id: string }) => o.id)).toEqual(['po-fall']);
    expect(held.headers['x-total-count']).toBe('1');
    const paged = await get(`${API}/orders?limit=2&offset=1`);
    expect(paged.body).toMatchObject({ total: 5 });
    expect(paged.body.orders).toHaveLength(2);
  });

  it('refuses parameters that are not valid with 400 naming the field, unknown things with 404', async () => {
    expect(await get(`${API}/orders?state=stuck`)).toMatchObject({
      status: 400, body: { status: '400', field: 'querystring.state', message: expect.stringContaining('must be one of acknowledged') },
    });
    expect(await get(`${API}/orders?limit=0`)).toMatchObject({ status: 400, body: { field: 'querystring.limit', message: 'querystring.limit: must be from 1 to 500' } });
    expect(await get(`${API}/fallout?limit=501`)).toMatchObject({ status: 400, body: { field: 'querystring.limit' } });
    expect(await get(`${API}/orders?colour=red`)).toMatchObject({ status: 400, body: { field: 'querystring.colour' } });
    expect(await get(`${API}/orders?limit=abc`)).toMatchObject({ status: 400, body: { field: 'querystring.limit' } });
    expect(await get(`${API}/trail`)).toMatchObject({ status: 400, body: { field: 'querystring.correlationId', message: 'querystring.correlationId: required' } });
    expect(await get(`${API}/stuck?olderThanMs=-5`)).toMatchObject({ status: 400, body: { field: 'querystring.olderThanMs' } });
    expect(await get(`${API}/fallout?state=open`)).toMatchObject({ status: 400, body: { field: 'querystring.state' } });
    expect(await get(`${API}/orders/po-nope`)).toMatchObject({ status: 404, body: { status: '404', field: 'id', message: 'no order po-nope' } });
    expect(await get(`${API}/fallout/fc-nope`)).toMatchObject({ status: 404, body: { field: 'id' } });
    expect(await get(`${API}/trail?correlationId=ota-nope`)).toMatchObject({ status: 404, body: { field: 'correlationId' } });
    // Values are parameters, never SQL.
    const injection = encodeURIComponent("po-ok' OR '1'='1");
    expect((await get(`${API}/orders/${injection}`)).status).toBe(404);
    expect((await get(`${API}/search?q=${injection}`)).body).toEqual({ orders: [] });
    expect((await get(`${API}/orders?correlationId=${encodeURIComponent("x' OR 1=1 --")}`)).body).toMatchObject({ total: 0, orders: [] });
  });

  it('serves the §32 read model, the trail by order and by correlation id, and finds orders by any of their ids', async () => {
    const { body: view } = await get(`${API}/orders/po-fall`);
    expect(view).toMatchObject({ productOrderId: 'po-fall', internalState: 'held', currentBlockingStep: 'ont', providerActionRequired: true });
    expect(view.customerVisibleStatus).not.toBe('held');
    const { body: byOrder } = await get(`${API}/orders/po-fall/trail`);
    expect(byOrder.correlationId).toBe(view.correlationId);
    const { body: byCorrelation } = await get(`${API}/trail?correlationId=${view.correlationId}`);
    expect(byCorrelation.orders).toEqual(['po-fall']);
    expect(byCorrelation.trail.map((e: { messageId: string }) => e.messageId)).toEqual(byOrder.trail.map((e: { messageId: string }) => e.messageId));
    expect(byCorrelation.trail.some((e: { type: string }) => e.type === 'FalloutCaseRaised')).toBe(true);
    for (const q of ['po-fall', 'crm-po-fall', view.correlationId]) {
      expect((await get(`${API}/search?q=${q}`)).body.orders.map((o: { id: string }) => o.id)).toEqual(['po-fall']);
    }
    const svg = await get(`${API}/orders/po-fall/items/1/graph.svg`);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).toContain('<g class="step" data-id="ont" data-state="FAILED">');
    expect(await get(`${API}/orders/po-fall/items/9/graph.svg`)).toMatchObject({ status: 404, body: { field: 'item' } });
  });

  it('lists steps waiting beyond their plan timeout, grouped by step', async () => {
    const before = await get(`${API}/stuck`);
    expect(before.body.groups).toEqual([]);
    const waiting = await get(`${API}/stuck?olderThanMs=0`);
    expect(waiting.body.groups.find((g: { stepId: string }) => g.stepId === 'verify')).toMatchObject({ kind: 'verification', count: 2 });
    // An hour on and no worker ran: the verification has waited past its timeout.
    clock.set(new Date(clock.now().getTime() + 3600_000));
    const after = await get(`${API}/stuck`);
    const verify = after.body.groups.find((g: { stepId: string }) => g.stepId === 'verify');
    expect(verify).toMatchObject({ kind: 'verification', count: 2 });
    expect(verify.orders.map((o: { productOrderId: string }) => o.productOrderId).sort()).toEqual(['po-cancel', 'po-slow']);
    expect(verify.orders[0]).toMatchObject({ state: 'STARTED', itemId: '1' });
    expect(verify.orders[0].waitingMs).toBeGreaterThan(verify.orders[0].expectedMs);
    const page = await get('/ops');
    expect(page.body).toContain('<tr data-step="verify">');
  });

  it('lists fallout; resume needs the token, then the order completes; a second resume is 409', async () => {
    const { body } = await get(`${API}/fallout`);
    expect(body.cases).toHaveLength(1);
    const fallout = body.cases[0];
    expect(fallout).toMatchObject({ productOrderId: 'po-fall', failedStepId: 'ont', state: 'OPEN', party: 'provider' });
    expect(fallout.failureReason).toContain('warehouse out of stock');
    expect(await get(`${API}/fallout/${fallout.id}`)).toMatchObject({ status: 200, body: { id: fallout.id } });

    expect(await post(`${API}/fallout/${fallout.id}/resume`, {}, {})).toMatchObject({ status: 401 });
    expect(await post(`${API}/fallout/${fallout.id}/resume`, {}, { authorization: 'Bearer wrong' })).toMatchObject({ status: 401 });
    expect((await get(`${API}/fallout/${fallout.id}`)).body.state).toBe('OPEN');
    expect(await post(`${API}/fallout/fc-nope/resume`)).toMatchObject({ status: 404, body: { field: 'id' } });

    const resumed = await post(`${API}/fallout/${fallout.id}/resume`);
    expect(resumed).toMatchObject({ status: 200, body: { resumed: { caseId: fallout.id, productOrderId: 'po-fall', stepId: 'ont' } } });
    expect(await post(`${API}/fallout/${fallout.id}/resume`)).toMatchObject({ status: 409, body: { message: expect.stringContaining('not OPEN') } });
    await runtime.settle();
    expect((await get(`${API}/orders/po-fall`)).body.internalState).toBe('completed');
    expect((await get(`${API}/fallout`)).body.cases).toEqual([]);
    expect((await get(`${API}/fallout?state=all`)).body.cases[0]).toMatchObject({ id: fallout.id, state: 'RESUMED' });
  });

  it('lists approvals awaiting a decision and takes one behind the token', async () => {
    const { body } = await get(`${API}/approvals`);
    expect(body.approvals).toHaveLength(1);
    const approval = body.approvals[0];
    expect(approval).toMatchObject({ productOrderId: 'po-cancel', state: 'PENDING' });
    const url = `${API}/approvals/${approval.id}/decision`;
    expect(await post(url, { decision: 'approve', by: 'sup-1' }, {})).toMatchObject({ status: 401 });
    expect(await post(url, { decision: 'maybe', by: 'sup-1' })).toMatchObject({ status: 400, body: { field: 'body.decision' } });
    expect(await post(url, { decision: 'approve' })).toMatchObject({ status: 400, body: { field: 'body.by' } });
    expect(await post(`${API}/approvals/ap-nope/decision`, { decision: 'approve', by: 'sup-1' })).toMatchObject({ status: 404 });
    expect(await post(url, { decision: 'refuse', by: 'sup-1', note: 'fee not agreed' })).toMatchObject({
      status: 200, body: { approval: { id: approval.id, state: 'REFUSED', decidedBy: 'sup-1' } },
    });
    expect(await post(url, { decision: 'approve', by: 'sup-2' })).toMatchObject({ status: 409 });
    expect((await get(`${API}/approvals`)).body.approvals).toEqual([]);
    expect((await get(`${API}/approvals?state=all`)).body.approvals).toHaveLength(1);
  });

  it('lists reconciliation findings', async () => {
    await runtime.settle();
    await runtime.reconciler.reconcile();
    const { status, body } = await get(`${API}/reconciliation`);
    expect(status).toBe(200);
    expect(Array.isArray(body.findings)).toBe(true);
    expect(await get(`${API}/reconciliation?action=fixed`)).toMatchObject({ status: 400, body: { field: 'querystring.action' } });
  });

  it('renders the page with every text from data escaped, under a policy that loads nothing from elsewhere', async () => {
    const list = await get('/ops/orders?state=rejected');
    expect(list.headers['content-type']).toContain('text/html');
    expect(list.headers['content-security-policy']).toContain("default-src 'none'");
    expect(list.body).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(list.body).not.toContain('<script>alert');
    const order = await get('/ops/orders/po-xss');
    expect(order.status).toBe(200);
    expect(order.body).toContain('NO_SUCH_&lt;b&gt;OFFER&lt;/b&gt;');
    expect(order.body).not.toContain('<b>OFFER');
    expect(order.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect((await get(`/ops/orders/${encodeURIComponent('<i>nope</i>')}`))).toMatchObject({ status: 404, body: expect.stringContaining('&lt;i&gt;nope&lt;/i&gt;') });
    expect((await get('/ops/orders?limit=9999')).status).toBe(400);
    const search = await app.inject({ method: 'GET', url: '/ops/search?q=crm-po-fall' });
    expect(search.statusCode).toBe(303);
    expect(search.headers.location).toBe('/ops/orders/po-fall');
  });

  it("draws a bundle's items coloured by the sagas its order items run, beside each item's own steps", async () => {
    await runtime.submitOrder({
      id: 'po-family', relatedParty: [{ id: 'cust-9', role: 'customer' }],
      productOrderItem: [{
        id: '1', action: 'add', productOffering: { id: 'FAMILY_PACK' },
        product: { productCharacteristic: [{ name: 'installation', value: 'technician' }, { name: 'simType', value: 'physical' }] },
        productOrderItem: [{ id: '1.tv', action: 'add', productOffering: { id: 'OTT_STREAMING' } }],
      }],
    }, { scenario: { steps: { ott: { outcome: 'timeout' } } } });
    await runtime.settle();
    const bundle = await get(`${API}/orders/po-family/items/1/graph.svg`);
    expect(bundle.status).toBe(200);
    expect(bundle.body).toContain('<g class="step" data-id="item:mobile" data-state="SUCCEEDED">');
    expect(bundle.body).toContain('<g class="step" data-id="item:fiber" data-state="SUCCEEDED">');
    expect(bundle.body).toMatch(/<g class="step" data-id="item:tv" data-state="(FAILED|WAITING)">/);
    const page = await get('/ops/orders/po-family');
    for (const item of ['1', '1.mobile', '1.fiber', '1.tv']) expect(page.body).toContain(`<div class="graph" data-item="${item}">`);
    expect(await get(`${API}/orders/po-xss/items/1/graph.svg`)).toMatchObject({ status: 404, body: { field: 'item' } });
  });
});
