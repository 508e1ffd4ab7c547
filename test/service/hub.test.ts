// The TMF622 event hub on every store: real HTTP listeners on 127.0.0.1 that are down (refusing
// connections, answering 503) and then up get every event, in order per order, none lost, also
// across a restart of the hub; the query filter; registrations refused with the reason.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type preHandlerAsyncHookHandler } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { ManualClock } from '../../runtime/clock.js';
import type { Runtime } from '../../runtime/runtime.js';
import { EventHub, hubPlugin, parseQuery, type HubEvent } from '../../service/hub.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from '../runtime/harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
const HUB = '/tmf-api/productOrderingManagement/v4/hub';
const TOKEN = 'hub-test-token';

const guard: preHandlerAsyncHookHandler = async (request, reply) => {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) await reply.code(401).send({ code: '401', reason: 'Unauthorized', message: 'bearer token required' });
};
const auth = { authorization: `Bearer ${TOKEN}` };

/** A listener on 127.0.0.1: `down` refuses connections (not listening), `failing` answers 503, `up` takes events. */
class Listener {
  readonly received: HubEvent[] = [];
  mode: 'failing' | 'up' = 'failing';
  attempts = 0;
  private server: Server | null = null;
  constructor(readonly port: number) {}

  static async onFreePort(): Promise<Listener> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return new Listener(port);
  }

  get url(): string { return `http://127.0.0.1:${this.port}/listener`; }

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        this.attempts += 1;
        if (this.mode === 'failing') { res.writeHead(503).end(); return; }
        this.received.push(JSON.parse(body) as HubEvent);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => (this.server as Server).listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    if (this.server) await new Promise<void>((resolve) => (this.server as Server).close(() => resolve()));
    this.server = null;
  }
}

