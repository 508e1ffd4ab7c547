// The §24 metrics, derived from what the runtime commits (`runtime.onCommit`: the audit rows of
// each transaction, after its commit) and served at GET /metrics in the Prometheus text format.
//
// Labels are bounded: the product offering (of an item a registered plan covers; `unknown` for an
// order rejected because none does, `multiple` for an order of several offerings), the step (its
// id in the plan) and its kind (the catalog's), the outcome (success, or the failure outcome the
// step reported: a label value seen first past OUTCOME_CAP distinct ones is counted as `other`).
// Never an order, item, saga or correlation id. Each server has its own registry.
//
// A transaction's rows name sagas and steps by id; the offering and step kind they belong to are
// read once per saga from the database (then cached), and so are the start times of steps and
// orders this process did not see start (another process, a restart).
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LogRow } from '../runtime/engine/unit-of-work.js';
import type { Runtime } from '../runtime/runtime.js';
import { iso } from '../runtime/store/sql.js';
import type { ServiceContext } from './context.js';
import { CommitFollower } from './commit-follower.js';

/** Seconds, from a reservation's fraction of a second to a field work order's weeks. */
const DURATION_BUCKETS = [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400];
/** Distinct outcome label values past the known ones before the rest count as `other`. */
const OUTCOME_CAP = 32;
const KNOWN_OUTCOMES = new Set(['success', 'timeout', 'rejected', 'evidence_missing', 'absent', 'awaiting_trigger', 'billing_trigger_invalid']);
/** Step states in which a step's run is over (for its duration). */
const STEP_ENDS = new Set(['SUCCEEDED', 'FAILED', 'WAITING', 'UNKNOWN']);
/** Order states in which the order-to-activate run is over. */
const ORDER_ENDS = new Set(['completed', 'partial', 'failed', 'cancelled']);

/** Which §24 metric a step kind of the catalog feeds besides the step duration. */
const KIND_METRICS = {
  latency: { resource_reservation: 'resource_reservation_latency', work_order: 'field_work_wait_time', appointment: 'field_work_wait_time' } as Record<string, string>,
  verification: 'verification',
  billing: 'billing_trigger',
};

interface SagaInfo { offering: string; kinds: Map<string, string> }
interface OrderInfo { offering: string; createdAt: number }

export interface OrderMetricsOptions {
  /** The registry to register on (a new one by default: one per server, never the global one). */
  registry?: Registry;
  /** Also the process metrics of prom-client (CPU, memory, event loop) on this registry. */
  processMetrics?: boolean;
}

export class OrderMetrics {
  readonly registry: Registry;
  private readonly started: Counter<'product_offering'>;
  private readonly completed: Counter<'product_offering' | 'outcome'>;
  private readonly failed: Counter<'product_offering' | 'outcome'>;
  private readonly duration: Histogram<'product_offering' | 'outcome'>;
  private readonly stepDuration: Histogram<'product_offering' | 'step' | 'step_kind' | 'outcome'>;
  private readonly fallout: Counter<'product_offering' | 'step' | 'step_kind' | 'outcome' | 'party'>;
  private readonly resume: Counter<'product_offering' | 'step' | 'step_kind'>;
  private readonly latency: Record<string, Histogram<'product_offering' | 'step' | 'outcome'>>;
  private readonly activationUnknown: Counter<'product_offering' | 'step'>;
  private readonly verificationFailed: Counter<'product_offering' | 'step' | 'outcome'>;
  private readonly billingDelay: Counter<'product_offering' | 'step' | 'outcome'>;

  private readonly sagas = new Map<string, SagaInfo>();
  private readonly orders = new Map<string, OrderInfo>();
  /** When steps started (ms), by saga and step, as this process saw them. */
  private readonly stepStarts = new Map<string, number>();
  private readonly outcomes = new Set<string>();
  private warned = false;
  private readonly commits: CommitFollower;

