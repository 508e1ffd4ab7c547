// `npm start` (o2a demo): two orders complete, a third is cancelled on the way with its
// compensations, a bundle completes partly; exit 0 only when each ends as it should. Without
// DATABASE_URL on PGlite in memory; with it on that server PostgreSQL, saying so, run after run.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { expect, it } from 'vitest';
import { demo } from '../../runtime/cli-commands.js';
import { Capture, PG_URL, samplePlans } from './harness.js';

it('npm start runs the orders, the cancellation and the partly complete bundle, and exits 0', async () => {
  const out = new Capture();
  const saved = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    const code = await demo(out, { plans: await samplePlans(), table: false });
    expect(code).toBe(0);
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
  }
  expect(out.text).toContain('starting embedded PostgreSQL (PGlite, in memory;');
  expect(out.text).toMatch(/cancel request cpo-\S+: done/);
  expect(out.text).toContain('undone, last step first: install_slot (cancel_appointment), router (release), ont (release)');
  expect(out.text).toContain('order po-demo-cancel: cancelled  (customer sees: Cancelled)');
  expect(out.text).toMatch(/item 1\.fiber\s+held\s+HomeFiber1G/);
  expect(out.text).toMatch(/order po-demo-family: partial {2}\(customer sees: Partly completed/);
  expect(out.text).toMatch(/item 1 +delete +completed +HomeFiberCease/);
  expect(out.text).toMatch(/item 2 +noChange +completed +\(nothing to run\)/);
  expect(out.text).toContain('order po-demo-cease: completed  (customer sees: Your service has been disconnected)');
}, 120_000);

/** A database of its own on the local PostgreSQL, or why there is none. */
async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> } | string> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    return (error as Error).message;
  }
  const name = `o2a_demo_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

const database = await scratchDatabase();
if (typeof database === 'string') console.warn(`demo on PostgreSQL skipped (${PG_URL}): ${database}`);

it.skipIf(typeof database === 'string')('DATABASE_URL=postgres://... npm start runs on that database, says so, and runs again there', async () => {
  if (typeof database === 'string') return;
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = database.url;
  try {
    const plans = await samplePlans();
    for (const round of [1, 2]) {
      const out = new Capture();
      const code = await demo(out, { plans, table: false });
      expect(code, `round ${round}:\n${out.text}`).toBe(0);
      expect(out.text).toContain(`using PostgreSQL at ${database.url} (DATABASE_URL) and migrating`);
      expect(out.text).not.toContain('PGlite');
      expect(out.text).toMatch(/order po-demo-cancel-\w+: cancelled {2}\(customer sees: Cancelled\)/);
    }
    // The orders are in that database: five a run.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const rows = await client.query<{ n: string }>("SELECT count(*) AS n FROM product_order WHERE id LIKE 'po-demo-%'");
    await client.end();
    expect(Number(rows.rows[0]!.n)).toBe(10);
  } finally {
    if (saved !== undefined) process.env.DATABASE_URL = saved;
    else delete process.env.DATABASE_URL;
    await database.drop();
  }
}, 240_000);
