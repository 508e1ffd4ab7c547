// `o2a serve` on PostgreSQL (DATABASE_URL) in two roles sharing one database: an API-only
// process (`--no-workers`) takes an order and runs nothing of it; a process with worker loops
// started beside it fulfils it at once (nothing waits for a lease of the API process), and the API
// process answers it completed. Skipped, saying so, when the local PostgreSQL is not reachable.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServicePlugin } from '../../service/context.js';
import { serveCommand } from '../../service/serve.js';
import { Capture, PG_URL } from '../runtime/harness.js';
import { orderBody, PO } from './service-harness.js';

async function scratchDatabase(): Promise<string | null> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const name = `o2a_serve_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return url.toString();
  } catch (error) {
    console.warn(`serve roles: skipping PostgreSQL (${PG_URL}): ${(error as Error).message}`);
    return null;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

const databaseUrl = await scratchDatabase();

afterAll(async () => {
  if (!databaseUrl) return;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${new URL(databaseUrl).pathname.slice(1)} WITH (FORCE)`);
  await admin.end();
});

/** A live `o2a serve` (serveCommand) until `stop`; its exit code from `done`. */
async function serve(options: { workers: boolean; plugins?: ServicePlugin[] }): Promise<{ url: string; out: Capture; stop(): void; done: Promise<number> }> {
  const out = new Capture();
  let stop: () => void = () => undefined;
  let done!: Promise<number>;
  const url = await new Promise<string>((resolve, reject) => {
    done = serveCommand({
      port: 0, logLevel: 'silent', env: { DATABASE_URL: databaseUrl as string }, workers: options.workers, plugins: options.plugins,
      until: new Promise((r) => { stop = () => r('stop'); }), onListening: (_app, address) => resolve(address),
    }, out);
    done.catch(reject);
  });
  return { url, out, stop, done };
}

describe.skipIf(databaseUrl === null)('o2a serve on PostgreSQL: an API-only process and a worker process', () => {
  it('the API process takes the order and runs nothing; the worker process fulfils it at once', async () => {
    const api = await serve({ workers: false });
    try {
      expect(api.out.text).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(PostgreSQL; \d+ plans; worker loops off\)/);
      const posted = await fetch(`${api.url}${PO}/productOrder`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(orderBody('po-roles-1', 'MOBILE_POSTPAID')),
      });
      expect(posted.status).toBe(201);
      const state = async () => ((await (await fetch(`${api.url}${PO}/productOrder/po-roles-1?fields=state`)).json()) as { state: string }).state;
      await new Promise((r) => setTimeout(r, 500));
      expect(await state()).toBe('acknowledged');

      const worker = await serve({ workers: true });
      try {
        const startedAt = Date.now();
        while (await state() !== 'completed' && Date.now() - startedAt < 15_000) await new Promise((r) => setTimeout(r, 100));
        expect(await state()).toBe('completed');
        // Well within the relay lease (30 s) the API process would have held the intake's messages for.
        expect(Date.now() - startedAt).toBeLessThan(10_000);
      } finally {
        worker.stop();
        expect(await worker.done).toBe(0);
      }
    } finally {
      api.stop();
      expect(await api.done).toBe(0);
    }
  }, 60_000);

  it('a stop while a request is in flight: the request is answered, new ones are not taken, the leases are given back', async () => {
    // A part of the service that takes its time (as a slow database would).
    const slow: ServicePlugin = async (app) => {
      app.get('/test/slow', async () => { await new Promise((r) => setTimeout(r, 800)); return { done: true }; });
    };
    const service = await serve({ workers: true, plugins: [slow] });
    const inFlight = fetch(`${service.url}/test/slow`);
    await new Promise((r) => setTimeout(r, 200));
    service.stop();
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ done: true });
    expect(await service.done).toBe(0);
    expect(service.out.text).toContain('o2a serve: stopped');
    await expect(fetch(`${service.url}/healthz`)).rejects.toThrow();
    const db = new pg.Client({ connectionString: databaseUrl as string });
    await db.connect();
    try {
      const [held] = (await db.query(`SELECT count(*)::int AS n FROM outbox_pending WHERE lease_owner IS NOT NULL`)).rows as { n: number }[];
      expect(held?.n).toBe(0);
    } finally {
      await db.end();
    }
  }, 60_000);
});