  constructor(private readonly runtime: Runtime, options: OrderMetricsOptions = {}) {
    this.commits = new CommitFollower(runtime, isMeasured, (rows) => this.countAll(rows));
    const registers = [this.registry = options.registry ?? new Registry()];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers });
    const histogram = <L extends string>(name: string, help: string, labelNames: L[]) =>
      new Histogram<L>({ name, help, labelNames, buckets: DURATION_BUCKETS, registers });
    this.started = counter('order_to_activate_started_total', 'Product orders whose fulfillment started.', ['product_offering']);
    this.completed = counter('order_to_activate_completed_total', 'Product orders completed (outcome completed, or partial for a bundle that allows it).', ['product_offering', 'outcome']);
    this.failed = counter('order_to_activate_failed_total', 'Product orders failed (outcome failed) or rejected at intake (outcome rejected).', ['product_offering', 'outcome']);
    this.duration = histogram('order_to_activate_duration_seconds', 'From an order taken to its end (completed, partial, failed, cancelled).', ['product_offering', 'outcome']);
    this.stepDuration = histogram('order_to_activate_step_duration_seconds', 'From a step started to its outcome (success, a failure outcome, unknown).', ['product_offering', 'step', 'step_kind', 'outcome']);
    this.fallout = counter('order_to_activate_fallout_total', 'Fallout cases raised (a step held for a party or failed for repair).', ['product_offering', 'step', 'step_kind', 'outcome', 'party']);
    this.resume = counter('order_to_activate_resume_total', 'Fallout cases resumed.', ['product_offering', 'step', 'step_kind']);
    const reservation = new Histogram({ name: 'resource_reservation_latency', help: 'Seconds from a resource reservation sent to its answer.', labelNames: ['product_offering', 'step', 'outcome'], buckets: DURATION_BUCKETS, registers });
    const fieldWork = new Histogram({ name: 'field_work_wait_time', help: 'Seconds waited for field work (appointment, work order) from sent to answered.', labelNames: ['product_offering', 'step', 'outcome'], buckets: DURATION_BUCKETS, registers });
    this.latency = { resource_reservation_latency: reservation, field_work_wait_time: fieldWork };
    this.activationUnknown = counter('activation_unknown_total', 'Activation commands whose outcome became unknown (a timeout: reconciled by reading the target back).', ['product_offering', 'step']);
    this.verificationFailed = counter('technical_verification_failed_total', 'Technical verifications that reported a failure.', ['product_offering', 'step', 'outcome']);
    this.billingDelay = counter('billing_readiness_delay_total', 'Billing readiness held back: waiting for its trigger (outcome awaiting_trigger) or failed (its outcome).', ['product_offering', 'step', 'outcome']);
  }

  /** Starts taking the runtime's commits. Returns this. */
  attach(): this {
    this.commits.attach();
    return this;
  }

  /** Stops counting the runtime's commits (the server closes). */
  detach(): void {
    this.commits.detach();
  }

  /** A commit's audit rows: counted after the lookups they need (in order, one commit after the other). */
  take(rows: LogRow[]): void {
    this.commits.take(rows);
  }

  /** The text a scrape answers, once every commit taken so far is counted. */
  async scrape(): Promise<string> {
    await this.settled();
    return this.registry.metrics();
  }

  /** Resolves once every commit taken so far is counted. */
  settled(): Promise<void> {
    return this.commits.settled();
  }

  private async countAll(rows: LogRow[]): Promise<void> {
    try {
      await this.lookUp(rows);
    } catch (error) {
      // Labels that cannot be read now (the database is away) are counted as unknown; said once.
      if (!this.warned) process.emitWarning(`o2a metrics: labels not read: ${(error as Error).message}`);
      this.warned = true;
    }
    for (const row of rows) this.count(row);
  }

  /** Reads what the rows need and this process does not know: sagas' offering and step kinds, orders' offering and start, steps' start. */
  private async lookUp(rows: LogRow[]): Promise<void> {
    const sagaIds = [...new Set(rows.map((r) => r.sagaId).filter((s): s is string => s !== null && !this.sagas.has(s)))];
    const orderIds = [...new Set(rows.filter((r) => r.type === 'ProductOrderStateChanged' || r.type === 'ProductOrderCreated')
      .map((r) => r.productOrderId).filter((o) => !this.orders.has(o)))];
    // Step ends whose start this process did not see.
    const starts = rows.filter((r) => r.type === 'StepStateChanged' && r.sagaId && r.stepId && STEP_ENDS.has(String(r.payload.to))
      && !this.stepStarts.has(stepKey(r.sagaId, r.stepId)) && !rows.some((s) => s.type === 'StepStateChanged' && s.sagaId === r.sagaId && s.stepId === r.stepId && s.payload.to === 'STARTED'));
    if (sagaIds.length === 0 && orderIds.length === 0 && starts.length === 0) return;
    const [found] = await this.runtime.store.query<{ sagas: unknown; orders: unknown; steps: unknown }>(
      `SELECT (SELECT json_agg(x) FROM (
                 SELECT s.id, CASE WHEN i.plan_hash IS NULL THEN 'unknown' ELSE i.offering_id END AS offering,
                        (SELECT json_object_agg(st.step_id, st.kind) FROM saga_step st WHERE st.saga_id = s.id) AS kinds
                   FROM saga s JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
                  WHERE s.id = ANY($1)) x) AS sagas,
              (SELECT json_agg(x) FROM (
                 SELECT o.id, o.created_at,
                        (SELECT CASE WHEN count(DISTINCT i.offering_id) > 1 THEN 'multiple'
                                     WHEN bool_or(i.plan_hash IS NULL) THEN 'unknown' ELSE min(i.offering_id) END
                           FROM product_order_item i WHERE i.product_order_id = o.id AND i.parent_item_id IS NULL) AS offering
                   FROM product_order o WHERE o.id = ANY($2)) x) AS orders,
              (SELECT json_agg(x) FROM (
                 SELECT st.saga_id, st.step_id, st.started_at FROM saga_step st
                  WHERE (st.saga_id, st.step_id) IN (SELECT * FROM unnest($3::text[], $4::text[]))) x) AS steps`,
      [sagaIds, orderIds, starts.map((r) => r.sagaId), starts.map((r) => r.stepId)]);
    const parse = (v: unknown) => ((typeof v === 'string' ? JSON.parse(v) : v) ?? []) as Record<string, unknown>[];
    for (const s of parse(found?.sagas)) {
      const kinds = (typeof s.kinds === 'string' ? JSON.parse(s.kinds) : s.kinds) as Record<string, string> | null;
      this.sagas.set(String(s.id), { offering: String(s.offering), kinds: new Map(Object.entries(kinds ?? {})) });
    }
    for (const o of parse(found?.orders)) this.orders.set(String(o.id), { offering: String(o.offering ?? 'unknown'), createdAt: Date.parse(iso(o.created_at) as string) });
    // A start earlier than the row's own time is the one that ended here (the step may have run again since, in another process).
    for (const st of parse(found?.steps)) if (st.started_at) this.stepStarts.set(stepKey(String(st.saga_id), String(st.step_id)), Date.parse(iso(st.started_at) as string));
  }

  private count(row: LogRow): void {
    const at = Date.parse(row.occurredAt);
    const p = row.payload;
    const saga = row.sagaId ? this.sagas.get(row.sagaId) : undefined;
    const offering = saga?.offering ?? this.orders.get(row.productOrderId)?.offering ?? 'unknown';
    const step = row.stepId ?? 'none';
    const kind = (row.stepId && saga?.kinds.get(row.stepId)) || 'unknown';
    switch (row.type) {
      case 'ProductOrderCreated':
        if (!this.orders.has(row.productOrderId)) this.orders.set(row.productOrderId, { offering, createdAt: at });
        return;
      case 'ProductOrderStateChanged': {
        const order = this.orders.get(row.productOrderId);
        const orderOffering = order?.offering ?? 'unknown';
        const to = String(p.to);
        if (to === 'inProgress' && (p.from === 'acknowledged' || p.from === 'pending')) this.started.inc({ product_offering: orderOffering });
        if (to === 'completed' || to === 'partial') this.completed.inc({ product_offering: orderOffering, outcome: to });
        if (to === 'failed' || to === 'rejected') this.failed.inc({ product_offering: orderOffering, outcome: to });
        if (ORDER_ENDS.has(to) && order) {
          this.duration.observe({ product_offering: orderOffering, outcome: to }, Math.max(0, (at - order.createdAt) / 1000));
        }
        if (ORDER_ENDS.has(to) || to === 'rejected') this.orders.delete(row.productOrderId);
        return;
      }
      case 'StepStateChanged': {
        if (!row.sagaId || !row.stepId) return;
        const key = stepKey(row.sagaId, row.stepId);
        const to = String(p.to);
        if (to === 'STARTED') { this.stepStarts.set(key, at); return; }
        if (!STEP_ENDS.has(to)) return;
        const startedAt = this.stepStarts.get(key);
        // A WAITING that is no outcome (a retry pending after a timeout) ends the attempt: measured as a timeout.
        const outcome = this.outcome(to === 'SUCCEEDED' ? 'success' : to === 'UNKNOWN' ? 'unknown' : typeof p.outcome === 'string' ? p.outcome : 'timeout');
        if (startedAt === undefined || p.from !== 'STARTED') return;
        this.stepStarts.delete(key);
        const seconds = Math.max(0, (at - startedAt) / 1000);
        this.stepDuration.observe({ product_offering: offering, step, step_kind: kind, outcome }, seconds);
        const latency = KIND_METRICS.latency[kind];
        if (latency) this.latency[latency]?.observe({ product_offering: offering, step, outcome }, seconds);
        if (outcome !== 'success' && outcome !== 'unknown' && typeof p.outcome === 'string') {
          if (kind === KIND_METRICS.verification) this.verificationFailed.inc({ product_offering: offering, step, outcome });
          if (kind === KIND_METRICS.billing) this.billingDelay.inc({ product_offering: offering, step, outcome });
        }
        return;
      }
      case 'FalloutCaseRaised': {
        const party = p.party === 'customer' ? 'customer' : 'provider';
        const outcome = this.outcome(falloutOutcome(String(p.failureReason ?? '')));
        this.fallout.inc({ product_offering: offering, step, step_kind: kind, outcome, party });
        return;
      }
      case 'ResumeFulfillment':
        if (row.direction === 'in') this.resume.inc({ product_offering: offering, step, step_kind: kind });
        return;
      case 'ActivationCommandStateChanged':
        if (p.to === 'UNKNOWN') this.activationUnknown.inc({ product_offering: offering, step });
        return;
      case 'BillingAwaitingTrigger':
        this.billingDelay.inc({ product_offering: offering, step, outcome: 'awaiting_trigger' });
        return;
      case 'SagaStateChanged':
        // A saga over: what this process cached of it goes.
        if (row.sagaId && (p.to === 'COMPLETED' || p.to === 'FAILED' || p.to === 'COMPENSATED')) {
          const sagaId = row.sagaId;
          for (const k of [...this.stepStarts.keys()]) if (k.startsWith(`${sagaId}\u0000`)) this.stepStarts.delete(k);
          queueMicrotask(() => this.sagas.delete(sagaId));
        }
        return;
      default:
    }
  }

  /** A bounded outcome label. */
  private outcome(value: string): string {
    if (KNOWN_OUTCOMES.has(value) || value === 'unknown' || this.outcomes.has(value)) return value;
    if (this.outcomes.size >= OUTCOME_CAP || !/^[a-z][a-z0-9_]{0,40}$/.test(value)) return 'other';
    this.outcomes.add(value);
    return value;
  }
}

