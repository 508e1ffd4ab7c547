// Traces (§24) checked with the SDK's in-memory exporter: an intake span per order (the root of
// its trace, derived from its correlation id), a span per command sent to a step's owner (child of
// the intake), a span per reply (child of the command it answers), compensation commands and
// replies for a cancelled order; each carrying the correlation, order, item, saga and step ids.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import { OrderTracing, intakeSpanIdOf, traceIdOf, tracingFromEnvironment, tracingPlugin } from '../../service/tracing.js';
import { disposeRuntime, homeFiberOrder, newRuntime, samplePlans, storesUnderTest } from '../runtime/harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
// Not a store matter: one store is enough (the server one when reachable: it opens faster).
const storeUnderTest = stores.find((s) => s.name === 'postgres') ?? (stores[0] as (typeof stores)[number]);

describe(`traces on ${storeUnderTest.name}`, () => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  it('intake, step commands and replies, compensation: parent/child links and the §24 dimensions', async () => {
    ({ runtime } = await newRuntime(storeUnderTest));
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    const exporter = new InMemorySpanExporter();
    const tracing = new OrderTracing(rt, { exporter, processor: 'simple' });
    const app = Fastify();
    await app.register(tracingPlugin, { runtime: rt, guard: async () => undefined, tracing });

    const ok = await rt.submitOrder(homeFiberOrder('po-tr-ok'));
    // The appointment is answered an hour late: the cancel arrives while it runs, the reservations are undone.
    await rt.submitOrder(homeFiberOrder('po-tr-cancel'), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } });
    await rt.submitOrder({ id: 'po-tr-rejected', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NOT_SOLD_HERE' } }] });
    await rt.runUntilIdle();
    expect(await rt.engine.cancel({ productOrderId: 'po-tr-cancel' })).toMatchObject({ ok: true });
    await rt.settle();
    await tracing.settled();
    const spans = exporter.getFinishedSpans();
    const of = (orderId: string) => spans.filter((s) => s.attributes['o2a.product_order_id'] === orderId);
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const parentOf = (s: ReadableSpan) => byId.get(s.parentSpanContext?.spanId ?? '');

    // Intake: the root of the order's trace.
    if (!ok.ok) throw new Error('not taken');
    const okSpans = of('po-tr-ok');
    const intake = okSpans.find((s) => s.name === 'o2a.intake') as ReadableSpan;
    expect(intake).toBeDefined();
    expect(intake.parentSpanContext).toBeUndefined();
    expect(intake.spanContext()).toMatchObject({ traceId: traceIdOf(ok.correlationId), spanId: intakeSpanIdOf('po-tr-ok') });
    expect(intake.attributes).toMatchObject({ 'o2a.correlation_id': ok.correlationId, 'o2a.product_order_id': 'po-tr-ok' });
    expect(okSpans.every((s) => s.spanContext().traceId === intake.spanContext().traceId)).toBe(true);

    // Every command: a child of the intake, with the saga, step and item; answered by one reply, its child.
    const commands = okSpans.filter((s) => s.name === 'o2a.step.command');
    const replies = okSpans.filter((s) => s.name === 'o2a.step.reply');
    const stepIds = ['internet', 'ont', 'router', 'install_slot', 'install', 'network', 'verify', 'inventory', 'billing', 'notify'];
    expect(commands.map((c) => c.attributes['o2a.step_id']).sort()).toEqual([...stepIds].sort());
    for (const command of commands) {
      expect(parentOf(command)).toBe(intake);
      expect(command.attributes).toMatchObject({
        'o2a.correlation_id': ok.correlationId, 'o2a.product_order_id': 'po-tr-ok', 'o2a.product_order_item_id': '1',
        'o2a.product_offering': 'HOME_FIBER_1G', 'o2a.saga_id': expect.any(String), 'o2a.message_id': expect.any(String),
        'o2a.idempotency_key': expect.any(String), 'o2a.owner': expect.any(String),
      });
      const answers = replies.filter((r) => parentOf(r) === command);
      expect(answers, String(command.attributes['o2a.step_id'])).toHaveLength(1);
      const reply = answers[0] as ReadableSpan;
      expect(reply.attributes).toMatchObject({
        'o2a.step_id': command.attributes['o2a.step_id'], 'o2a.saga_id': command.attributes['o2a.saga_id'], 'o2a.product_order_item_id': '1',
        'o2a.causation_id': command.attributes['o2a.message_id'],
      });
      expect(reply.status.code).not.toBe(SpanStatusCode.ERROR);
    }
    expect(replies).toHaveLength(commands.length);
    const ont = replies.find((r) => r.attributes['o2a.step_id'] === 'ont') as ReadableSpan;
    expect(ont.attributes['o2a.resource_id']).toMatch(/^ONT_GPON-/);

    // Compensation of the cancelled order: the reservations undone, each command answered.
    const cancelled = of('po-tr-cancel');
    const undo = cancelled.filter((s) => s.name === 'o2a.compensation.command');
    expect(undo.map((s) => s.attributes['o2a.step_id']).sort()).toEqual(expect.arrayContaining(['ont', 'router']));
    for (const command of undo) {
      expect(parentOf(command)?.name).toBe('o2a.intake');
      expect(command.attributes['o2a.message.type']).toBe('CompensateStep');
      expect(cancelled.filter((r) => r.name === 'o2a.compensation.reply' && parentOf(r) === command)).toHaveLength(1);
    }

    // The rejected order: its intake span says so; no command.
    const rejected = of('po-tr-rejected');
    expect(rejected.map((s) => s.name)).toEqual(['o2a.intake']);
    expect(rejected[0]?.status.code).toBe(SpanStatusCode.ERROR);
    await app.close();
  });

  it('exported with OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT; without one, no tracing at all', async () => {
    expect(tracingFromEnvironment({} as Runtime, {})).toBeNull();
    const received: { url: string; body: string }[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { received.push({ url: req.url ?? '', body }); res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    try {
      ({ runtime } = await newRuntime(storeUnderTest));
      await runtime.registerPlans(plans as CompiledPlan[]);
      const tracing = tracingFromEnvironment(runtime);
      expect(tracing).toBeInstanceOf(OrderTracing);
      tracing?.attach();
      await runtime.submitOrder(homeFiberOrder('po-tr-otlp'));
      await runtime.settle();
      await tracing?.shutdown();
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT; else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      await new Promise<void>((resolve) => collector.close(() => resolve()));
    }
    expect(received.map((r) => r.url)).toContain('/v1/traces');
    const all = received.map((r) => r.body).join('');
    expect(all).toContain('o2a.intake');
    expect(all).toContain('po-tr-otlp');
  });
});
