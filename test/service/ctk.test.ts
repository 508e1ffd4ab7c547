// TM Forum's TMF622 v4 conformance test kit, run unmodified by newman against a live `o2a serve`
// (serveCommand: PGlite, the sample plans, worker loops) listening on 127.0.0.1 on a free port.
// The kit's files are read as shipped; its configuration is applied the way the kit's own runner
// applies it (config.json's headers on every request, its ProductOrder payload, checked against
// the kit's schema, as the body of the POST, its url as the Product_Ordering variable), with the
// url's origin pointed at the live server. Twice: the kit's shipped config.json (its minimal order
// names no offering: created, then rejected) and o2a's own (test/service/ctk/o2a-config.json: a
// sample offering, which then completes). Every assertion of the kit must pass.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../compiler/project-root.js';
import { serveCommand } from '../../service/serve.js';
import { Capture } from '../runtime/harness.js';

const KIT = join(projectRoot(), 'test', 'fixtures', 'tmf', 'ctk', 'tmf622-v4');

interface CtkConfig {
  url: string;
  headers: Record<string, string>;
  payloads: Record<string, { POST: { payload: unknown } }>;
}

interface PostmanItem { name: string; item?: PostmanItem[]; request?: { method: string; header: { key: string; value: string }[]; body?: { mode: string; raw: string } } }

interface NewmanSummary {
  run: {
    stats: { assertions: { total: number; failed: number }; requests: { total: number; failed: number } };
    failures: { error: { name: string; message: string; test?: string }; source?: { name?: string } }[];
    executions: { item: { name: string }; response?: { code: number } }[];
  };
}

const newman = createRequire(import.meta.url)('newman') as {
  run(options: Record<string, unknown>, callback: (error: Error | null, summary: NewmanSummary) => void): unknown;
};

/** The collection with the configuration applied as the kit's runner applies it (in memory; the files stay as shipped). */
function configuredCollection(config: CtkConfig): { name: string; item: PostmanItem[] } {
  const collection = JSON.parse(readFileSync(join(KIT, 'ctk', 'TMF622-ProductOrdering-v4.0.0.testkit.json'), 'utf8')) as { name: string; item: PostmanItem[] };
  const headers = Object.entries(config.headers).map(([key, value]) => ({ key, value }));
  for (const group of collection.item) for (const item of group.item ?? []) if (item.request) item.request.header = headers;
  for (const [resource, { POST }] of Object.entries(config.payloads)) {
    // The kit's runner refuses a payload its schema does not take.
    const { $schema: _ignored, ...schema } = JSON.parse(readFileSync(join(KIT, 'ctk', 'schemas', `${resource}.schema.json`), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false }).compile(schema);
    if (!validate(POST.payload)) throw new Error(`config payload ${resource}: ${JSON.stringify(validate.errors)}`);
    const post = collection.item[0]?.item?.[0]?.request;
    if (post?.method !== 'POST' || !post.body) throw new Error('the kit\'s first request is not the POST of a ProductOrder');
    post.body.raw = JSON.stringify(POST.payload);
  }
  return collection;
}

function runKit(config: CtkConfig, server: string): Promise<NewmanSummary> {
  const url = new URL(config.url.trim());
  const base = `${server}${url.pathname}`;
  return new Promise((resolve, reject) => {
    newman.run({
      collection: configuredCollection(config),
      environment: { name: 'o2a', values: [{ key: 'Product_Ordering', value: base, enabled: true }] },
      reporters: [],
      timeoutRequest: 10_000,
    }, (error, summary) => (error ? reject(error) : resolve(summary)));
  });
}

describe('TMF622 v4 conformance kit (newman) against a live o2a serve', () => {
  let server = '';
  let stop: () => void = () => undefined;
  let served: Promise<number>;
  const out = new Capture();

  beforeAll(async () => {
    const listening = new Promise<string>((resolve) => {
      served = serveCommand({
        port: 0, host: '127.0.0.1', logLevel: 'silent', env: {},
        until: new Promise((resolveStop) => { stop = () => resolveStop('test done'); }),
        onListening: (_app, address) => resolve(address),
      }, out);
      served.catch(() => resolve(''));
    });
    server = await listening;
    expect(server).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 60_000);

  afterAll(async () => {
    stop();
    expect(await served).toBe(0);
  });

  const assertPassed = (summary: NewmanSummary) => {
    const failures = summary.run.failures.map((f) => `${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`);
    expect(failures).toEqual([]);
    expect(summary.run.stats.requests).toMatchObject({ total: 9, failed: 0 });
    expect(summary.run.stats.assertions.failed).toBe(0);
    expect(summary.run.stats.assertions.total).toBeGreaterThan(40);
  };

  it('with the kit\'s shipped configuration: every assertion passes (its order, naming no offering, is created and rejected)', async () => {
    const config = JSON.parse(readFileSync(join(KIT, 'config.json'), 'utf8')) as CtkConfig;
    const summary = await runKit(config, server);
    assertPassed(summary);
    const posted = summary.run.executions.find((e) => e.item.name === '/ProductOrder');
    expect(posted?.response?.code).toBe(201);
    const orders = await (await fetch(`${server}/tmf-api/productOrderingManagement/v4/productOrder?state=rejected`)).json() as { productOrderItem: { id: string }[] }[];
    expect(orders.map((o) => o.productOrderItem[0]?.id)).toEqual(['123']);
  }, 30_000);

  it('with o2a\'s own configuration (a sample offering): every assertion passes, and the order completes', async () => {
    const config = JSON.parse(readFileSync(join(projectRoot(), 'test', 'service', 'ctk', 'o2a-config.json'), 'utf8')) as CtkConfig;
    const summary = await runKit(config, server);
    assertPassed(summary);
    const found = async () => (await (await fetch(`${server}/tmf-api/productOrderingManagement/v4/productOrder?externalId=ctk-o2a-1&fields=state`)).json()) as { state: string }[];
    for (let i = 0; i < 100 && (await found())[0]?.state !== 'completed'; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await found()).toEqual([expect.objectContaining({ state: 'completed' })]);
  }, 30_000);
});
