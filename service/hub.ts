// The TMF622 event hub: listeners register a callback URL (with an optional query) and receive
// every product order state change as the TMF622 event, at least once, in order per order.
//
// The facts come from the outbox: this hub consumes them from the runtime's bus (the order's
// acceptance on the engine's destination, the order-level facts on EVENTS), and its consumer
// returns only once their fan-out has committed, so the relay marks them published only then (a
// fact whose fan-out failed is published again; the event id makes that a no-op). The fan-out
// writes one event row and one delivery row per matching listener (migration 017). Deliveries are
// sent outside any transaction: claimed with a lease (FOR UPDATE SKIP LOCKED: any number of
// processes share one database), posted, deleted on 2xx, otherwise due again after an
// exponential backoff. Per listener and order only the oldest delivery is ever sent, so a
// listener that is down loses nothing and gets each order's events in order once it is back.
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { systemClock, type Clock } from '../runtime/clock.js';
import { ORDER_ACCEPTED } from '../runtime/engine/engine.js';
import { ENGINE, EVENTS, type Envelope } from '../runtime/engine/messages.js';
import type { Runtime } from '../runtime/runtime.js';
import { iso, parseJson } from '../runtime/store/sql.js';
import type { ServiceContext } from './context.js';
import { sendError } from './errors.js';

export const TMF622_BASE = '/tmf-api/productOrderingManagement/v4';

/** The public facts of the runtime that are a product order's state change, and the state they name. */
const ORDER_STATE_FACTS: Record<string, true> = {
  ProductOrderFulfillmentStarted: true, ProductOrderHeld: true, ProductOrderCompleted: true, ProductOrderFailed: true,
  ProductOrderPartiallyCompleted: true, ProductOrderCancelled: true, ProductOrderResumed: true, ProductOrderPending: true,
  ProductOrderAssessingCancellation: true, ProductOrderPendingCancellation: true,
};
const CANCEL_STATE_FACT = 'CancelProductOrderStateChangeEvent';
const REJECTED_FACT = 'ProductOrderRejected';

export const HUB_EVENT_TYPES = [
  'ProductOrderCreateEvent', 'ProductOrderStateChangeEvent', 'CancelProductOrderStateChangeEvent',
] as const;

/** A TMF622 event as the hub delivers it. */
export interface HubEvent {
  eventId: string;
  eventTime: string;
  eventType: (typeof HUB_EVENT_TYPES)[number];
  correlationId: string;
  domain: 'productOrderingManagement';
  event: Record<string, unknown>;
}

export interface EventHubOptions {
  /** Wall clock of the deliveries (due times, leases); the events keep their facts' times. */
  clock?: Clock;
  /** Name of this process in the leases it takes. */
  workerId?: string;
  /** How long a claimed delivery is this process's to send (default 30 s). */
  leaseMs?: number;
  /** First pause after a failed delivery, doubled per attempt (default 1 s) up to `maxBackoffMs` (default 5 min). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** How long a listener has to answer (default 10 s). */
  requestTimeoutMs?: number;
  /** Deliveries claimed per round (default 100). */
  batchSize?: number;
  /** Prefix of the `href` of the orders in events (default: the TMF622 path, relative). */
  baseUrl?: string;
  /** How long an idle delivery loop waits before it looks again (default 500 ms; new events wake it). */
  idleMs?: number;
}

export interface Subscription { id: string; callback: string; query: string | null }

/** A registration refused, naming the field at fault. */
export class HubRequestError extends Error {
  constructor(readonly field: string, message: string) { super(message); }
}

export class EventHub {
  private readonly clock: Clock;
  private readonly workerId: string;
  private readonly leaseMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly requestTimeoutMs: number;
  private readonly batchSize: number;
  private readonly baseUrl: string;
  private readonly idleMs: number;
  /** Removes this hub's consumers from the runtime's bus. */
  private readonly busConsumers: (() => void)[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  /** Facts taken from the bus in this tick: fanned out together, in the order they were written. */
  private pending: Envelope[] = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly runtime: Runtime, options: EventHubOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.workerId = options.workerId ?? `hub-${runtime.workerId}`;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 300_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
    this.baseUrl = (options.baseUrl ?? TMF622_BASE).replace(/\/$/, '');
    this.idleMs = options.idleMs ?? 500;
  }

