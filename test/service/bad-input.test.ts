// Bad input at the HTTP edge: TMF622 bodies mutated by fast-check (fields dropped, values
// replaced by any JSON, unknown fields added, injection strings), oversized bodies, wrong content
// types, malformed JSON, unknown fields, hostile query strings and ids. Always an answer below 500:
// 2xx for what is a valid order, else 4xx with a TMF error naming the reason; never a stack trace
// or SQL in it; and a refusal writes nothing (row counts before and after).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storesUnderTest } from '../runtime/harness.js';
import { orderBody, PO, rowCounts, SO, startService, type ServiceUnderTest } from './service-harness.js';

const stores = await storesUnderTest();

const INJECTIONS = [
  "'; DROP TABLE product_order; --", "' OR '1'='1", '"; SELECT pg_sleep(10); --', '$1', '\\', '%', '_', '*', '{"$gt": ""}',
  '<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x}', '__proto__', 'constructor', 'a\u0000b', '\ud800', '\udc00x',
  'é€𝄞', ' ', '', 'x'.repeat(5000),
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in a JSON document. */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

type Mutation = { kind: 'drop' | 'replace' | 'add'; at: number; value: Json; key: string };

function mutate(doc: Json, mutation: Mutation): Json {
  const copy = JSON.parse(JSON.stringify(doc)) as Json;
  const all = paths(copy).filter((p) => p.length > 0 || mutation.kind !== 'drop');
  const path = all[mutation.at % all.length] as (string | number)[];
  if (path.length === 0) return mutation.kind === 'replace' ? mutation.value : copy;
  let parent = copy as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === 'drop') { if (Array.isArray(parent)) parent.splice(Number(last), 1); else delete parent[last]; }
  else if (mutation.kind === 'replace') parent[last] = mutation.value;
  else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[mutation.key] = mutation.value;
    else parent[last] = mutation.value;
  }
  return copy;
}

const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, true, 0, -1, 1e308, 'add', 'HOME_FIBER_1G', 'MOBILE_POSTPAID', [], {}),
);

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('drop', 'replace', 'add'),
  at: fc.nat(),
  value: jsonValue,
  key: fc.oneof(fc.constantFrom(...INJECTIONS.filter((s) => s !== '')), fc.string({ minLength: 1, maxLength: 12 })),
});

function expectTmfError(response: { statusCode: number; body: string }): void {
  expect(response.statusCode, response.body).toBeGreaterThanOrEqual(400);
  expect(response.statusCode, response.body).toBeLessThan(500);
  const error = JSON.parse(response.body) as { code: string; reason: string; message: string; status: string; problems: unknown[] };
  expect(error).toMatchObject({ code: String(response.statusCode), status: String(response.statusCode), reason: expect.any(String), message: expect.any(String) });
  expect(error.message.length).toBeGreaterThan(3);
  // Nothing of the inside leaks out: no stack frame, no path of the server, no database message.
  expect(response.body).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|\/work\/|syntax error at or near|relation "|violates .* constraint|duplicate key|invalid input syntax/i);
}

