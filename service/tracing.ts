// OpenTelemetry traces of the saga (§24): a span for each order's intake, for each command sent to
// a step's owner and for the reply to it, for each compensation command and its reply, and for a
// resume, carrying the §24 trace dimensions (correlation, order, item, saga and step ids; the
// offering, the resource, the message) as attributes.
//
// The spans are derived from what the runtime commits (`runtime.onCommit`), after the commit, so
// tracing adds nothing to a transaction. Their ids are derived from the ids of the runtime: the
// trace from the order's correlation id, the intake span from the order id, a command's span from
// its message id. So a reply handled by another process than the one that sent the command (or
// after a restart) is still the child of the command's span, and every span of an order is in one
// trace: intake → command → reply.
//
// Exported with OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set; else
// the plugin attaches nothing at all (no cost).
import { createHash } from 'node:crypto';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type Context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type IdGenerator, type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { FastifyPluginAsync } from 'fastify';
import { ENGINE, EVENTS } from '../runtime/engine/messages.js';
import type { LogRow } from '../runtime/engine/unit-of-work.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceContext } from './context.js';
import { CommitFollower } from './commit-follower.js';

/** The command type of a compensation (runtime/engine/cancellation.ts). */
const COMPENSATE = 'CompensateStep';
const RESUME = 'ResumeFulfillment';
/** Command send times kept for the reply spans (the oldest go first past this). */
const SENT_CAP = 20_000;

/** The ids a span gets, set right before it is started (the SDK asks its id generator synchronously). */
class DerivedIds implements IdGenerator {
  traceId = '';
  spanId = '';
  generateTraceId(): string { return this.traceId || randomHex(32); }
  generateSpanId(): string { return this.spanId || randomHex(16); }
}

function randomHex(n: number): string {
  return createHash('sha256').update(`${Math.random()}${process.hrtime.bigint()}`).digest('hex').slice(0, n);
}