  /** Starts consuming the runtime's facts (fan-out). Returns this hub. */
  attach(): this {
    if (this.busConsumers.length > 0) return this;
    const consume = (messages: Envelope[]) => this.take(messages);
    this.busConsumers.push(this.runtime.bus.subscribe(EVENTS, consume), this.runtime.bus.subscribe(ENGINE, consume));
    return this;
  }

  /** Stops consuming the runtime's facts: those relayed from now on are not fanned out by this hub. */
  detach(): void {
    for (const off of this.busConsumers.splice(0)) off();
  }

  // --- listeners ----------------------------------------------------------------------------
  async subscribe(input: { callback?: unknown; query?: unknown }): Promise<Subscription> {
    const callback = checkCallback(input.callback);
    let query: string | null = null;
    if (input.query !== undefined && input.query !== null && input.query !== '') {
      if (typeof input.query !== 'string') throw new HubRequestError('query', 'query: must be a string such as eventType=ProductOrderStateChangeEvent');
      parseQuery(input.query);
      query = input.query;
    }
    const id = `hub-${randomUUID()}`;
    await this.runtime.store.query('INSERT INTO hub_subscription (id, callback, query, created_at) VALUES ($1, $2, $3, $4)',
      [id, callback, query, new Date().toISOString()]);
    return { id, callback, query };
  }

  async unsubscribe(id: string): Promise<boolean> {
    // Its deliveries go with it (ON DELETE CASCADE), and the events nobody else has to receive.
    const rows = await this.runtime.store.transaction(async (tx) => {
      const deleted = await tx.query<{ event_seq: string }>(
        'DELETE FROM hub_delivery WHERE subscription_id = $1 RETURNING event_seq', [id]);
      if (deleted.length > 0) {
        await tx.query(
          `DELETE FROM hub_event e WHERE e.seq = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM hub_delivery d WHERE d.event_seq = e.seq)`,
          [deleted.map((d) => String(d.event_seq))]);
      }
      return tx.query('DELETE FROM hub_subscription WHERE id = $1 RETURNING id', [id]);
    });
    return rows.length > 0;
  }

  async subscription(id: string): Promise<Subscription | null> {
    const [row] = await this.runtime.store.query<{ id: string; callback: string; query: string | null }>(
      'SELECT id, callback, query FROM hub_subscription WHERE id = $1', [id]);
    return row ? { id: row.id, callback: row.callback, query: row.query } : null;
  }

  /** Deliveries not yet acknowledged, per listener. */
  async backlog(): Promise<Record<string, number>> {
    const rows = await this.runtime.store.query<{ subscription_id: string; n: string | number }>(
      'SELECT subscription_id, count(*) AS n FROM hub_delivery GROUP BY subscription_id');
    return Object.fromEntries(rows.map((r) => [r.subscription_id, Number(r.n)]));
  }

  // --- fan-out ------------------------------------------------------------------------------
  /**
   * The bus consumer. The bus calls it once per destination of a batch, in the same tick, in the
   * order of the batch: the calls of one tick are fanned out together, sorted by when their facts
   * were written, so an order's acceptance comes before a fact of the same order in the same batch.
   */
  private take(messages: Envelope[]): Promise<void> {
    const relevant = messages.filter(isHubFact);
    if (relevant.length === 0) return Promise.resolve();
    this.pending.push(...relevant);
    this.flushing ??= Promise.resolve().then(async () => {
      const batch = this.pending.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      this.pending = [];
      this.flushing = null;
      await this.fanOut(batch);
    });
    return this.flushing;
  }

