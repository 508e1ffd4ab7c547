// TMF622 v5's example requests (test/fixtures/tmf/tmf622-v5/examples/, copied unchanged) sent to
// o2a's v4 API, each at the operation it illustrates: accepted, or refused with the precise reason
// (status, field, message). v5 changed shapes v4 defines (externalId an array, relatedParty's
// partyOrPartyRole, ...): the v4 schema at the edge names the first of them. The event examples
// are notifications a server sends to listeners (the hub's part), not requests to this API.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../compiler/project-root.js';
import { storesUnderTest } from '../runtime/harness.js';
import { orderBody, PO, rowCounts, startService, type ServiceUnderTest } from './service-harness.js';

const EXAMPLES = join(projectRoot(), 'test', 'fixtures', 'tmf', 'tmf622-v5', 'examples');
const example = (name: string): string => readFileSync(join(EXAMPLES, name), 'utf8');

interface Case {
  file: string;
  method: 'POST' | 'PATCH';
  url: string;
  contentType: string;
  status: number;
  /** Refused: the fields the error names, first first; accepted: what the answer shows. */
  fields?: (string | null)[];
  message?: RegExp;
  shows?: Record<string, unknown>;
}

const TABLE: Case[] = [
  {
    file: 'CreateProductOrder1_request.json', method: 'POST', url: `${PO}/productOrder`, contentType: 'application/json', status: 400,
    // v5's externalId is an array of ExternalIdentifier (v4: a string); v5's RelatedChannel, Characteristic and Duration
    // carry fields v4's do not; v5's RelatedPartyRefOrPartyRoleRef wraps the party in partyOrPartyRole (v4: id and
    // @referredType on the RelatedParty itself).
    fields: ['externalId', 'channel.0.id', 'channel.0.channel', 'productOrderItem.1.product.productCharacteristic.0.id',
      'productOrderItem.2.itemTerm.0.duration.@type', 'productOrderItem.3.product.productCharacteristic.0.id', 'relatedParty.0.@referredType', 'relatedParty.0.id', 'relatedParty.0.partyOrPartyRole', 'relatedParty.1.@referredType', 'relatedParty.1.id', 'relatedParty.1.partyOrPartyRole'],
    message: /^the body is not a valid TMF resource: externalId: must be string$/,
  },
  {
    file: 'CreateProductOrder2_request.json', method: 'POST', url: `${PO}/productOrder`, contentType: 'application/json', status: 400,
    fields: ['externalId', 'productOrderItem.0.product.productCharacteristic.0.id', 'relatedParty.0.@referredType', 'relatedParty.0.id', 'relatedParty.0.partyOrPartyRole', 'relatedParty.1.@referredType', 'relatedParty.1.id', 'relatedParty.1.partyOrPartyRole'],
    message: /^the body is not a valid TMF resource: externalId: must be string$/,
  },
  {
    // v5's intent (TMF921) has no place in v4.
    file: 'CreateProductOrder_with_intent_specification_request.json', method: 'POST', url: `${PO}/productOrder`, contentType: 'application/json', status: 400,
    fields: ['intentSpecification', 'externalId', 'channel.0.id', 'channel.0.channel', 'productOrderItem.1.product.productCharacteristic.0.id',
      'productOrderItem.2.itemTerm.0.duration.@type', 'productOrderItem.2.product.intent', 'productOrderItem.3.product.productCharacteristic.0.id', 'relatedParty.0.@referredType', 'relatedParty.0.id', 'relatedParty.0.partyOrPartyRole', 'relatedParty.1.@referredType', 'relatedParty.1.id', 'relatedParty.1.partyOrPartyRole'],
    message: /^the body is not a valid TMF resource: intentSpecification: not a field of this TMF resource/,
  },
  {
    // Accepted: v4's CancelProductOrder_Create takes it whole; its order exists (created first), nothing of it ran yet: done at once.
    file: 'CreateCancelProductOrder_request.json', method: 'POST', url: `${PO}/cancelProductOrder`, contentType: 'application/json', status: 201,
    shows: { '@type': 'CancelProductOrder', state: 'done', cancellationReason: 'Duplicate order', productOrder: { id: '45f-98f-ss45' } },
  },
  {
    file: 'updateProductOrder_using_application-json_request.json', method: 'PATCH', url: `${PO}/productOrder/45f-98f-ss45`, contentType: 'application/json', status: 400,
    fields: ['category'], message: /^category: cannot be changed on an order in flight here/,
  },
  {
    file: 'updateProductOrder_using_merge-patch_json_request.json', method: 'PATCH', url: `${PO}/productOrder/45f-98f-ss45`, contentType: 'application/merge-patch+json', status: 400,
    fields: ['category'], message: /^category: cannot be changed on an order in flight here/,
  },
  {
    file: 'updateProductOrder_using_json-patch_json_request.json', method: 'PATCH', url: `${PO}/productOrder/45f-98f-ss45`, contentType: 'application/json-patch+json', status: 415,
    fields: ['header.content-type'], message: /^content type "application\/json-patch\+json" is not accepted here/,
  },
  {
    file: 'updateProductOrder_using_json-patch_query_request.json', method: 'PATCH', url: `${PO}/productOrder/45f-98f-ss45`, contentType: 'application/json-patch-query+json', status: 415,
    fields: ['header.content-type'], message: /^content type "application\/json-patch-query\+json" is not accepted here/,
  },
];