/** A non-zero id of `n` hex digits derived from a name. */
function derived(name: string, n: 16 | 32): string {
  const hex = createHash('sha256').update(name).digest('hex').slice(0, n);
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

export const traceIdOf = (correlationId: string) => derived(`trace\u0000${correlationId}`, 32);
export const intakeSpanIdOf = (productOrderId: string) => derived(`intake\u0000${productOrderId}`, 16);
export const messageSpanIdOf = (messageId: string) => derived(`message\u0000${messageId}`, 16);

export interface OrderTracingOptions {
  /** Where spans go (tests: the SDK's InMemorySpanExporter); default OTLP/HTTP as the OTEL_EXPORTER_OTLP_* variables say. */
  exporter?: SpanExporter;
  /** `simple`: each span exported when it ends (tests); `batch` (default). */
  processor?: 'simple' | 'batch';
  serviceName?: string;
}

interface SagaInfo { itemId: string; offering: string }

export class OrderTracing {
  readonly provider: BasicTracerProvider;
  private readonly ids = new DerivedIds();
  private readonly tracer;
  private readonly sagas = new Map<string, SagaInfo>();
  /** When commands were sent (ms) and whether they undo a step, by message id: for their reply's span. */
  private readonly sent = new Map<string, { at: number; compensation: boolean }>();
  private readonly commits: CommitFollower;

  constructor(private readonly runtime: Runtime, options: OrderTracingOptions = {}) {
    this.commits = new CommitFollower(runtime, isTraced, (rows) => this.traceAll(rows));
    const exporter = options.exporter ?? new OTLPTraceExporter();
    const processor = options.processor === 'simple' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter);
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'o2a' }),
      idGenerator: this.ids, spanProcessors: [processor],
    });
    this.tracer = this.provider.getTracer('o2a');
  }

  /** Starts tracing the runtime's commits. Returns this. */
  attach(): this {
    this.commits.attach();
    return this;
  }

  take(rows: LogRow[]): void {
    this.commits.take(rows);
  }

  /** Resolves once every commit taken so far has its spans ended (and handed to the processor). */
  settled(): Promise<void> {
    return this.commits.settled();
  }

  /** Stops tracing, exports what is left and ends the exporter. */
  async shutdown(): Promise<void> {
    this.commits.detach();
    await this.settled();
    await this.provider.shutdown();
  }

  private async traceAll(rows: LogRow[]): Promise<void> {
    try {
      await this.lookUp(rows);
    } catch {
      // Without the item and offering (the database is away): the spans go without them.
    }
    const rejected = new Set(rows.filter((r) => r.type === 'ProductOrderStateChanged' && r.payload.to === 'rejected').map((r) => r.productOrderId));
    for (const row of rows) {
      try { this.span(row, rejected); } catch { /* a span that cannot be made is no reason to stop tracing the rest */ }
    }
  }

  /** The item and offering of the sagas these rows name, once per saga. */
  private async lookUp(rows: LogRow[]): Promise<void> {
    const sagaIds = [...new Set(rows.map((r) => r.sagaId).filter((s): s is string => s !== null && !this.sagas.has(s)))];
    if (sagaIds.length === 0) return;
    const found = await this.runtime.store.query<{ id: string; item_id: string; offering: string }>(
      `SELECT s.id, s.product_order_item_id AS item_id, i.offering_id AS offering
         FROM saga s JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
        WHERE s.id = ANY($1)`, [sagaIds]);
    for (const s of found) this.sagas.set(s.id, { itemId: s.item_id, offering: s.offering });
    if (this.sagas.size > SENT_CAP) for (const k of [...this.sagas.keys()].slice(0, this.sagas.size - SENT_CAP)) this.sagas.delete(k);
  }

  private span(row: LogRow, rejectedOrders: Set<string>): void {
    const at = Date.parse(row.occurredAt);
    const traceId = traceIdOf(row.correlationId);
    const attributes = this.dimensions(row);
    if (row.type === 'ProductOrderCreated' && row.direction === 'state') {
      const rejected = rejectedOrders.has(row.productOrderId);
      this.emit('o2a.intake', traceId, intakeSpanIdOf(row.productOrderId), ROOT_CONTEXT, at, at, SpanKind.SERVER,
        { ...attributes, 'o2a.product_order.items': Number(row.payload.items ?? 0) }, rejected ? 'rejected' : null);
      return;
    }
    if (row.direction === 'out' && isCommand(row)) {
      const compensation = row.type === COMPENSATE;
      this.remember(row.messageId, { at, compensation });
      this.emit(compensation ? 'o2a.compensation.command' : 'o2a.step.command', traceId, messageSpanIdOf(row.messageId),
        this.parent(traceId, intakeSpanIdOf(row.productOrderId)), at, at, SpanKind.PRODUCER, {
          ...attributes, 'o2a.message_id': row.messageId, 'o2a.message.type': row.type,
          'o2a.owner': String(row.payload.destination ?? ''), ...(row.payload.idempotencyKey ? { 'o2a.idempotency_key': String(row.payload.idempotencyKey) } : {}),
        }, null);
      return;
    }
    if (row.direction === 'in' && row.type === RESUME) {
      this.emit('o2a.resume', traceId, messageSpanIdOf(row.messageId), this.parent(traceId, intakeSpanIdOf(row.productOrderId)), at, at,
        SpanKind.INTERNAL, { ...attributes, 'o2a.message_id': row.messageId, 'o2a.fallout_case_id': String(row.payload.caseId ?? '') }, null);
      return;
    }
    if (row.direction === 'in' && row.stepId && row.causationId) {
      // A reply: the child of the command it answers, from when that was sent (when this process knows) to now.
      const command = this.sent.get(row.causationId);
      const sentAt = command?.at;
      this.sent.delete(row.causationId);
      const p = row.payload;
      const failure = typeof p.outcome === 'string' && p.outcome !== 'success' ? `${p.outcome}${p.reason ? `: ${String(p.reason)}` : ''}` : null;
      const compensation = command?.compensation ?? false;
      this.emit(compensation ? 'o2a.compensation.reply' : 'o2a.step.reply', traceId, messageSpanIdOf(row.messageId),
        this.parent(traceId, messageSpanIdOf(row.causationId)), sentAt !== undefined && sentAt <= at ? sentAt : at, at, SpanKind.CONSUMER, {
          ...attributes, 'o2a.message_id': row.messageId, 'o2a.message.type': row.type, 'o2a.causation_id': row.causationId,
          ...(typeof p.resourceId === 'string' ? { 'o2a.resource_id': p.resourceId } : {}),
          ...(typeof p.externalRef === 'string' ? { 'o2a.external_ref': p.externalRef } : {}),
          ...(typeof p.outcome === 'string' ? { 'o2a.outcome': p.outcome } : {}),
        }, failure);
    }
  }

  /** The §24 trace dimensions a row carries (and the saga's item and offering). */
  private dimensions(row: LogRow): Attributes {
    const saga = row.sagaId ? this.sagas.get(row.sagaId) : undefined;
    return {
      'o2a.correlation_id': row.correlationId,
      'o2a.product_order_id': row.productOrderId,
      ...(saga ? { 'o2a.product_order_item_id': saga.itemId, 'o2a.product_offering': saga.offering } : {}),
      ...(row.sagaId ? { 'o2a.saga_id': row.sagaId } : {}),
      ...(row.stepId ? { 'o2a.step_id': row.stepId } : {}),
    };
  }

  private parent(traceId: string, spanId: string): Context {
    return trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true });
  }

  private emit(
    name: string, traceId: string, spanId: string, parent: Context, start: number, end: number, kind: SpanKind,
    attributes: Attributes, error: string | null,
  ): void {
    this.ids.traceId = traceId;
    this.ids.spanId = spanId;
    try {
      const span = this.tracer.startSpan(name, { kind, startTime: start, attributes }, parent);
      if (error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end(end);
    } finally {
      this.ids.traceId = '';
      this.ids.spanId = '';
    }
  }

  private remember(messageId: string, command: { at: number; compensation: boolean }): void {
    this.sent.set(messageId, command);
    if (this.sent.size > SENT_CAP) this.sent.delete(this.sent.keys().next().value as string);
  }
}