describe.each(stores)('event hub on $name', (storeUnderTest) => {
  let runtime: Runtime;
  let app: FastifyInstance | undefined;
  const listeners: Listener[] = [];

  afterEach(async () => {
    await app?.close();
    app = undefined;
    for (const l of listeners.splice(0)) await l.close();
    if (runtime) await disposeRuntime(runtime);
  });

  async function serve(hub: EventHub): Promise<FastifyInstance> {
    const server = Fastify();
    await server.register(hubPlugin, { runtime, guard, hub, deliver: false });
    await server.ready();
    return server;
  }

  it('delivers every order event to listeners that were down, in order per order, also after a restart; the query filters', async () => {
    ({ runtime } = await newRuntime(storeUnderTest));
    await runtime.registerPlans(plans as CompiledPlan[]);
    const clock = new ManualClock('2030-01-01T00:00:00Z');
    let hub = new EventHub(runtime, { clock, backoffMs: 1000, maxBackoffMs: 8000, requestTimeoutMs: 2000, workerId: 'hub-a' });
    app = await serve(hub);

    const refusing = await Listener.onFreePort();
    const failing = await Listener.onFreePort();
    listeners.push(refusing, failing);
    await failing.listen();
    const all = await app.inject({ method: 'POST', url: HUB, headers: auth, payload: { callback: refusing.url } });
    expect(all.statusCode).toBe(201);
    expect(all.headers.location).toBe(`${HUB}/${all.json().id}`);
    const filtered = await app.inject({
      method: 'POST', url: HUB, headers: auth,
      payload: { callback: failing.url, query: 'eventType=ProductOrderStateChangeEvent' },
    });
    expect(filtered.statusCode).toBe(201);
    expect(filtered.json()).toMatchObject({ callback: failing.url, query: 'eventType=ProductOrderStateChangeEvent' });

    // Three orders: two complete, one is rejected at intake (no plan covers its offering).
    expect(await runtime.submitOrder(mobileOrder('po-hub-m'))).toMatchObject({ ok: true });
    expect(await runtime.submitOrder(homeFiberOrder('po-hub-f'))).toMatchObject({ ok: true });
    const rejected = { id: 'po-hub-x', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NO_SUCH_OFFERING' } }] };
    expect(await runtime.submitOrder(rejected)).toMatchObject({ ok: false, code: 'rejected' });
    // One cancelled while its appointment runs (answered an hour late): the reservations are undone.
    expect(await runtime.submitOrder(homeFiberOrder('po-hub-c'), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } })).toMatchObject({ ok: true });
    await runtime.runUntilIdle();
    expect(await runtime.engine.cancel({ productOrderId: 'po-hub-c', id: 'cancel-hub-c' })).toMatchObject({ ok: true });
    await runtime.settle();

    // Both listeners down: attempts fail, nothing is lost, backoff grows.
    expect(await hub.pump()).toBe(0);
    expect(failing.attempts).toBeGreaterThan(0);
    expect(await hub.pump()).toBe(0); // not due again yet
    clock.advance(1500);
    expect(await hub.pump()).toBe(0);
    const [most] = await runtime.store.query<{ attempts: number }>('SELECT max(attempts) AS attempts FROM hub_delivery');
    expect(Number(most?.attempts)).toBe(2);

    // A restart: the hub of this process goes, another one takes over the same database.
    await app.close();
    hub = new EventHub(runtime, { clock, backoffMs: 1000, maxBackoffMs: 8000, requestTimeoutMs: 2000, workerId: 'hub-b' });
    app = await serve(hub);

    // The listeners come back.
    await refusing.listen();
    refusing.mode = 'up';
    failing.mode = 'up';
    // Two processes share the delivery (leases, SKIP LOCKED): each event once, in order per order.
    const second = new EventHub(runtime, { clock, backoffMs: 1000, maxBackoffMs: 8000, requestTimeoutMs: 2000, workerId: 'hub-c', batchSize: 2 });
    clock.advance(10_000);
    for (let round = 0; round < 20; round++) {
      const sent = await Promise.all([hub.drain(), second.drain(), hub.pump()]);
      if (sent.every((n) => n === 0)) break;
      clock.advance(10_000);
    }
    expect(await hub.backlog()).toEqual({});
    // Delivered everywhere: nothing kept.
    expect(await runtime.store.query('SELECT seq FROM hub_event')).toEqual([]);

    // Every order event of the outbox, once each (at least once: no duplicates here), in order per order.
    const orderFacts = await runtime.store.query<{ product_order_id: string; type: string; payload: unknown }>(
      `SELECT product_order_id, type, payload FROM outbox
        WHERE product_order_id = ANY($1) AND (type = 'ProductOrderAccepted' OR type LIKE 'ProductOrder%' AND destination = 'events'
              AND type NOT IN ('ProductOrderItemAmended', 'ProductOrderAmendmentStateChangeEvent'))
        ORDER BY seq`, [['po-hub-m', 'po-hub-f', 'po-hub-x', 'po-hub-c']]);
    const expected = (orderId: string) => orderFacts.filter((f) => f.product_order_id === orderId).flatMap((f) => {
      if (f.type === 'ProductOrderAccepted') return ['ProductOrderCreateEvent:acknowledged'];
      if (f.type === 'ProductOrderRejected') return ['ProductOrderCreateEvent:acknowledged', 'ProductOrderStateChangeEvent:rejected'];
      const to = (typeof f.payload === 'string' ? JSON.parse(f.payload) : f.payload) as { to: string };
      return [`ProductOrderStateChangeEvent:${to.to}`];
    });
    const got = (l: Listener, orderId: string) => l.received
      .filter((e) => (e.event.productOrder as { id: string } | undefined)?.id === orderId)
      .map((e) => `${e.eventType}:${(e.event.productOrder as { state: string }).state}`);
    expect(expected('po-hub-m')).toEqual(['ProductOrderCreateEvent:acknowledged', 'ProductOrderStateChangeEvent:inProgress', 'ProductOrderStateChangeEvent:completed']);
    expect(expected('po-hub-x')).toEqual(['ProductOrderCreateEvent:acknowledged', 'ProductOrderStateChangeEvent:rejected']);
    const states = (l: Listener, orderId: string) => got(l, orderId).map((e) => e.split(':')[1]);
    expect(states(refusing, 'po-hub-c')).toEqual(['acknowledged', 'inProgress', 'assessingCancellation', 'pendingCancellation', 'cancelled']);
    const cancels = refusing.received.filter((e) => e.eventType === 'CancelProductOrderStateChangeEvent')
      .map((e) => e.event.cancelProductOrder as { id: string; state: string; productOrder: { id: string } });
    expect(cancels.map((c) => [c.id, c.productOrder.id])).toEqual(cancels.map(() => ['cancel-hub-c', 'po-hub-c']));
    expect(cancels.map((c) => c.state)).toEqual(expect.arrayContaining(['inProgress', 'done']));
    // The cancel request's events come in order, among the order's.
    const cancelTrail = refusing.received.filter((e) => JSON.stringify(e.event).includes('po-hub-c'))
      .map((e) => (e.eventType === 'CancelProductOrderStateChangeEvent' ? `cancel:${(e.event.cancelProductOrder as { state: string }).state}` : (e.event.productOrder as { state: string }).state));
    expect(cancelTrail.indexOf('cancel:done')).toBeGreaterThan(cancelTrail.indexOf('cancel:inProgress'));
    for (const id of ['po-hub-m', 'po-hub-f', 'po-hub-x', 'po-hub-c']) {
      expect(got(refusing, id)).toEqual(expected(id));
      expect(got(failing, id)).toEqual(expected(id).filter((e) => e.startsWith('ProductOrderStateChangeEvent')));
    }
    expect(new Set(refusing.received.map((e) => e.eventId)).size).toBe(refusing.received.length);
    const completed = refusing.received.find((e) => e.eventType === 'ProductOrderStateChangeEvent'
      && (e.event.productOrder as { id: string; state: string }).state === 'completed');
    const created = refusing.received.find((e) => e.eventType === 'ProductOrderCreateEvent' && (e.event.productOrder as { id: string }).id === 'po-hub-f');
    expect(created?.event.productOrder).toMatchObject({ state: 'acknowledged', productOrderItem: [{ id: '1', state: 'acknowledged', productOffering: { id: 'HOME_FIBER_1G' } }] });
    expect(completed).toMatchObject({
      eventId: expect.any(String), eventTime: expect.any(String), correlationId: expect.stringMatching(/^ota-/),
      event: { productOrder: { href: '/tmf-api/productOrderingManagement/v4/productOrder/po-hub-m', productOrderItem: [{ id: '1', state: 'completed' }] } },
    });

    // Deleted: gone, and nothing more reaches it.
    const listenerId = filtered.json().id as string;
    expect((await app.inject({ method: 'DELETE', url: `${HUB}/${listenerId}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'DELETE', url: `${HUB}/${listenerId}`, headers: auth })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `${HUB}/${listenerId}`, headers: auth })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: `${HUB}/${listenerId}` })).statusCode).toBe(404);
    const before = failing.received.length;
    expect(await runtime.submitOrder(mobileOrder('po-hub-m2'))).toMatchObject({ ok: true });
    await runtime.settle();
    await hub.drain();
    expect(failing.received.length).toBe(before);
    expect(got(refusing, 'po-hub-m2')).toEqual(['ProductOrderCreateEvent:acknowledged', 'ProductOrderStateChangeEvent:inProgress', 'ProductOrderStateChangeEvent:completed']);
  });

  it('refuses bad registrations with 400 and the reason, and writes without the token with 401', async () => {
    ({ runtime } = await newRuntime(storeUnderTest));
    app = await serve(new EventHub(runtime));
    const bad: [unknown, RegExp][] = [
      [{ callback: 'not a url' }, /callback: "not a url" is not an absolute URL/],
      [{ callback: 'ftp://127.0.0.1/x' }, /scheme ftp is not http or https/],
      [{ callback: 'http://user:secret@127.0.0.1/x' }, /credentials/],
      [{ callback: 'javascript:alert(1)' }, /scheme javascript/],
      [{}, /callback/],
      [{ callback: 42 }, /callback/],
      [{ callback: 'http://127.0.0.1/x', query: 'eventType=NoSuchEvent' }, /unknown eventType NoSuchEvent/],
      [{ callback: 'http://127.0.0.1/x', query: 'state' }, /is not name=value/],
      [{ callback: 'http://127.0.0.1/x', query: "x'; DROP TABLE hub_subscription;--=1" }, /is not a field name/],
    ];
    for (const [payload, reason] of bad) {
      const response = await app.inject({ method: 'POST', url: HUB, headers: auth, payload: payload as object });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().message).toMatch(reason);
    }
    const text = await app.inject({ method: 'POST', url: HUB, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'http://x' });
    expect(text.statusCode).toBe(400);
    expect(text.json().message).toMatch(/body: must be object/);
    expect((await app.inject({ method: 'POST', url: HUB, payload: { callback: 'http://127.0.0.1/x' } })).statusCode).toBe(401);
    const [count] = await runtime.store.query<{ n: string | number }>('SELECT count(*) AS n FROM hub_subscription');
    expect(Number(count?.n)).toBe(0);
  });
});

describe('hub query', () => {
  const event = (state: string): HubEvent => ({
    eventId: 'e', eventTime: 't', eventType: 'ProductOrderStateChangeEvent', correlationId: 'c', domain: 'productOrderingManagement',
    event: { productOrder: { id: 'po', state } },
  });
  it('matches every term, any of a term\'s values', () => {
    const match = parseQuery('eventType=ProductOrderStateChangeEvent&event.productOrder.state=completed,failed');
    expect(match(event('completed'))).toBe(true);
    expect(match(event('failed'))).toBe(true);
    expect(match(event('inProgress'))).toBe(false);
    expect(parseQuery('event.productOrder=x')(event('completed'))).toBe(false);
  });
});