const MEASURED = new Set([
  'ProductOrderCreated', 'ProductOrderStateChanged', 'StepStateChanged', 'FalloutCaseRaised', 'ResumeFulfillment',
  'ActivationCommandStateChanged', 'BillingAwaitingTrigger', 'SagaStateChanged',
]);

function isMeasured(row: LogRow): boolean {
  return MEASURED.has(row.type);
}

function stepKey(sagaId: string, stepId: string): string {
  return `${sagaId}\u0000${stepId}`;
}

/** The outcome a fallout case's failure reason names (`<kind> step <id> reported <outcome>[: reason]`). */
function falloutOutcome(reason: string): string {
  const m = / reported ([a-z][a-z0-9_]*)/.exec(reason);
  return m ? (m[1] as string) : 'other';
}

export interface MetricsPluginOptions extends ServiceContext {
  /** Metrics built by the caller; one is built (and attached to the runtime) otherwise. */
  metrics?: OrderMetrics;
  metricsOptions?: OrderMetricsOptions;
}

/** GET /metrics: the §24 metrics in the Prometheus text format (unguarded: a read). */
export const metricsPlugin: FastifyPluginAsync<MetricsPluginOptions> = async (app, options) => {
  const metrics = options.metrics ?? new OrderMetrics(options.runtime, options.metricsOptions).attach();
  app.addHook('onClose', async () => metrics.detach());
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.scrape();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
