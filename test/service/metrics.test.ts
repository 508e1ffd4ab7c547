// The §24 metrics at GET /metrics: orders that complete, fall out (and are resumed), are held for
// the customer, have an activation of unknown outcome, wait for their billing trigger, or are
// rejected; the scrape shows each in its counters and histograms, labelled by offering, step and
// outcome, never by an order id.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import type { Runtime } from '../../runtime/runtime.js';
import { callbacksPlugin } from '../../service/callbacks.js';
import type { ServicePlugin } from '../../service/context.js';
import { hubPlugin } from '../../service/hub.js';
import { metricsPlugin, OrderMetrics } from '../../service/metrics.js';
import { buildServer } from '../../service/server.js';
import { tracingPlugin } from '../../service/tracing.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, newRuntime, samplePlans, storesUnderTest } from '../runtime/harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();
// Not a store matter: one store is enough (the server one when reachable: it opens faster).
const storeUnderTest = stores.find((s) => s.name === 'postgres') ?? (stores[0] as (typeof stores)[number]);

interface Sample { name: string; labels: Record<string, string>; value: number }

function parse(text: string): Sample[] {
  return text.split('\n').filter((l) => l && !l.startsWith('#')).map((line) => {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    return { name: m[1] as string, labels: labels as Record<string, string>, value: Number(m[3]) };
  });
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found.reduce((sum, s) => sum + s.value, 0);
}

