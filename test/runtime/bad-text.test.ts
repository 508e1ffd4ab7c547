// Text PostgreSQL cannot store (a NUL character, an unpaired UTF-16 surrogate), in any field of an
// order, of an amendment, a cancel, an approval or a scenario: refused as invalid input naming the
// field, before anything is written, on every store. Never a crash, never a half-written order.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../runtime/adapters/scenario.js';
import type { Runtime } from '../../runtime/runtime.js';
import type { Store } from '../../runtime/store/store.js';
import { findUnstorable } from '../../runtime/store/text.js';
import { disposeRuntime, homeFiberOrder, newRuntime, samplePlans, storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const plans = await samplePlans();

/** A string PostgreSQL refuses: NUL or a lone surrogate somewhere inside ordinary text. */
const badText = fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\u0000', '\uD800', '\uDFFF', 'a\uDC00'), fc.string({ maxLength: 8 }))
  .map(([before, bad, after]) => `${before}${bad}${after}`)
  .filter((s) => findUnstorable(s) !== null);

/** Every path to a string (or a place a string may go) in an order, and a way to put a value there. */
function stringPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value === 'string') out.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => stringPaths(v, [...path, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringPaths(v, [...path, k], out);
  return out;
}

function withValue(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[head] = withValue(copy[head], rest, replacement);
  return copy;
}

describe.each(stores)('text PostgreSQL cannot store, on $name', (storeUnderTest) => {
  let runtime: Runtime;
  let store: Store;
  beforeAll(async () => {
    ({ runtime, store } = await newRuntime(storeUnderTest, { plans }));
  });
  afterAll(async () => { await disposeRuntime(runtime); });

  const written = async () => ({
    orders: (await store.query('SELECT 1 FROM product_order')).length,
    outbox: (await store.query('SELECT 1 FROM outbox')).length,
    audit: (await store.query('SELECT 1 FROM audit_trail')).length,
  });

  it('in any field of an order (values, names, extra fields): refused as invalid naming the field, nothing written', async () => {
    const base = homeFiberOrder('po-text') as Record<string, unknown>;
    const extended = { ...base, description: 'moving in', note: [{ text: 'call first' }] };
    const paths = stringPaths(extended);
    expect(paths.length).toBeGreaterThan(8);
    const before = await written();
    await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), badText, fc.boolean(), async (path, bad, asKey) => {
      // The bad text as the value at the path, or as the name of an extra field beside it.
      const order = asKey
        ? withValue(extended, path.slice(0, -1), { ...(path.slice(0, -1).reduce<any>((v, k) => v[k], extended)), [bad]: 'x' })
        : withValue(extended, path, bad);
      const result = await runtime.submitOrder(order);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result).toMatchObject({ code: 'invalid' });
      const problems = (result as { problems: string[] }).problems;
      expect(problems).toHaveLength(1);
      const field = asKey ? path.slice(0, -1).join('.') : path.join('.');
      expect(problems[0]?.startsWith(field)).toBe(true);
      if (asKey) expect(problems[0]).toContain('its name holds');
      expect(problems[0]).toMatch(/NUL character|unpaired UTF-16 surrogate/);
    }), { numRuns: 40 });
    expect(await written()).toEqual(before);
  });

  it('in an amendment, a cancel, an approval and a scenario: refused naming the field, nothing written', async () => {
    expect(await runtime.submitOrder(homeFiberOrder('po-text-ok'), { scenario: { steps: { install_slot: { delayMs: 3_600_000 } } } })).toMatchObject({ ok: true });
    await runtime.runUntilIdle();
    const before = await written();
    const amend = (extra: Record<string, unknown>) => runtime.engine.amend({ productOrderId: 'po-text-ok', itemId: '1', change: 'appointment', with: { preferredDate: '2027-01-01' }, ...extra } as never);
    expect(await amend({ with: { preferredDate: 'a\u0000b' } })).toMatchObject({ ok: false, code: 'invalid', field: 'with.preferredDate', problem: expect.stringMatching(/NUL/) });
    expect(await amend({ with: { 'x\uD800': 'b' } })).toMatchObject({ ok: false, code: 'invalid', problem: expect.stringMatching(/surrogate/) });
    expect(await amend({ requestedBy: 'crm\u0000' })).toMatchObject({ ok: false, field: 'requestedBy' });
    expect(await amend({ productOrderId: 'po-text-ok\u0000' })).toMatchObject({ ok: false, field: 'productOrderId' });
    expect(await runtime.engine.cancel({ productOrderId: 'po-text-ok', reason: 'bye\uDFFF' })).toMatchObject({ ok: false, code: 'invalid', field: 'reason' });
    expect(await runtime.engine.cancel({ productOrderId: 'po-text-ok\u0000' })).toMatchObject({ ok: false, code: 'invalid', field: 'productOrderId' });
    expect(await runtime.engine.signal({ productOrderId: 'po-text-ok\u0000', signal: 'first-usage' })).toMatchObject({ ok: false, code: 'invalid', field: 'productOrderId' });
    expect(await runtime.engine.signal({ productOrderId: 'po-text-ok', itemId: '1\uD800', signal: 'first-usage' })).toMatchObject({ ok: false, code: 'invalid', field: 'item' });
    expect(await runtime.engine.approve('ap-1', { by: 'x\u0000' })).toMatchObject({ ok: false, code: 'invalid', field: 'by' });
    expect(await runtime.engine.approve('ap-\u0000', { by: 'x' })).toMatchObject({ ok: false, code: 'invalid', field: 'approval' });
    expect(parseScenario({ steps: { install: { outcome: 'no_access', reason: 'gate\u0000' } } }))
      .toEqual({ ok: false, problems: ['steps.install.reason: holds a NUL character (\\u0000), which cannot be stored'] });
    expect(await runtime.submitOrder(homeFiberOrder('po-text-2'), { scenario: { steps: { ['in\uD800stall']: { outcome: 'success' } } } }))
      .toMatchObject({ ok: false, code: 'invalid' });
    expect(await written()).toEqual(before);
  });
});
