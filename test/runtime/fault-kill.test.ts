// kill -9 of the process running the runtime, on the local PostgreSQL: child 1 takes 300 Home
// Fiber orders and works on them, and is killed at a random moment; a new child (workers only) is
// started and killed again at a random moment, three kills in all; a last child runs until every
// order is completed. Nothing a dead process held may be lost, done twice or reordered:
//   - every order completed, none failed or stuck, no fallout case; one saga per order item;
//   - each step sent once (one command per step: no step started twice), and its side effect
//     applied once: one applied ledger row per step (`component_ledger`, migration 010), under
//     the step's idempotency key and owner, answering what the step recorded; no applied ledger
//     row outside a step; each resource unit held by one key, each key holding one unit;
//   - every message published (no `outbox_pending` row, no `component_reply` row left) and taken
//     by its consumer in order: for each ordering key (a saga), the messages with an inbox (every
//     destination but `events`) were received in the order of their outbox sequence numbers.
//
// The children run test/runtime/fault/worker-process.ts under `node --import tsx`, so the pid
// killed is the one running the runtime (the tsx launcher would fork a child). Each order's
// installation answer comes after a delay (0 to 11.6 s, by order), so the work spans the kills:
// without it the 300 orders are done ~1.2 s after intake on this machine, before the second
// kill; the delayed answers are in the database too (component_reply).
//
// Printed: for each restart, the child's start-up (spawn to ready), the first order completed
// after it, and the time until every message left pending by the dead process reached its
// consumer (the backlog drained).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../compiler/project-root.js';
import { PG_URL, samplePlans, storesUnderTest } from './harness.js';

const server = (await storesUnderTest()).find((s) => s.name === 'postgres');

const ORDERS = 300;
const KILLS = 3;
const LEASE_MS = 1500;
const SPREAD_MS = 400; // the installation answer of order n comes after (n % 30) * 400 ms
const TEST_TIMEOUT_MS = 90_000;
const ROOT = projectRoot();
const WORKER = join('test', 'runtime', 'fault', 'worker-process.ts');

interface Line { event: string; at: number; [field: string]: unknown }

interface Child {
  proc: ChildProcess;
  spawnedAt: number;
  lines: Line[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  waitFor(event: string, timeoutMs: number): Promise<Line>;
}

const children: Child[] = [];
const scratch: string[] = [];

function startChild(args: string[]): Child {
  const spawnedAt = Date.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  const lines: Line[] = [];
  const waiters: (() => void)[] = [];
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    try { lines.push(JSON.parse(text) as Line); } catch { stderr += `(stdout) ${text}\n`; }
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    proc.on('exit', (code, signal) => { resolve({ code, signal, at: Date.now() }); for (const wake of waiters.splice(0)) wake(); });
  });
  let gone = false;
  void exited.then(() => { gone = true; });
  const child: Child = {
    proc, spawnedAt, lines, stderr: () => stderr, exited,
    waitFor: (event, timeoutMs) => new Promise<Line>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const look = () => {
        const found = lines.find((l) => l.event === event);
        if (found) return resolve(found);
        if (gone) return reject(new Error(`worker ${proc.pid} exited before "${event}": ${stderr}`));
        if (Date.now() >= deadline) return reject(new Error(`worker ${proc.pid}: no "${event}" within ${timeoutMs} ms: ${stderr}`));
        waiters.push(look);
        setTimeout(look, Math.max(0, deadline - Date.now())).unref();
      };
      look();
    }),
  };
  children.push(child);
  return child;
}