function isTraced(row: LogRow): boolean {
  if (row.direction === 'state') return row.type === 'ProductOrderCreated' || (row.type === 'ProductOrderStateChanged' && row.payload.to === 'rejected');
  if (row.direction === 'out') return isCommand(row);
  return row.type === RESUME || (row.stepId !== null && row.causationId !== null);
}

/** A command to a step's owner (not a public fact, not a message to the engine itself). */
function isCommand(row: LogRow): boolean {
  const destination = row.payload.destination;
  return row.stepId !== null && typeof destination === 'string' && destination !== EVENTS && destination !== ENGINE;
}

/** Tracing as the environment says: OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, else none. */
export function tracingFromEnvironment(runtime: Runtime, env: NodeJS.ProcessEnv = process.env): OrderTracing | null {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return null;
  return new OrderTracing(runtime);
}

export interface TracingPluginOptions extends ServiceContext {
  /** Tracing built by the caller (tests); else from the environment (none without an OTLP endpoint). */
  tracing?: OrderTracing | null;
}

/** Traces the runtime's commits while the server is up; flushes the spans on close. No routes. */
export const tracingPlugin: FastifyPluginAsync<TracingPluginOptions> = async (app, options) => {
  const tracing = options.tracing === undefined ? tracingFromEnvironment(options.runtime) : options.tracing;
  if (!tracing) return;
  tracing.attach();
  app.addHook('onClose', async () => { await tracing.shutdown(); });
};