  /** Writes the events of these facts and their deliveries to the matching listeners, in one transaction. */
  async fanOut(facts: Envelope[]): Promise<number> {
    const relevant = facts.filter(isHubFact);
    if (relevant.length === 0) return 0;
    const orderIds = [...new Set(relevant.map((f) => f.productOrderId))];
    const now = this.clock.now().toISOString();
    const written = await this.runtime.store.transaction(async (tx) => {
      const [found] = await tx.query<{ orders: unknown; items: unknown; subs: unknown }>(
        `SELECT (SELECT json_agg(o) FROM (SELECT id, external_id, state, created_at, correlation_id FROM product_order WHERE id = ANY($1)) o) AS orders,
                (SELECT json_agg(i) FROM (SELECT product_order_id, id, parent_item_id, offering_id, action, state
                                            FROM product_order_item WHERE product_order_id = ANY($1) ORDER BY product_order_id, id) i) AS items,
                (SELECT json_agg(s) FROM (SELECT id, query FROM hub_subscription ORDER BY created_at, id) s) AS subs`,
        [orderIds]);
      const subs = ((parseJson(found?.subs) ?? []) as { id: string; query: string | null }[])
        .map((s) => ({ id: s.id, match: s.query ? parseQuery(s.query) : null }));
      // Nobody listens: nothing to keep (a listener gets the events from its registration on).
      if (subs.length === 0) return 0;
      const orders = new Map(((parseJson(found?.orders) ?? []) as OrderRow[]).map((o) => [o.id, o]));
      const items = (parseJson(found?.items) ?? []) as ItemRow[];
      const events: HubEvent[] = [];
      const orderOf: string[] = [];
      for (const fact of relevant) {
        const order = orders.get(fact.productOrderId);
        if (!order) continue;
        for (const event of this.eventsOf(fact, order, items.filter((i) => i.product_order_id === order.id))) {
          // Only the events some listener's query takes are kept.
          if (!subs.some((sub) => !sub.match || sub.match(event))) continue;
          events.push(event);
          orderOf.push(fact.productOrderId);
        }
      }
      if (events.length === 0) return 0;
      // Events already fanned out (the relay published the fact again) are skipped, with their deliveries.
      const inserted = await tx.query<{ seq: string | number; event_id: string }>(
        `INSERT INTO hub_event (event_id, product_order_id, event_type, body, created_at)
         SELECT e.event_id, e.product_order_id, e.event_type, e.body::jsonb, $5::timestamptz
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS e(event_id, product_order_id, event_type, body, ord)
          ORDER BY e.ord
         ON CONFLICT (event_id) DO NOTHING RETURNING seq, event_id`,
        [events.map((e) => e.eventId), orderOf, events.map((e) => e.eventType), events.map((e) => JSON.stringify(e)), now]);
      const seqOf = new Map(inserted.map((r) => [r.event_id, String(r.seq)]));
      const deliveries: [string, string, string][] = [];
      events.forEach((event, n) => {
        const seq = seqOf.get(event.eventId);
        if (seq === undefined) return;
        for (const sub of subs) if (!sub.match || sub.match(event)) deliveries.push([sub.id, seq, orderOf[n] as string]);
      });
      if (deliveries.length > 0) {
        await tx.query(
          `INSERT INTO hub_delivery (subscription_id, event_seq, product_order_id, due_at)
           SELECT d.subscription_id, d.event_seq, d.product_order_id, $4::timestamptz
             FROM unnest($1::text[], $2::bigint[], $3::text[]) AS d(subscription_id, event_seq, product_order_id)
           ON CONFLICT DO NOTHING`,
          [deliveries.map((d) => d[0]), deliveries.map((d) => d[1]), deliveries.map((d) => d[2]), now]);
      }
      return deliveries.length;
    });
    if (written > 0) this.wake?.();
    return written;
  }

  /** The TMF622 events a fact is (none for the facts that are no order state change). */
  private eventsOf(fact: Envelope, order: OrderRow, items: ItemRow[]): HubEvent[] {
    const productOrder = (state: string) => this.productOrder(order, items, state);
    // As created: every item acknowledged (whatever happened since the fact was written).
    const created = () => this.productOrder(order, items.map((i) => ({ ...i, state: 'acknowledged' })), 'acknowledged');
    const event = (type: HubEvent['eventType'], body: Record<string, unknown>): HubEvent => ({
      eventId: eventIdOf(fact.messageId, type), eventTime: fact.createdAt, eventType: type,
      correlationId: fact.correlationId, domain: 'productOrderingManagement', event: body,
    });
    if (fact.type === ORDER_ACCEPTED) {
      return [event('ProductOrderCreateEvent', { productOrder: created() })];
    }
    if (fact.type === REJECTED_FACT) {
      // Rejected at intake: it was created (and is readable) all the same.
      return [
        event('ProductOrderCreateEvent', { productOrder: created() }),
        event('ProductOrderStateChangeEvent', { productOrder: { ...productOrder('rejected'), stateChangeReason: fact.payload.reasons ?? [] } }),
      ];
    }
    if (ORDER_STATE_FACTS[fact.type]) {
      const to = typeof fact.payload.to === 'string' ? fact.payload.to : order.state;
      return [event('ProductOrderStateChangeEvent', { productOrder: productOrder(to) })];
    }
    if (fact.type === CANCEL_STATE_FACT) {
      const id = String(fact.payload.cancelRequestId ?? '');
      return [event('CancelProductOrderStateChangeEvent', {
        cancelProductOrder: {
          id, href: `${this.baseUrl}/cancelProductOrder/${id}`, '@type': 'CancelProductOrder', state: fact.payload.state,
          ...(typeof fact.payload.message === 'string' ? { stateChangeMessage: fact.payload.message } : {}),
          productOrder: { id: order.id, href: `${this.baseUrl}/productOrder/${order.id}`, '@referredType': 'ProductOrder' },
        },
      })];
    }
    return [];
  }