const stores = await storesUnderTest();
const pglite = stores[0];

describe('TMF622 v5 example requests against the v4 API', () => {
  let service: ServiceUnderTest;
  beforeAll(async () => {
    service = await startService(pglite as NonNullable<typeof pglite>);
    // The order the cancel and update examples name.
    const created = await service.app.inject({ method: 'POST', url: `${PO}/productOrder`, payload: orderBody('45f-98f-ss45', 'MOBILE_POSTPAID') });
    expect(created.statusCode).toBe(201);
  });
  afterAll(async () => { await service.close(); });

  it('the table covers every request example of the spec', () => {
    const requests = readdirSync(EXAMPLES).filter((f) => f.endsWith('_request.json') && !/Event_request\.json$/.test(f)).sort();
    expect(TABLE.map((c) => c.file).sort()).toEqual(requests);
  });

  it.each(TABLE)('$file: $status', async (c) => {
    const before = await rowCounts(service.store);
    const response = await service.app.inject({ method: c.method, url: c.url, headers: { 'content-type': c.contentType }, payload: example(c.file) });
    expect(response.statusCode, response.body).toBe(c.status);
    const body = response.json();
    if (c.shows) { expect(body).toMatchObject(c.shows); return; }
    expect(body).toMatchObject({ code: String(c.status), status: String(c.status), '@type': 'Error' });
    expect(body.problems.map((p: { field: string | null }) => p.field)).toEqual(c.fields);
    expect(body.field).toBe(c.fields?.[0]);
    expect(body.message).toMatch(c.message as RegExp);
    // Refused: nothing written.
    expect(await rowCounts(service.store)).toEqual(before);
  });

  it('o2a\'s own example orders (examples/orders/, one per sample offering): each taken over HTTP (201) and completed', async () => {
    const dir = join(projectRoot(), 'examples', 'orders');
    const ids: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const response = await service.app.inject({ method: 'POST', url: `${PO}/productOrder`, headers: { 'content-type': 'application/json' }, payload: readFileSync(join(dir, file), 'utf8') });
      expect(response.statusCode, `${file}: ${response.body}`).toBe(201);
      ids.push(response.json().id);
    }
    expect(ids.length).toBeGreaterThan(3);
    await service.runtime.settle();
    const listed = await service.app.inject({ method: 'GET', url: `${PO}/productOrder?id=${ids.join(',')}&fields=state` });
    expect(listed.json().map((o: { state: string }) => o.state)).toEqual(ids.map(() => 'completed'));
  });
});