describe.each(stores)('bad input on $name', (storeUnderTest) => {
  let service: ServiceUnderTest;
  beforeAll(async () => { service = await startService(storeUnderTest, { bodyLimit: 64 * 1024 }); });
  afterAll(async () => { await service.close(); });

  it('mutated TMF622 bodies: a valid order is taken (201), anything else is a 4xx with the reason and writes nothing', async () => {
    let n = 0;
    let taken = 0;
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
      n += 1;
      const base = orderBody(`po-fc-${n}`, n % 2 === 0 ? 'HOME_FIBER_1G' : 'MOBILE_POSTPAID', { installation: 'technician' }) as Json;
      const body = mutations.reduce(mutate, base);
      const before = await rowCounts(service.store);
      const response = await service.app.inject({ method: 'POST', url: `${PO}/productOrder`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
      if (response.statusCode === 201 || response.statusCode === 200) {
        taken += 1;
        const view = response.json();
        const read = await service.app.inject({ method: 'GET', url: `${PO}/productOrder/${encodeURIComponent(view.id)}` });
        expect(read.statusCode).toBe(200);
        expect(read.json()).toMatchObject({ id: view.id, state: expect.any(String), productOrderItem: expect.any(Array) });
        return;
      }
      expectTmfError(response);
      expect(await rowCounts(service.store)).toEqual(before);
    }), { numRuns: 120, seed: 622 });
    // The property saw both sides.
    expect(taken).toBeGreaterThan(0);
    expect(taken).toBeLessThan(n);
  });

  it('oversized bodies, wrong content types, malformed JSON, non-objects, unknown fields, prototype keys: 4xx with the reason, nothing written', async () => {
    const before = await rowCounts(service.store);
    const valid = JSON.stringify(orderBody('po-bad-1', 'MOBILE_POSTPAID'));
    const post = (payload: string, contentType?: string) => service.app.inject({
      method: 'POST', url: `${PO}/productOrder`, payload, headers: contentType === undefined ? {} : { 'content-type': contentType },
    });
    const big = { ...orderBody('po-big', 'MOBILE_POSTPAID'), description: 'x'.repeat(70 * 1024) };
    const cases: [string, string | undefined, number, string | null][] = [
      [JSON.stringify(big), 'application/json', 413, 'body'],
      [valid, 'text/plain', 415, 'header.content-type'],
      [valid, 'application/xml', 415, 'header.content-type'],
      [valid, 'multipart/form-data; boundary=x', 415, 'header.content-type'],
      [valid, 'application/x-www-form-urlencoded', 415, 'header.content-type'],
      [valid, undefined, 415, 'header.content-type'],
      ['{"productOrderItem": [', 'application/json', 400, 'body'],
      ['', 'application/json', 400, 'body'],
      ['[]', 'application/json', 400, null],
      ['null', 'application/json', 400, null],
      ['42', 'application/json', 400, null],
      [JSON.stringify({ ...orderBody('po-bad-2', 'MOBILE_POSTPAID'), shoeSize: 42 }), 'application/json', 400, 'shoeSize'],
      [JSON.stringify({ ...orderBody('po-bad-3', 'MOBILE_POSTPAID'), relatedParty: [{ id: 'c', '@referredType': 'Individual', admin: true }] }), 'application/json', 400, 'relatedParty.0.admin'],
      ['{"__proto__": {"admin": true}, "productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "MOBILE_POSTPAID"}}]}', 'application/json', 400, null],
      ['{"constructor": {"prototype": {"admin": true}}, "productOrderItem": []}', 'application/json', 400, null],
      [JSON.stringify({ ...orderBody('po-bad-4', 'MOBILE_POSTPAID'), description: 'a\u0000b' }), 'application/json', 400, 'description'],
      [JSON.stringify({ ...orderBody('po-bad-5', 'MOBILE_POSTPAID'), description: '\ud800' }), 'application/json', 400, 'description'],
      [`{"productOrderItem": [${'{"id": "1", "action": "add", "productOrderItem": ['.repeat(200)}${']}'.repeat(200)}]}`, 'application/json', 400, null],
    ];
    for (const [payload, contentType, status, field] of cases) {
      const response = await post(payload, contentType);
      expect(response.statusCode, `${contentType} ${payload.slice(0, 80)}: ${response.body}`).toBe(status);
      expectTmfError(response);
      if (field !== null) expect(response.json().field, response.body).toBe(field);
    }
    expect(await rowCounts(service.store)).toEqual(before);
  });

  it('hostile query strings and ids on the read and write endpoints: 200 with nothing found, 404 or 400, never 500, nothing written', async () => {
    const before = await rowCounts(service.store);
    for (const value of INJECTIONS) {
      // A lone surrogate has no UTF-8 form: sent as the bytes a careless client would send for it.
      const q = (() => { try { return encodeURIComponent(value); } catch { return '%ED%A0%80'; } })();
      for (const url of [
        `${PO}/productOrder?id=${q}`, `${PO}/productOrder?state=${q}&externalId=${q}`, `${PO}/productOrder?relatedParty.id=${q}`,
        `${PO}/productOrder?orderDate.gt=${q}`, `${PO}/productOrder?fields=${q}`, `${PO}/productOrder/${q || 'x'}`, `${PO}/productOrder?limit=${q}`,
        `${PO}/cancelProductOrder?productOrder.id=${q}`, `${PO}/cancelProductOrder/${q || 'x'}`,
        `${SO}/serviceOrder?externalReference.id=${q}`, `${SO}/serviceOrder/${q || 'x'}`,
      ]) {
        const response = await service.app.inject({ method: 'GET', url });
        expect(response.statusCode, `${url}: ${response.body}`).toBeLessThan(500);
        if (response.statusCode >= 400) expectTmfError(response);
      }
      // A write naming an order: refused unless an order of that id exists (the mutated bodies
      // above may have created one under an id like '%': a valid id).
      if ((await service.app.inject({ method: 'GET', url: `${PO}/productOrder/${q || 'x'}` })).statusCode === 200) continue;
      for (const request of [
        { method: 'POST' as const, url: `${PO}/cancelProductOrder`, payload: { productOrder: { id: value }, cancellationReason: value } },
        { method: 'PATCH' as const, url: `${PO}/productOrder/${q || 'x'}`, payload: { productOrderItem: [{ id: value, action: 'modify', change: value, product: { productCharacteristic: [{ name: value, value }] } }] } },
      ]) {
        const response = await service.app.inject(request);
        expectTmfError(response);
      }
    }
    expect(await rowCounts(service.store)).toEqual(before);
  });
});