describe(`metrics on ${storeUnderTest.name}`, () => {
  let runtime: Runtime | undefined;
  afterEach(async () => { if (runtime) await disposeRuntime(runtime); runtime = undefined; });

  it('counts orders started, completed, failed, fallout, resumes, unknown activations, verification failures, billing delays; durations by step', async () => {
    ({ runtime } = await newRuntime(storeUnderTest));
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    const app = Fastify();
    await app.register(metricsPlugin, { runtime: rt, guard: async () => undefined });
    // A second server's metrics on the same process: a registry of its own, no clash.
    const other = new OrderMetrics(rt);

    await rt.submitOrder(mobileOrder('po-met-ok'));
    await rt.submitOrder(homeFiberOrder('po-met-verify'), { scenario: { steps: { verify: { outcome: 'verification_failed' } } } });
    await rt.submitOrder(homeFiberOrder('po-met-unknown'), { scenario: { steps: { network: { outcome: 'timeout', applied: true } } } });
    await rt.submitOrder(homeFiberOrder('po-met-noaccess'), { scenario: { steps: { install: { outcome: 'no_access' } } } });
    await rt.submitOrder({ id: 'po-met-ott', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'OTT_STREAMING' } }] });
    await rt.submitOrder({ id: 'po-met-rejected', productOrderItem: [{ id: '1', action: 'add', productOffering: { id: 'NOT_SOLD_HERE' } }] });
    await rt.settle();
    const [fallout] = await rt.store.query<{ id: string }>(`SELECT id FROM fallout_case WHERE product_order_id = 'po-met-verify' AND state = 'OPEN'`);
    expect(await rt.resume(fallout?.id as string)).toMatchObject({ ok: true });
    await rt.settle();

    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).not.toMatch(/po-met|ota-|saga-|sg-/);
    const s = parse(text);
    const FIBER = { product_offering: 'HOME_FIBER_1G' };

    expect(value(s, 'order_to_activate_started_total', FIBER)).toBe(3);
    expect(value(s, 'order_to_activate_started_total', { product_offering: 'MOBILE_POSTPAID' })).toBe(1);
    expect(value(s, 'order_to_activate_completed_total', { ...FIBER, outcome: 'completed' })).toBe(2);
    expect(value(s, 'order_to_activate_completed_total', { product_offering: 'MOBILE_POSTPAID', outcome: 'completed' })).toBe(1);
    expect(value(s, 'order_to_activate_completed_total', { product_offering: 'OTT_STREAMING', outcome: 'completed' })).toBe(1);
    expect(value(s, 'order_to_activate_failed_total', { product_offering: 'unknown', outcome: 'rejected' })).toBe(1);
    expect(value(s, 'order_to_activate_fallout_total', { ...FIBER, step: 'verify', step_kind: 'verification', outcome: 'verification_failed', party: 'provider' })).toBe(1);
    expect(value(s, 'order_to_activate_fallout_total', { ...FIBER, step: 'install', step_kind: 'work_order', outcome: 'no_access', party: 'customer' })).toBe(1);
    expect(value(s, 'order_to_activate_resume_total', { ...FIBER, step: 'verify' })).toBe(1);
    expect(value(s, 'activation_unknown_total', { ...FIBER, step: 'network' })).toBe(1);
    expect(value(s, 'technical_verification_failed_total', { ...FIBER, step: 'verify', outcome: 'verification_failed' })).toBe(1);
    expect(value(s, 'billing_readiness_delay_total', { product_offering: 'OTT_STREAMING', step: 'billing', outcome: 'awaiting_trigger' })).toBe(1);

    // Durations: orders to their end; steps by outcome; the kinds of §24 in their own histograms.
    expect(value(s, 'order_to_activate_duration_seconds_count', { ...FIBER, outcome: 'completed' })).toBe(2);
    // The unknown activation waited its 5 minute timeout: the order took at least that.
    expect(value(s, 'order_to_activate_duration_seconds_sum', { ...FIBER, outcome: 'completed' })).toBeGreaterThanOrEqual(300);
    expect(value(s, 'order_to_activate_step_duration_seconds_count', { ...FIBER, step: 'network', outcome: 'unknown' })).toBe(1);
    expect(value(s, 'order_to_activate_step_duration_seconds_sum', { ...FIBER, step: 'network', outcome: 'unknown' })).toBe(300);
    expect(value(s, 'order_to_activate_step_duration_seconds_count', { ...FIBER, step: 'verify', outcome: 'verification_failed' })).toBe(1);
    expect(value(s, 'order_to_activate_step_duration_seconds_count', { ...FIBER, step: 'verify', outcome: 'success' })).toBe(2);
    // Three fiber orders reserve an ONT and a router each.
    expect(value(s, 'resource_reservation_latency_count', { ...FIBER, outcome: 'success' })).toBe(6);
    expect(value(s, 'field_work_wait_time_count', { ...FIBER, step: 'install', outcome: 'no_access' })).toBe(1);
    expect(value(s, 'field_work_wait_time_count', { ...FIBER, step: 'install', outcome: 'success' })).toBe(2);
    expect(value(s, 'field_work_wait_time_count', { ...FIBER, step: 'install_slot', outcome: 'success' })).toBe(3);

    // Label sets stay bounded: no label value is an id of an order, saga or correlation.
    for (const sample of s) for (const v of Object.values(sample.labels)) expect(v).not.toMatch(/^(po-|ota-)|[0-9a-f]{8}-[0-9a-f]{4}/);
    // The other server's registry: the same names, no clash, only what it takes itself (nothing yet).
    other.attach();
    expect(parse(await other.scrape()).filter((x) => x.name === 'order_to_activate_started_total')).toEqual([]);
    await app.close();
  });

  it('the hub, callbacks, metrics and tracing as parts of buildServer: its write guard, its errors, /metrics', async () => {
    ({ runtime } = await newRuntime(storeUnderTest));
    const rt = runtime;
    await rt.registerPlans(plans as CompiledPlan[]);
    const plugins: ServicePlugin[] = [hubPlugin, callbacksPlugin, metricsPlugin, tracingPlugin];
    const app = await buildServer({ runtime: rt, apiToken: 'wired-token', plugins });
    try {
      const auth = { authorization: 'Bearer wired-token' };
      const hub = '/tmf-api/productOrderingManagement/v4/hub';
      expect((await app.inject({ method: 'POST', url: hub, payload: { callback: 'http://127.0.0.1:9/x' } })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: hub, headers: auth, payload: { callback: 'http://127.0.0.1:9/x' } })).statusCode).toBe(201);
      const bad = await app.inject({ method: 'POST', url: hub, headers: auth, payload: { callback: 'gopher://x' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: '400', '@type': 'Error', field: 'callback' });
      const text = await app.inject({ method: 'POST', url: hub, headers: { ...auth, 'content-type': 'text/plain' }, payload: 'x' });
      expect(text.statusCode).toBe(415);
      const callback = { messageId: 'm-1', productOrderId: 'po-none', status: 'completed' };
      expect((await app.inject({ method: 'POST', url: '/o2a/v1/callbacks/work-orders', payload: callback })).statusCode).toBe(401);
      expect((await app.inject({ method: 'POST', url: '/o2a/v1/callbacks/work-orders', headers: auth, payload: callback })).statusCode).toBe(404);
      await rt.submitOrder(mobileOrder('po-wired'));
      await rt.settle();
      const scraped = parse((await app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(value(scraped, 'order_to_activate_completed_total', { product_offering: 'MOBILE_POSTPAID', outcome: 'completed' })).toBe(1);
    } finally {
      await app.close();
    }
  });
});
