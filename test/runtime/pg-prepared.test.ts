// Named prepared statements on the server store can be turned off (for pgbouncer in transaction
// mode, where a statement prepared on one server connection is missing on the next): by option, by
// a database URL parameter, by an environment variable. Orders still complete, and the server
// sessions of the store hold no protocol-level prepared statement. With pgbouncer installed, the
// same runs end to end through a pgbouncer in transaction mode started by the test (with named
// statements on, that run fails there: `prepared statement "o2a_..." already exists`).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { CompiledPlan } from '../../compiler/emit/schema.js';
import { ManualClock } from '../../runtime/clock.js';
import { Runtime } from '../../runtime/runtime.js';
import { openPgStore, preparedStatementsFor, splitDatabaseUrl } from '../../runtime/store/pg-store.js';
import { migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import { disposeRuntime, homeFiberOrder, mobileOrder, one, PG_URL, samplePlans, storesUnderTest } from './harness.js';

const server = (await storesUnderTest()).find((s) => s.name === 'postgres');
const plans = await samplePlans();
const ENV = 'O2A_PG_PREPARED_STATEMENTS';

function schemaName(): string {
  return `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

function withParam(url: string, param: string): string {
  return `${url}${url.includes('?') ? '&' : '?'}${param}`;
}

/**
 * The protocol-level prepared statements of every server session of the store: `connections`
 * transactions held at once take that many different connections of its pool.
 */
async function preparedOnConnections(store: Store, connections: number): Promise<{ pid: number; names: string[] }[]> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => { release = resolve; });
  const seen = await Promise.all(Array.from({ length: connections }, () => store.transaction(async (tx) => {
    if (++arrived === connections) release();
    await all;
    const rows = await tx.query<{ pid: number; names: string[] }>(
      'SELECT pg_backend_pid() AS pid, array(SELECT name FROM pg_prepared_statements WHERE NOT from_sql ORDER BY name) AS names');
    return rows[0] as { pid: number; names: string[] };
  })));
  expect(new Set(seen.map((s) => s.pid)).size).toBe(connections);
  return seen;
}

/** Runs a fibre order and a mobile order to completion. */
async function runOrders(runtime: Runtime): Promise<void> {
  await runtime.registerPlans(plans as CompiledPlan[]);
  for (const order of [homeFiberOrder('po-ftth-p'), mobileOrder('po-mobile-p')]) {
    expect(await runtime.submitOrder(order)).toMatchObject({ ok: true });
  }
  await runtime.settle();
  for (const id of ['po-ftth-p', 'po-mobile-p']) {
    expect(await one(runtime.store, 'SELECT state FROM product_order WHERE id = $1', [id])).toEqual({ state: 'completed' });
  }
}

function open(databaseUrl: string, options: { preparedStatements?: boolean } = {}): Promise<Runtime> {
  return Runtime.open({ databaseUrl, schema: schemaName(), poolSize: 2, clock: new ManualClock(), workerId: 'worker-a', ...options });
}

describe('prepared statements setting', () => {
  it('takes o2a_prepared_statements out of the URL and leaves the rest as it was', () => {
    expect(splitDatabaseUrl('postgres://u:p%40ss@h:5432/db')).toEqual({ url: 'postgres://u:p%40ss@h:5432/db' });
    expect(splitDatabaseUrl('postgres://h/db?o2a_prepared_statements=off')).toEqual({ url: 'postgres://h/db', preparedStatements: false });
    expect(splitDatabaseUrl('postgres://h/db?sslmode=require&o2a_prepared_statements=OFF&application_name=a%20b'))
      .toEqual({ url: 'postgres://h/db?sslmode=require&application_name=a%20b', preparedStatements: false });
    expect(splitDatabaseUrl('postgres://h/db?o2a_prepared_statements=on&sslmode=disable'))
      .toEqual({ url: 'postgres://h/db?sslmode=disable', preparedStatements: true });
    expect(() => splitDatabaseUrl('postgres://h/db?o2a_prepared_statements=maybe')).toThrow(/o2a_prepared_statements.*on or off/);
  });

  it('is the option, else the URL parameter, else the environment, else on', () => {
    expect(preparedStatementsFor(undefined, undefined, {})).toBe(true);
    expect(preparedStatementsFor(undefined, undefined, { [ENV]: 'off' })).toBe(false);
    expect(preparedStatementsFor(undefined, undefined, { [ENV]: '' })).toBe(true);
    expect(preparedStatementsFor(undefined, true, { [ENV]: 'off' })).toBe(true);
    expect(preparedStatementsFor(true, false, { [ENV]: 'off' })).toBe(true);
    expect(preparedStatementsFor(false, undefined, { [ENV]: 'on' })).toBe(false);
    expect(() => preparedStatementsFor(undefined, undefined, { [ENV]: 'sometimes' })).toThrow(/O2A_PG_PREPARED_STATEMENTS/);
  });
});

describe.skipIf(!server)('prepared statements on postgres', () => {
  let runtime: Runtime | undefined;
  const saved = process.env[ENV];
  afterEach(async () => {
    if (saved === undefined) delete process.env[ENV]; else process.env[ENV] = saved;
    if (runtime) await disposeRuntime(runtime);
    runtime = undefined;
  });

  it('named by default: orders complete and the sessions hold o2a statements', async () => {
    delete process.env[ENV];
    runtime = await open(PG_URL);
    await runOrders(runtime);
    const names = (await preparedOnConnections(runtime.store, 2)).flatMap((s) => s.names);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith('o2a_'))).toBe(true);
  });

  it('Runtime.open({ preparedStatements: false }): orders complete and no session holds a prepared statement', async () => {
    delete process.env[ENV];
    runtime = await open(PG_URL, { preparedStatements: false });
    await runOrders(runtime);
    expect(await preparedOnConnections(runtime.store, 2)).toEqual([expect.objectContaining({ names: [] }), expect.objectContaining({ names: [] })]);
  });

  it('openPgStore(url, schema, size, { preparedStatements: false }) runs unnamed', async () => {
    delete process.env[ENV];
    const store = await openPgStore(PG_URL, schemaName(), 2, { preparedStatements: false });
    await migrate(store);
    runtime = new Runtime({ store, clock: new ManualClock(), workerId: 'worker-a' });
    await runOrders(runtime);
    expect((await preparedOnConnections(store, 2)).flatMap((s) => s.names)).toEqual([]);
  });

  it(`${ENV}=off runs unnamed (a store opened without the option, as the CLI opens it)`, async () => {
    process.env[ENV] = 'off';
    runtime = await open(PG_URL);
    await runOrders(runtime);
    expect((await preparedOnConnections(runtime.store, 2)).flatMap((s) => s.names)).toEqual([]);
  });

  it('?o2a_prepared_statements=off in the database URL runs unnamed, over the environment', async () => {
    process.env[ENV] = 'on';
    runtime = await open(withParam(PG_URL, 'o2a_prepared_statements=off'));
    await runOrders(runtime);
    expect((await preparedOnConnections(runtime.store, 2)).flatMap((s) => s.names)).toEqual([]);
  });
});

// --- end to end through pgbouncer (transaction pooling) ---------------------------------------

function pgbouncerBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  return ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'].find((p) => existsSync(p)) ?? null;
}

const bouncerBinary = server ? pgbouncerBinary() : null;
if (server && !bouncerBinary) console.warn('runtime tests: skipping the pgbouncer end-to-end test: pgbouncer is not installed');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A pgbouncer in transaction pooling mode in front of the test server, on a free port, with a
 * database of its own (pgbouncer 1.18 takes no `options` startup parameter, so the store's
 * search_path is dropped and the store works in `public`).
 */
async function startPgbouncer(binary: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const target = new URL(PG_URL);
  const database = `o2a_pgb_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const dir = mkdtempSync(join(tmpdir(), 'o2a-pgbouncer-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const user = decodeURIComponent(target.username) || 'root';
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `* = host=${target.hostname} port=${target.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    'default_pool_size = 3',
    'max_client_conn = 50',
    'ignore_startup_parameters = options,extra_float_digits',
    '',
  ].join('\n'));
  chmodSync(join(dir, 'users.txt'), 0o644);
  chmodSync(join(dir, 'pgbouncer.ini'), 0o644);
  // pgbouncer refuses to run as root: it switches to the postgres user then.
  const asRoot = process.getuid?.() === 0;
  const child = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgres://${encodeURIComponent(user)}@127.0.0.1:${port}/${database}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) { child.kill('SIGTERM'); await exited; }
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await probe.connect();
      await probe.end();
      return { url, stop };
    } catch (error) {
      await probe.end().catch(() => undefined);
      if (child.exitCode !== null || i >= 50) {
        await stop();
        throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.skipIf(!bouncerBinary)('through pgbouncer in transaction mode', () => {
  let bouncer: { url: string; stop: () => Promise<void> };
  let runtime: Runtime | undefined;
  beforeAll(async () => { bouncer = await startPgbouncer(bouncerBinary as string); });
  afterAll(async () => {
    if (runtime) { await runtime.stop(); await runtime.store.close(); }
    await bouncer?.stop();
  });

  it('orders complete with o2a_prepared_statements=off, and no server session holds a prepared statement', async () => {
    runtime = await Runtime.open({
      databaseUrl: withParam(bouncer.url, 'o2a_prepared_statements=off'), schema: 'public', poolSize: 4,
      clock: new ManualClock(), workerId: 'worker-a',
    });
    // More transactions at once than pgbouncer has server connections: each runs on whichever is free.
    await runtime.registerPlans(plans as CompiledPlan[]);
    const ids = Array.from({ length: 6 }, (_, i) => `po-bounced-${i}`);
    const submitted = await Promise.all(ids.map((id, i) => runtime!.submitOrder(i % 2 === 0 ? homeFiberOrder(id) : mobileOrder(id))));
    expect(submitted.every((r) => r.ok)).toBe(true);
    await runtime.settle();
    const states = await runtime.store.query<{ id: string; state: string }>('SELECT id, state FROM product_order ORDER BY id');
    expect(states).toEqual(ids.map((id) => ({ id, state: 'completed' })));
    // (Whichever server connection this lands on.)
    expect(await runtime.store.query('SELECT name FROM pg_prepared_statements')).toEqual([]);
  });
});