  /**
   * The order as the event shows it: its state as the fact names it, its items as they stand
   * when the fact is fanned out (right after its commit).
   */
  private productOrder(order: OrderRow, items: ItemRow[], state: string): Record<string, unknown> {
    const itemOf = (item: ItemRow): Record<string, unknown> => {
      const children = items.filter((i) => i.parent_item_id === item.id);
      return {
        id: item.id, action: item.action, state: item.state, productOffering: { id: item.offering_id },
        ...(children.length > 0 ? { productOrderItem: children.map(itemOf) } : {}),
      };
    };
    return {
      id: order.id, href: `${this.baseUrl}/productOrder/${order.id}`, '@type': 'ProductOrder',
      ...(order.external_id ? { externalId: order.external_id } : {}),
      state, orderDate: iso(order.created_at),
      productOrderItem: items.filter((i) => i.parent_item_id === null).map(itemOf),
    };
  }

  // --- delivery -----------------------------------------------------------------------------
  /** One round: claims the due head deliveries, posts them, records the outcome. Returns how many were acknowledged. */
  async pump(): Promise<number> {
    const now = this.clock.now();
    const rows = await this.runtime.store.query<{ subscription_id: string; event_seq: string | number; attempts: number; callback: string; body: unknown }>(
      `WITH heads AS (
         SELECT d.subscription_id, d.event_seq FROM hub_delivery d
          WHERE d.due_at <= $1 AND (d.lease_until IS NULL OR d.lease_until < $1)
            AND NOT EXISTS (SELECT 1 FROM hub_delivery e WHERE e.subscription_id = d.subscription_id
                               AND e.product_order_id = d.product_order_id AND e.event_seq < d.event_seq)
          ORDER BY d.due_at, d.event_seq LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE hub_delivery u SET lease_until = $3, lease_owner = $4, attempts = u.attempts + 1
           FROM heads h WHERE u.subscription_id = h.subscription_id AND u.event_seq = h.event_seq
         RETURNING u.subscription_id, u.event_seq, u.attempts)
       SELECT c.subscription_id, c.event_seq, c.attempts, s.callback, e.body
         FROM claimed c JOIN hub_subscription s ON s.id = c.subscription_id JOIN hub_event e ON e.seq = c.event_seq
        ORDER BY c.event_seq`,
      [now.toISOString(), this.batchSize, new Date(now.getTime() + this.leaseMs).toISOString(), this.workerId]);
    if (rows.length === 0) return 0;
    const outcomes = await Promise.all(rows.map(async (row) => ({ row, error: await this.post(row.callback, parseJson(row.body)) })));
    const done = outcomes.filter((o) => o.error === null).map((o) => o.row);
    const failed = outcomes.filter((o) => o.error !== null);
    if (done.length > 0) {
      // Acknowledged; then an event no listener still has to receive goes too (a statement of its
      // own: it sees the acknowledgements other processes committed meanwhile). A fact the relay
      // publishes again after that is delivered again: at least once.
      const acked = await this.runtime.store.query<{ event_seq: string | number }>(
        `DELETE FROM hub_delivery WHERE (subscription_id, event_seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[])) RETURNING event_seq`,
        [done.map((r) => r.subscription_id), done.map((r) => String(r.event_seq))]);
      await this.runtime.store.query(
        'DELETE FROM hub_event e WHERE e.seq = ANY($1::bigint[]) AND NOT EXISTS (SELECT 1 FROM hub_delivery d WHERE d.event_seq = e.seq)',
        [[...new Set(acked.map((a) => String(a.event_seq)))]]);
    }
    if (failed.length > 0) {
      const at = this.clock.now().getTime();
      await this.runtime.store.query(
        `UPDATE hub_delivery d SET due_at = f.due_at, last_error = f.error, lease_until = NULL, lease_owner = NULL
           FROM unnest($1::text[], $2::bigint[], $3::timestamptz[], $4::text[]) AS f(subscription_id, event_seq, due_at, error)
          WHERE d.subscription_id = f.subscription_id AND d.event_seq = f.event_seq AND d.lease_owner = $5`,
        [failed.map((f) => f.row.subscription_id), failed.map((f) => String(f.row.event_seq)),
          failed.map((f) => new Date(at + this.backoff(f.row.attempts)).toISOString()), failed.map((f) => f.error as string), this.workerId]);
    }
    return done.length;
  }