async function kill9(child: Child): Promise<number> {
  const at = Date.now();
  child.proc.kill('SIGKILL');
  const exit = await child.exited;
  expect(exit.signal, `worker ${child.proc.pid} should die of SIGKILL: ${child.stderr()}`).toBe('SIGKILL');
  return at;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomBetween = (lo: number, hi: number) => Math.round(lo + Math.random() * (hi - lo));

describe.skipIf(!server)('kill -9 of runtime processes on PostgreSQL', () => {
  const schema = `fk_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const db = new pg.Client({ connectionString: PG_URL });
  let connected = false;

  afterAll(async () => {
    for (const child of children) {
      if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
      await child.exited;
    }
    if (connected) {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.end();
    }
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  async function rows<R extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return (await db.query<R>(sql, params)).rows;
  }
  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await rows<{ n: string }>(sql, params);
    return Number(row?.n ?? 0);
  }

  it(`${ORDERS} orders through ${KILLS} kills of the process running them: all complete, each side effect once, messages in order`, async () => {
    const testStart = Date.now();
    const plansDir = mkdtempSync(join(tmpdir(), 'o2a-fault-kill-'));
    scratch.push(plansDir);
    for (const plan of await samplePlans()) writeFileSync(join(plansDir, `${plan.planId}.json`), JSON.stringify(plan));
    await db.connect();
    connected = true;
    await db.query(`SET search_path TO "${schema}"`);
    const common = ['--database-url', PG_URL, '--schema', schema, '--plans', plansDir, '--lease-ms', String(LEASE_MS), '--concurrency', '3'];

    interface Run { child: Child; spawnedAt: number; readyAt: number; killedAt: number | null; pendingSeqs: string[]; dueReplies: string[]; completedBefore: number }
    const runs: Run[] = [];

    // Child 1: intake of every order, then work; killed 0.5 to 2 s after its intake.
    const first = startChild([...common, '--submit', String(ORDERS), '--prefix', 'po-kill', '--spread-ms', String(SPREAD_MS)]);
    const ready = await first.waitFor('ready', 30_000);
    const submitted = await first.waitFor('submitted', 30_000);
    expect(submitted).toMatchObject({ orders: ORDERS, refused: 0 });
    const firstDelay = randomBetween(500, 2000);
    await sleep(firstDelay);
    runs.push({ child: first, spawnedAt: first.spawnedAt, readyAt: ready.at, killedAt: await kill9(first), pendingSeqs: [], dueReplies: [], completedBefore: 0 });
    console.log(`fault-kill: child 1 (pid ${first.proc.pid}) took ${ORDERS} orders, killed ${firstDelay} ms after its intake`);

    // Children 2..KILLS: workers only, killed 0.5 to 2 s after they started; then the last one runs to the end.
    for (let n = 2; n <= KILLS + 1; n++) {
      const pendingSeqs = (await rows<{ seq: string }>('SELECT seq FROM outbox_pending')).map((r) => String(r.seq));
      const dueReplies = (await rows<{ message_id: string }>('SELECT message_id FROM component_reply WHERE due_at <= $1', [new Date(Date.now() + LEASE_MS)])).map((r) => r.message_id);
      const completedBefore = await count(`SELECT count(*) AS n FROM product_order WHERE state = 'completed'`);
      const child = startChild(common);
      const childReady = await child.waitFor('ready', 30_000);
      await child.waitFor('started', 30_000);
      const run: Run = { child, spawnedAt: child.spawnedAt, readyAt: childReady.at, killedAt: null, pendingSeqs, dueReplies, completedBefore };
      runs.push(run);
      if (n <= KILLS) {
        const delay = randomBetween(500, 2000);
        await sleep(delay);
        run.killedAt = await kill9(child);
        console.log(`fault-kill: child ${n} (pid ${child.proc.pid}) killed ${delay} ms after it started; ${completedBefore} orders were completed when it was spawned`);
        continue;
      }
      // The last child: until every order is completed and every message published (bounded).
      const deadline = Math.min(Date.now() + 45_000, testStart + TEST_TIMEOUT_MS - 15_000);
      let state = { completed: 0, unfinished: 0, pending: 0, replies: 0 };
      for (;;) {
        const [row] = await rows<Record<string, string>>(
          `SELECT (SELECT count(*) FROM product_order WHERE state = 'completed') AS completed,
                  (SELECT count(*) FROM product_order WHERE state IN ('failed', 'held', 'partial', 'cancelled', 'rejected')) AS unfinished,
                  (SELECT count(*) FROM outbox_pending) AS pending,
                  (SELECT count(*) FROM component_reply) AS replies`);
        state = { completed: Number(row?.completed), unfinished: Number(row?.unfinished), pending: Number(row?.pending), replies: Number(row?.replies) };
        if ((state.completed + state.unfinished === ORDERS && state.pending === 0 && state.replies === 0) || Date.now() > deadline) break;
        if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`the last worker exited: ${child.stderr()}`);
        await sleep(100);
      }
      console.log(`fault-kill: last child (pid ${child.proc.pid}): ${state.completed} completed, ${state.unfinished} ended otherwise, `
        + `${state.pending} messages unpublished, ${state.replies} delayed answers unsent, ${Date.now() - child.spawnedAt} ms after its spawn`);
      // A graceful stop: nothing is left leased to it.
      child.proc.kill('SIGTERM');
      const exit = await child.exited;
      expect(exit.code, child.stderr()).toBe(0);
    }
    console.log(`fault-kill: whole run ${Date.now() - testStart} ms`);

    // --- how long each restart took to get the orders moving again -------------------------
    for (const [i, run] of runs.entries()) {
      if (i === 0) continue;
      const until = run.killedAt ?? Date.now();
      const [firstDone] = await rows<{ at: Date | null }>(
        `SELECT min(updated_at) AS at FROM product_order WHERE state = 'completed' AND updated_at > $1 AND updated_at <= $2`,
        [new Date(run.spawnedAt), new Date(until)]);
      // Every message pending when this child was spawned (left by the dead one), taken by its consumer when?
      const delivered = await rows<{ seq: string; received_at: Date | null }>(
        `SELECT o.seq, i.received_at FROM outbox o LEFT JOIN inbox i ON i.consumer = o.destination AND i.message_id = o.message_id
          WHERE o.seq = ANY($1::bigint[]) AND o.destination <> 'events'`, [run.pendingSeqs]);
      const replies = await rows<{ received_at: Date | null }>(
        `SELECT i.received_at FROM unnest($1::text[]) AS r(id) LEFT JOIN inbox i ON i.consumer = 'engine' AND i.message_id = r.id`, [run.dueReplies]);
      const after = [...delivered, ...replies].map((r) => r.received_at?.getTime() ?? null)
        .filter((t) => t === null || t > run.spawnedAt);
      const inTime = after.filter((t): t is number => t !== null && t <= until);
      const kill = runs[i - 1]?.killedAt as number;
      const ms = (t: number | null | undefined) => (t === null || t === undefined ? 'none' : `${t} ms`);
      const firstAt = firstDone?.at ? firstDone.at.getTime() : null;
      console.log(`fault-kill: restart ${i}: spawned ${run.spawnedAt - kill} ms after the kill; ready after ${run.readyAt - run.spawnedAt} ms; `
        + `first order completed ${ms(firstAt === null ? null : firstAt - run.spawnedAt)} after the spawn (${ms(firstAt === null ? null : firstAt - kill)} after the kill); `
        + `backlog of the dead process (${after.length} messages and answers due within a lease, not yet taken): `
        + (after.length === 0 ? 'none'
          : inTime.length === after.length ? `all taken ${Math.max(...inTime) - run.spawnedAt} ms after the spawn (${Math.max(...inTime) - kill} ms after the kill)`
            : `${inTime.length} taken before this child ended`));
    }

    // --- the orders ---------------------------------------------------------------------
    const orders = await rows<{ id: string; state: string }>('SELECT id, state FROM product_order ORDER BY id');
    expect(orders).toHaveLength(ORDERS);
    expect(orders.filter((o) => o.state !== 'completed'), 'orders not completed').toEqual([]);
    expect(await rows(`SELECT product_order_id, id, state FROM product_order_item WHERE state <> 'completed'`), 'items not completed').toEqual([]);
    expect(await rows(`SELECT id, saga_id, failed_step_id, state, failure_reason FROM fallout_case`), 'fallout cases').toEqual([]);
    // Exactly one saga per order item, completed.
    expect(await count('SELECT count(*) AS n FROM product_order_item')).toBe(ORDERS);
    expect(await rows(
      `SELECT i.product_order_id, i.id, count(s.id) AS sagas FROM product_order_item i
         LEFT JOIN saga s ON s.product_order_id = i.product_order_id AND s.product_order_item_id = i.id
        GROUP BY 1, 2 HAVING count(s.id) <> 1`), 'items without exactly one saga').toEqual([]);
    expect(await count('SELECT count(*) AS n FROM saga')).toBe(ORDERS);
    expect(await rows(`SELECT id, state FROM saga WHERE state <> 'COMPLETED'`), 'sagas not completed').toEqual([]);
    expect(await rows(`SELECT saga_id, step_id, state FROM saga_step WHERE state NOT IN ('SUCCEEDED', 'SKIPPED')`), 'steps not done').toEqual([]);

    // --- each step sent once, each side effect applied once ------------------------------
    // One command per step: a step started twice would send a second one (the relay's
    // redeliveries carry the same message id, one outbox row).
    expect(await rows(
      `SELECT saga_id, step_id, count(*) AS commands FROM outbox WHERE kind = 'command' AND destination <> 'engine'
        GROUP BY 1, 2 HAVING count(*) <> 1`), 'steps with more than one command').toEqual([]);
    expect(await rows(`SELECT saga_id, step_id, attempt, deliveries FROM saga_step WHERE state = 'SUCCEEDED' AND (attempt <> 1 OR deliveries <> 1)`),
      'steps sent more than once').toEqual([]);
    const sideEffecting = (await samplePlans()).flatMap((p) => (p.kind === 'plan' ? p.steps : []).filter((s) => s.sideEffecting).map((s) => s.kind));
    expect(sideEffecting.length).toBeGreaterThan(0);
    // Every succeeded step of a side-effecting kind: exactly one applied ledger row under its key and owner.
    expect(await rows(
      `SELECT st.saga_id, st.step_id, st.kind, st.owner, st.idempotency_key FROM saga_step st
        WHERE st.state = 'SUCCEEDED' AND st.kind = ANY($1::text[])
          AND (SELECT count(*) FROM component_ledger l
                WHERE l.owner = st.owner AND l.idempotency_key = st.idempotency_key AND l.applied) <> 1`, [sideEffecting]),
      'side-effecting steps without exactly one applied ledger row').toEqual([]);
    // Every succeeded step (of any kind): one applied row for the step in all (not one per key
    // sent), answering what the step recorded.
    expect(await rows(
      `SELECT st.saga_id, st.step_id, st.external_ref, count(l.owner) AS applied, min(l.reply->>'externalRef') AS answered FROM saga_step st
         LEFT JOIN component_ledger l ON l.saga_id = st.saga_id AND l.step_id = st.step_id AND l.applied
        WHERE st.state = 'SUCCEEDED'
        GROUP BY 1, 2, 3 HAVING count(l.owner) <> 1 OR min(l.reply->>'externalRef') IS DISTINCT FROM st.external_ref`),
      'succeeded steps whose side effect is not applied once, as answered').toEqual([]);
    // No side effect outside a step's current key.
    expect(await rows(
      `SELECT l.owner, l.idempotency_key, l.command_type FROM component_ledger l
        WHERE l.applied AND NOT EXISTS (SELECT 1 FROM saga_step st WHERE st.owner = l.owner AND st.idempotency_key = l.idempotency_key)`),
      'applied ledger rows of no step').toEqual([]);
    expect(await count('SELECT count(*) AS n FROM component_ledger WHERE applied')).toBe(
      await count(`SELECT count(*) AS n FROM saga_step WHERE state = 'SUCCEEDED'`));

    // --- resource units: one key per unit, one unit per key -------------------------------
    const reservations = await count(`SELECT count(*) AS n FROM component_ledger WHERE applied AND reply ? 'resourceId'`);
    expect(reservations).toBe(2 * ORDERS); // ont and router of every order
    expect(await rows(
      `SELECT reply->>'resourceId' AS unit, array_agg(idempotency_key) AS keys FROM component_ledger
        WHERE applied AND reply ? 'resourceId' GROUP BY 1 HAVING count(*) > 1`), 'units handed to more than one key').toEqual([]);
    expect(await rows(
      `SELECT held_by, array_agg(id) AS units FROM component_resource_unit WHERE held_by IS NOT NULL GROUP BY 1 HAVING count(*) > 1`),
      'keys holding more than one unit').toEqual([]);
    expect(await rows(
      `SELECT l.idempotency_key, l.reply->>'resourceId' AS unit, u.state, u.held_by FROM component_ledger l
         LEFT JOIN component_resource_unit u ON u.id = l.reply->>'resourceId'
        WHERE l.applied AND l.reply ? 'resourceId' AND (u.id IS NULL OR u.held_by IS DISTINCT FROM l.idempotency_key)`),
      'units not held by the key they were handed to').toEqual([]);
    expect(await rows(
      `SELECT u.id, u.state, u.held_by FROM component_resource_unit u
        WHERE u.state <> 'AVAILABLE' AND NOT EXISTS (
          SELECT 1 FROM component_ledger l WHERE l.applied AND l.idempotency_key = u.held_by AND l.reply->>'resourceId' = u.id)`),
      'units taken outside the ledger').toEqual([]);
    expect(await rows(
      `SELECT resource_id, count(*) AS n FROM resource_reservation GROUP BY 1 HAVING count(*) > 1 OR resource_id IS NULL`),
      'reservations sharing a unit').toEqual([]);

    // --- messages: all published, and taken in order per ordering key ----------------------
    expect(await count('SELECT count(*) AS n FROM outbox_pending'), 'messages never published').toBe(0);
    expect(await count('SELECT count(*) AS n FROM component_reply'), 'delayed answers never sent').toBe(0);
    const delivery = await rows<{ ordering_key: string; seq: string; type: string; destination: string; received_at: Date | null; before: Date | null }>(
      `SELECT o.ordering_key, o.seq, o.type, o.destination, i.received_at,
              lag(i.received_at) OVER (PARTITION BY o.ordering_key ORDER BY o.seq) AS before
         FROM outbox o LEFT JOIN inbox i ON i.consumer = o.destination AND i.message_id = o.message_id
        WHERE o.destination <> 'events'`);
    expect(delivery.length).toBeGreaterThan(ORDERS * 9);
    expect(delivery.filter((d) => d.received_at === null), 'messages no consumer took').toEqual([]);
    expect(delivery.filter((d) => d.before !== null && d.received_at !== null && d.received_at < d.before),
      'messages taken before an earlier one of their ordering key').toEqual([]);
  }, TEST_TIMEOUT_MS);
});