  /** Pumps until a round finds nothing it can send now. */
  async drain(maxRounds = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.pump();
      total += n;
      if (n === 0) return total;
    }
    return total;
  }

  /** The pause after the `attempts`th failed attempt: doubling from `backoffMs` up to `maxBackoffMs`, ± 20 %. */
  backoff(attempts: number): number {
    const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  /** Posts an event; null when the listener acknowledged it (2xx), else why not. */
  private async post(callback: string, body: unknown): Promise<string | null> {
    try {
      const response = await fetch(callback, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs), redirect: 'manual',
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return (cause?.code ?? cause?.message ?? (error as Error).message ?? 'request failed').slice(0, 500);
    }
  }

  /** Starts the delivery loop (the server's start); new events wake it, otherwise it looks every `idleMs`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      let failures = 0;
      while (this.running) {
        let sent = 0;
        try {
          sent = await this.pump();
          failures = 0;
        } catch (error) {
          failures += 1;
          if (failures === 1) process.emitWarning(`o2a event hub round failed: ${(error as Error).message}`);
        }
        if (sent > 0 || !this.running) continue;
        const pause = failures > 0 ? Math.min(this.maxBackoffMs, 100 * 2 ** Math.min(failures, 10)) : this.idleMs;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => { this.wake = null; resolve(); }, pause);
          this.wake = () => { clearTimeout(timer); this.wake = null; resolve(); };
        });
      }
    })();
  }

  /**
   * Stops the delivery loop (deliveries in flight finish; what this process claimed and did not
   * send goes back at once). The fan-out goes on while the runtime publishes (a server closes
   * before its runtime stops: the facts relayed meanwhile are not lost); `detach` ends it.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
    // What this process claimed and did not send is given back now rather than after the lease.
    await this.runtime.store.query('UPDATE hub_delivery SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1', [this.workerId])
      .catch(() => undefined);
  }
}

interface OrderRow { id: string; external_id: string | null; state: string; created_at: string; correlation_id: string }
interface ItemRow { product_order_id: string; id: string; parent_item_id: string | null; offering_id: string; action: string; state: string }

function isHubFact(m: Envelope): boolean {
  return m.type === ORDER_ACCEPTED || m.type === REJECTED_FACT || m.type === CANCEL_STATE_FACT || ORDER_STATE_FACTS[m.type] === true;
}

/** A stable event id per (fact, event type): the same when the fact is fanned out again. */
function eventIdOf(messageId: string, type: string): string {
  const h = createHash('sha256').update(`${messageId}\u0000${type}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/** An absolute http(s) URL without credentials, or the reason it is refused. */
export function checkCallback(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new HubRequestError('callback', 'callback: a URL is required');
  if (value.length > 2048) throw new HubRequestError('callback', 'callback: longer than 2048 characters');
  let url: URL;
  try { url = new URL(value); } catch {
    throw new HubRequestError('callback', `callback: ${JSON.stringify(value.slice(0, 100))} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new HubRequestError('callback', `callback: scheme ${url.protocol.replace(/:$/, '')} is not http or https`);
  }
  if (url.username || url.password) throw new HubRequestError('callback', 'callback: credentials in the URL are not accepted');
  if (!url.hostname) throw new HubRequestError('callback', 'callback: the URL names no host');
  return url.toString();
}

/**
 * A TMF hub query (`eventType=ProductOrderStateChangeEvent&event.productOrder.state=completed,failed`):
 * every `name=value` must hold (a comma separates alternatives); a name is a field path of the
 * event. Returns the predicate, or throws naming what is wrong.
 */
export function parseQuery(query: string): (event: HubEvent) => boolean {
  if (query.length > 1000) throw new HubRequestError('query', 'query: longer than 1000 characters');
  const terms = query.split('&').filter((t) => t !== '').map((term) => {
    const at = term.indexOf('=');
    if (at <= 0) throw new HubRequestError('query', `query: ${JSON.stringify(term)} is not name=value`);
    let name: string;
    let values: string[];
    try {
      name = decodeURIComponent(term.slice(0, at)).trim();
      values = term.slice(at + 1).split(',').map((v) => decodeURIComponent(v).trim());
    } catch {
      throw new HubRequestError('query', `query: ${JSON.stringify(term)} is not URL-encoded properly`);
    }
    if (!/^[A-Za-z@][\w@]*(\.[A-Za-z@][\w@]*)*$/.test(name)) throw new HubRequestError('query', `query: ${JSON.stringify(name)} is not a field name`);
    if (name === 'eventType') {
      const unknown = values.filter((v) => !(HUB_EVENT_TYPES as readonly string[]).includes(v));
      if (unknown.length > 0) {
        throw new HubRequestError('query', `query: unknown eventType ${unknown.join(', ')}; expected one of ${HUB_EVENT_TYPES.join(', ')}`);
      }
    }
    return { path: name.split('.'), values: new Set(values) };
  });
  if (terms.length === 0) throw new HubRequestError('query', 'query: no name=value term');
  return (event) => terms.every(({ path, values }) => {
    let v: unknown = event;
    for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return v !== undefined && v !== null && typeof v !== 'object' && values.has(String(v));
  });
}

function tmfError(reply: FastifyReply, status: number, field: string | null, message: string): FastifyReply {
  return sendError(reply, status, message, [{ field, message }]);
}

export interface HubPluginOptions extends ServiceContext {
  /** A hub built by the caller (tests: `deliver: false` and `hub.pump()`); one is built from `hubOptions` otherwise. */
  hub?: EventHub;
  hubOptions?: EventHubOptions;
  /** Whether the plugin runs the delivery loop from the server's start to its close (default true). */
  deliver?: boolean;
}

/**
 * The TMF622 hub routes: `POST /tmf-api/productOrderingManagement/v4/hub` (guarded; 201 with the
 * listener's id), `GET .../hub/{id}`, `DELETE .../hub/{id}` (guarded; 204). Consumes the runtime's
 * facts from registration on; runs the delivery loop while the server is up unless `deliver: false`.
 */
export const hubPlugin: FastifyPluginAsync<HubPluginOptions> = async (app, options) => {
  const hub = (options.hub ?? new EventHub(options.runtime, options.hubOptions)).attach();
  const deliver = options.deliver ?? true;
  if (deliver) app.addHook('onReady', async () => hub.start());
  app.addHook('onClose', async () => hub.stop());

  app.post(`${TMF622_BASE}/hub`, {
    preHandler: options.guard,
    bodyLimit: 16 * 1024,
    schema: {
      body: {
        type: 'object', required: ['callback'],
        properties: { callback: { type: 'string', maxLength: 2048 }, query: { type: ['string', 'null'], maxLength: 1000 } },
      },
    },
    attachValidation: true,
  }, async (request, reply) => {
    if (request.validationError) {
      const v = request.validationError;
      const field = v.message.match(/^body\/(\w+)/)?.[1] ?? (v.message.match(/property '(\w+)'/)?.[1] ?? null);
      return tmfError(reply, 400, field, `${field ?? 'body'}: ${v.message.replace(/^body(\/\w+)? /, '')}`);
    }
    const body = request.body as { callback: string; query?: string | null };
    try {
      const sub = await hub.subscribe(body);
      return reply.code(201).header('location', `${TMF622_BASE}/hub/${sub.id}`).send({ id: sub.id, callback: sub.callback, query: sub.query ?? undefined });
    } catch (error) {
      if (error instanceof HubRequestError) return tmfError(reply, 400, error.field, error.message);
      throw error;
    }
  });

  app.get<{ Params: { id: string } }>(`${TMF622_BASE}/hub/:id`, async (request, reply) => {
    const sub = await hub.subscription(request.params.id);
    if (!sub) return tmfError(reply, 404, 'id', `id: no hub listener ${request.params.id}`);
    return { id: sub.id, callback: sub.callback, query: sub.query ?? undefined };
  });

  app.delete<{ Params: { id: string } }>(`${TMF622_BASE}/hub/:id`, { preHandler: options.guard }, async (request, reply) => {
    if (!(await hub.unsubscribe(request.params.id))) return tmfError(reply, 404, 'id', `id: no hub listener ${request.params.id}`);
    return reply.code(204).send();
  });
};
