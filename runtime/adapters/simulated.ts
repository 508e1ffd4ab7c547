// The simulated components of §31.3: resource inventory (pools with the §6.3 lifecycle),
// appointment, workforce, activation gateway (with a readable network state), verification,
// service/product inventory, billing readiness, notification. They are real adapters on the bus:
// commands come in through their inbox, answers go out as events to the engine. Each applies its
// side effect at most once per idempotency key.
//
// Everything a component knows lives in the database (migration 010), written in the transaction
// that records the command in its inbox: the ledger (what it did per idempotency key and what it
// answered), the pools and their units, the network, the answers it gives later. A command is
// taken only once that transaction has committed and the engine has taken the answers given at
// once (the relay marks the command published after this consumer returns). A command delivered
// again (its relay died before marking it, or the engine could not take the answer) is answered
// again from the ledger, under the same message ids, and applies nothing: the engine's inbox drops
// the answers it already has. Any process may take any command: a restarted one forgets nothing.
import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import {
  READ_TARGET_STATE, TARGET_STATE_READ, replyTo, type Envelope, type StepCommandPayload, type StepReplyPayload,
} from '../engine/messages.js';
import { COMPENSATE_STEP } from '../engine/cancellation.js';
import type { ResourceState } from '../engine/states.js';
import type { MessageSink } from '../outbox/bus.js';
import { WriteBatch, iso, parseJson, unnestRows, type Column } from '../store/sql.js';
import type { Queryable, Store } from '../store/store.js';
import { parseScenario, scriptFor, type Scenario, type StepScript } from './scenario.js';

/** What one process's components did (the ledger in the database says it for every process). */
export interface ComponentCounts {
  /** Commands taken for the first time. */
  commands: number;
  /** Deliveries the inbox recognised as already taken. */
  duplicates: number;
  /** Side effects applied (at most one per idempotency key). */
  applied: number;
  /** Commands answered from the outcome already recorded for their idempotency key. */
  replayed: number;
  /** Read-backs of the target state (reconciliation). */
  reads: number;
  /** Answers sent. */
  replies: number;
  /** Answers sent again for a command delivered again (same message ids: the engine keeps the first). */
  resent: number;
}

export interface ResourceUnit {
  id: string;
  spec: string;
  state: ResourceState;
  heldBy: string | null;
}

/** One row of a component's ledger. */
export interface LedgerEntry {
  owner: string;
  idempotencyKey: string;
  commandType: string;
  messageId: string;
  productOrderId: string;
  sagaId: string | null;
  stepId: string | null;
  applied: boolean;
  replyType: string;
  reply: StepReplyPayload;
  recordedAt: string;
}

export interface SimulatedComponentsOptions {
  store: Store;
  clock: Clock;
  /** Where answers go (the bus the engine consumes from). */
  sink: MessageSink;
  /** Units per resource pool (per resource specification). */
  poolSize?: number;
  /** Pool sizes by resource specification id, overriding `poolSize`. */
  pools?: Record<string, number>;
  /** How long a process sending answers that came due holds them before another may (default 30 s). */
  leaseMs?: number;
}

/** What a command leads to: answers now, answers later, and what to record. */
interface Response {
  now: Envelope[];
  later: { message: Envelope; dueAt: string }[];
}

type Tally = Partial<Record<keyof ComponentCounts, number>>;

/** What applying a command changed besides the ledger. */
interface Effect {
  unit?: string;
  spec?: string;
  network?: string | null;
  release?: { unit: string; spec: string; state: 'AVAILABLE' | 'QUARANTINED' };
  deactivate?: string;
}

/** The failure a transaction throws when another recorded the same idempotency key first: run it again. */
class KeyTakenMeanwhile extends Error {
  readonly code = '40001';
  constructor() { super('a component ledger key was recorded by another transaction meanwhile'); }
}

const LEDGER_COLUMNS: readonly Column[] = [
  ['owner', 'text'], ['idempotency_key', 'text'], ['command_type', 'text'], ['message_id', 'text'],
  ['product_order_id', 'text'], ['saga_id', 'text'], ['step_id', 'text'], ['applied', 'boolean'], ['reply_type', 'text'],
  ['reply', 'jsonb'], ['recorded_at', 'timestamptz'],
];
const REPLY_COLUMNS: readonly Column[] = [
  ['message_id', 'text'], ['owner', 'text'], ['command_message_id', 'text'], ['due_at', 'timestamptz'], ['envelope', 'jsonb'],
];
const UNIT_COLUMNS: readonly Column[] = [['id', 'text'], ['spec', 'text'], ['state', 'text'], ['held_by', 'text'], ['updated_at', 'timestamptz']];
const NETWORK_COLUMNS: readonly Column[] = [
  ['idempotency_key', 'text'], ['owner', 'text'], ['target', 'text'], ['state', 'text'], ['configured_at', 'timestamptz'],
];

export class SimulatedComponents {
  private readonly counts = new Map<string, ComponentCounts>();
  private readonly scenarios = new Map<string, Scenario>();
  /** Unit numbers of unlimited pools this process holds, not yet handed out. */
  private readonly spares = new Map<string, string[]>();
  private readonly leaseMs: number;

  constructor(private readonly options: SimulatedComponentsOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  setScenario(productOrderId: string, scenario: Scenario): void {
    this.scenarios.set(productOrderId, scenario);
  }

  /** What each owner did in this process, keyed by owner. */
  snapshot(): Record<string, ComponentCounts> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([owner, c]) => [owner, { ...c }]));
  }

  countsOf(owner: string): ComponentCounts {
    return { ...this.counter(owner) };
  }

  /** Side effects this process applied in total, or by one owner. */
  sideEffects(owner?: string): number {
    if (owner) return this.counter(owner).applied;
    return [...this.counts.values()].reduce((sum, c) => sum + c.applied, 0);
  }

  /** The ledger of every process, or of one owner (from the database). */
  async ledger(owner?: string): Promise<LedgerEntry[]> {
    const rows = await this.options.store.query<Record<string, unknown>>(
      `SELECT * FROM component_ledger ${owner ? 'WHERE owner = $1' : ''} ORDER BY recorded_at, owner, idempotency_key`, owner ? [owner] : []);
    return rows.map(ledgerEntry);
  }

  /** The units of a resource pool handed out so far (from the database). */
  async pool(spec: string): Promise<ResourceUnit[]> {
    const rows = await this.options.store.query<{ id: string; spec: string; state: ResourceState; held_by: string | null }>(
      'SELECT id, spec, state, held_by FROM component_resource_unit WHERE spec = $1 ORDER BY id', [spec]);
    return rows.map((r) => ({ id: r.id, spec: r.spec, state: r.state, heldBy: r.held_by }));
  }

  /** The activation gateway's network: what is configured, by idempotency key (from the database). */
  async network(): Promise<Map<string, { target: string | null; state: string }>> {
    const rows = await this.options.store.query<{ idempotency_key: string; target: string | null; state: string }>(
      'SELECT idempotency_key, target, state FROM component_network ORDER BY configured_at, idempotency_key');
    return new Map(rows.map((r) => [r.idempotency_key, { target: r.target, state: r.state }]));
  }

  /**
   * Consumes commands from the bus (subscribe it for every component owner). Resolves once what
   * the components did is committed and the answers due now are taken by the engine; rejects
   * otherwise, and the command is delivered again.
   */
  readonly consume = async (messages: Envelope[]): Promise<void> => {
    const commands = messages.filter((m) => m.kind === 'command');
    if (commands.length === 0) return;
    await this.loadScenarios(commands.filter((c) => !this.scenarios.has(c.productOrderId)).map((c) => c.productOrderId));
    let tally = new Map<string, Tally>();
    // New unit numbers of unlimited pools come from this process's own blocks, lent before the
    // transaction (no statement in it); what it did not use goes back to the block.
    const lent = await this.lend(commands);
    let used = new Set<string>();
    let answers: Envelope[];
    try {
      answers = await this.options.store.transaction(async (tx) => {
        tally = new Map();
        used = new Set();
        return this.take(tx, commands, tally, lent, used);
      });
    } finally {
      for (const [spec, ids] of lent) this.spare(spec).push(...ids.filter((id) => !used.has(id)));
    }
    for (const [owner, delta] of tally) {
      const counter = this.counter(owner);
      for (const [field, n] of Object.entries(delta) as [keyof ComponentCounts, number][]) counter[field] += n;
    }
    if (answers.length > 0) await this.options.sink.publish(answers);
  };

  /** In the consuming transaction: the inbox, the ledger, the pools; returns the answers due now. */
  private async take(
    tx: Queryable, commands: Envelope[], tally: Map<string, Tally>, lent: Map<string, string[]>, used: Set<string>,
  ): Promise<Envelope[]> {
    const now = this.options.clock.now();
    const at = now.toISOString();
    const count = (owner: string, field: keyof ComponentCounts, n = 1) => {
      let t = tally.get(owner);
      if (!t) { t = {}; tally.set(owner, t); }
      t[field] = (t[field] ?? 0) + n;
    };
    const keyOf = (c: Envelope) => c.idempotencyKey ?? c.messageId;
    // The inbox, what the ledger holds for the keys of these commands, and the released units the
    // reservations among them may take again (locked), in one round trip.
    const specs = reservationSpecs(commands);
    const [found] = await tx.query<{ fresh: string[] | null; ledger: unknown; free: unknown }>(
      `WITH fresh AS (
         INSERT INTO inbox (consumer, message_id, received_at) SELECT unnest($1::text[]), unnest($2::text[]), $3
         ON CONFLICT DO NOTHING RETURNING consumer || chr(1) || message_id AS id)
       SELECT (SELECT array_agg(id) FROM fresh) AS fresh,
              (SELECT json_agg(l) FROM component_ledger l
                WHERE (l.owner, l.idempotency_key) IN (SELECT * FROM unnest($4::text[], $5::text[]))) AS ledger,
              (SELECT json_agg(f) FROM (
                 SELECT id, spec FROM component_resource_unit WHERE spec = ANY($6::text[]) AND state = 'AVAILABLE'
                  ORDER BY spec, id LIMIT $7 FOR UPDATE SKIP LOCKED) f) AS free`,
      [commands.map((c) => c.destination), commands.map((c) => c.messageId), at,
        commands.map((c) => c.destination), commands.map(keyOf), [...specs.keys()], [...specs.values()].reduce((a, b) => a + b, 0)]);
    const free = new Map<string, string[]>();
    for (const f of (parseJson(found?.free) ?? []) as { id: string; spec: string }[]) free.set(f.spec, [...(free.get(f.spec) ?? []), f.id]);
    const fresh = new Set(found?.fresh ?? []);
    const ledger = new Map<string, LedgerEntry>();
    for (const row of (parseJson(found?.ledger) ?? []) as Record<string, unknown>[]) {
      const entry = ledgerEntry(row);
      ledger.set(`${entry.owner}\u0001${entry.idempotencyKey}`, entry);
    }
    const isFresh = (c: Envelope) => fresh.delete(`${c.destination}\u0001${c.messageId}`);
    const firstTime = commands.map(isFresh);

    // The units the reservations taken for the first time will need, per pool, allocated up front
    // (pools in name order: two transactions never wait on each other's pools crosswise).
    const wanted = new Map<string, number>();
    const planned = new Set<string>();
    commands.forEach((c, i) => {
      const payload = c.payload as StepCommandPayload;
      if (!firstTime[i] || c.type === READ_TARGET_STATE || c.type === COMPENSATE_STEP || payload.kind !== 'resource_reservation') return;
      const slot = `${c.destination}\u0001${keyOf(c)}`;
      if (ledger.get(slot)?.applied || planned.has(slot)) return;
      const script = this.scriptOf(c);
      if (script.outcome === 'success' || (script.outcome === 'timeout' && script.applied)) {
        planned.add(slot);
        const spec = payload.ref?.id ?? 'RESOURCE';
        wanted.set(spec, (wanted.get(spec) ?? 0) + 1);
      }
    });
    const units = new Map<string, string[]>();
    for (const spec of [...wanted.keys()].sort()) {
      const n = wanted.get(spec) as number;
      const ids = (free.get(spec) ?? []).slice(0, n);
      if (ids.length < n) {
        if (this.limited(spec)) ids.push(...await this.issue(tx, spec, n - ids.length));
        else for (const id of (lent.get(spec) ?? []).slice(0, n - ids.length)) { ids.push(id); used.add(id); }
      }
      units.set(spec, ids);
    }

    const recorded: LedgerEntry[] = [];
    const deactivated: string[] = [];
    const network: unknown[][] = [];
    const held: unknown[][] = [];
    const now_: Envelope[] = [];
    const later: unknown[][] = [];
    commands.forEach((command, i) => {
      const owner = command.destination;
      const response = firstTime[i]
        ? this.respond(command, now, ledger, (entry, extra) => {
          ledger.set(`${owner}\u0001${entry.idempotencyKey}`, entry);
          recorded.push(entry);
          if (extra.unit) held.push([extra.unit, extra.spec, 'RESERVED', entry.idempotencyKey, at]);
          if (extra.network) network.push([entry.idempotencyKey, owner, extra.network, 'ACTIVE', at]);
          if (extra.release) held.push([extra.release.unit, extra.release.spec, extra.release.state, null, at]);
          if (extra.deactivate) deactivated.push(extra.deactivate);
          if (entry.applied) count(owner, 'applied');
        }, units, count)
        : this.respondAgain(command, now, ledger, count);
      now_.push(...response.now);
      for (const { message, dueAt } of response.later) later.push([message.messageId, owner, command.messageId, dueAt, message]);
    });
    // Units taken for a reservation that did not take one after all (none expected) go back.
    for (const [spec, left] of units) {
      for (const unit of left) {
        if (used.has(unit)) used.delete(unit);
        else if (!(free.get(spec) ?? []).includes(unit)) held.push([unit, spec, 'AVAILABLE', null, at]);
      }
    }

    if (recorded.length + network.length + held.length + later.length + deactivated.length > 0) {
      const batch = new WriteBatch();
      // One row per key: a later command of the batch under the same key recorded last.
      const unique = [...new Map(recorded.map((e) => [`${e.owner}\u0001${e.idempotencyKey}`, e])).values()];
      if (unique.length > 0) {
        const rows = unique.map((e) => [
          e.owner, e.idempotencyKey, e.commandType, e.messageId, e.productOrderId, e.sagaId, e.stepId, e.applied,
          e.replyType, e.reply, e.recordedAt,
        ]);
        const { from, select, params } = unnestRows(LEDGER_COLUMNS, rows, 1);
        batch.raw(
          `INSERT INTO component_ledger (${LEDGER_COLUMNS.map(([n]) => n).join(', ')})
           SELECT ${select} FROM ${from}
           ON CONFLICT (owner, idempotency_key) DO UPDATE SET
             ${LEDGER_COLUMNS.slice(2).map(([n]) => `${n} = EXCLUDED.${n}`).join(', ')}
           WHERE NOT component_ledger.applied
           RETURNING 1`,
          params, 'ledger');
      }
      batch.insert('component_network', NETWORK_COLUMNS, network, { key: ['idempotency_key'], update: [] });
      batch.insert('component_resource_unit', UNIT_COLUMNS, held, { key: ['id'], update: ['state', 'held_by', 'updated_at'] });
      batch.insert('component_reply', REPLY_COLUMNS, later, { key: ['message_id'], update: [] });
      if (deactivated.length > 0) {
        batch.raw(`UPDATE component_network SET state = 'DEACTIVATED' WHERE idempotency_key = ANY($1::text[])`, [deactivated]);
      }
      const [written] = await batch.run<{ ledger: string | number | null }>(tx, unique.length > 0 ? '(SELECT count(*) FROM ledger) AS ledger' : 'NULL AS ledger');
      // Another process recorded one of these keys meanwhile (the same key sent twice at once):
      // this transaction runs again, and answers from what that one recorded.
      if (unique.length > 0 && Number(written?.ledger) !== unique.length) throw new KeyTakenMeanwhile();
    }
    return now_;
  }

  /** Whether a pool has a size (units are then issued one by one under its row's lock, never lent in blocks). */
  private limited(spec: string): boolean {
    return this.options.pools?.[spec] !== undefined || this.options.poolSize !== undefined;
  }

  private spare(spec: string): string[] {
    let list = this.spares.get(spec);
    if (!list) { list = []; this.spares.set(spec, list); }
    return list;
  }

  /**
   * New unit ids for the reservations among these commands, from this process's blocks of an
   * unlimited pool (a block of numbers taken from the pool's row at a time, in a statement of
   * its own): a process that dies leaves a gap in the numbering, nothing else.
   */
  private async lend(commands: Envelope[]): Promise<Map<string, string[]>> {
    const lent = new Map<string, string[]>();
    for (const [spec, n] of [...reservationSpecs(commands)].sort(([a], [b]) => a.localeCompare(b))) {
      if (this.limited(spec)) continue;
      const spare = this.spare(spec);
      if (spare.length < n) {
        const block = Math.max(UNIT_BLOCK, n);
        const [row] = await this.options.store.query<{ issued: string }>(
          `INSERT INTO component_pool AS p (spec, issued) VALUES ($1, $2)
           ON CONFLICT (spec) DO UPDATE SET issued = p.issued + $2 RETURNING p.issued`, [spec, block]);
        const after = Number(row?.issued ?? block);
        for (let k = after - block + 1; k <= after; k++) spare.push(unitId(spec, k));
      }
      lent.set(spec, spare.splice(0, n));
    }
    return lent;
  }

  /** `n` new units of a pool with a size, while it has room (under its row's lock until commit). */
  private async issue(tx: Queryable, spec: string, more: number): Promise<string[]> {
    const ids: string[] = [];
    const size = this.options.pools?.[spec] ?? this.options.poolSize ?? Number.MAX_SAFE_INTEGER;
    // The pool's row, locked until commit: units are numbered in the order they are first issued.
    const [pool] = await tx.query<{ issued: string }>(
      `INSERT INTO component_pool AS p (spec, issued) VALUES ($1, 0)
       ON CONFLICT (spec) DO UPDATE SET issued = p.issued RETURNING p.issued`, [spec]);
    const before = Number(pool?.issued ?? 0);
    const after = before + Math.max(0, Math.min(more, size - before));
    if (after === before) return ids;
    await tx.query('UPDATE component_pool SET issued = $2 WHERE spec = $1', [spec, after]);
    for (let k = before + 1; k <= after; k++) ids.push(unitId(spec, k));
    return ids;
  }

  /** Sends the delayed answers that are due (any process may); returns how many. */
  async deliverDue(limit = 200): Promise<number> {
    const now = this.options.clock.now();
    const rows = await this.options.store.query<{ message_id: string; envelope: unknown; due: unknown }>(
      `WITH due AS (SELECT message_id, due_at FROM component_reply WHERE due_at <= $1 ORDER BY due_at, message_id LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE component_reply r SET due_at = $3 FROM due WHERE r.message_id = due.message_id
       RETURNING r.message_id, r.envelope, due.due_at AS due`,
      [now.toISOString(), limit, new Date(now.getTime() + this.leaseMs).toISOString()]);
    if (rows.length === 0) return 0;
    rows.sort((a, b) => Date.parse(iso(a.due) as string) - Date.parse(iso(b.due) as string) || (a.message_id < b.message_id ? -1 : 1));
    // Taken by the engine, then deleted; a process that dies in between leaves them due again
    // after the lease, and the engine's inbox drops what it already has.
    await this.options.sink.publish(rows.map((r) => parseJson(r.envelope) as Envelope));
    await this.options.store.query('DELETE FROM component_reply WHERE message_id = ANY($1::text[])', [rows.map((r) => r.message_id)]);
    return rows.length;
  }

  /** When the next delayed answer is due, if any. */
  async nextDue(): Promise<Date | null> {
    const rows = await this.options.store.query<{ due: unknown }>('SELECT due_at AS due FROM component_reply ORDER BY due_at LIMIT 1');
    const due = rows[0]?.due;
    return due ? new Date(iso(due) as string) : null;
  }

  private async loadScenarios(orderIds: string[]): Promise<void> {
    const ids = [...new Set(orderIds)];
    if (ids.length === 0) return;
    const rows = await this.options.store.query<{ id: string; scenario: unknown }>(
      'SELECT id, scenario FROM product_order WHERE id = ANY($1)', [ids]);
    for (const row of rows) {
      const parsed = parseScenario(parseJson(row.scenario) ?? {});
      this.scenarios.set(row.id, parsed.ok ? parsed.scenario : { steps: {} });
    }
  }

  /** The scenario's script for a command; a compensation is scripted as `<step>:compensate` (or `kind:<kind>:compensate`). */
  private scriptOf(command: Envelope): StepScript {
    const payload = command.payload as StepCommandPayload;
    const suffix = command.type === COMPENSATE_STEP ? ':compensate' : '';
    return scriptFor(this.scenarios.get(command.productOrderId), `${payload.stepId}${suffix}`, `${payload.kind}${suffix}`, payload.delivery);
  }

  /**
   * A command taken for the first time: what the owner does and answers. `record` keeps a new
   * ledger entry (with the unit or network entry it took).
   */
  private respond(
    command: Envelope, now: Date, ledger: Map<string, LedgerEntry>,
    record: (entry: LedgerEntry, extra: Effect) => void,
    units: Map<string, string[]>, count: (owner: string, field: keyof ComponentCounts, n?: number) => void,
  ): Response {
    const owner = command.destination;
    const key = command.idempotencyKey ?? command.messageId;
    const payload = command.payload as StepCommandPayload;
    count(owner, 'commands');
    const recorded = ledger.get(`${owner}\u0001${key}`);
    if (command.type === READ_TARGET_STATE) {
      count(owner, 'reads');
      return this.answer(command, now, TARGET_STATE_READ, { present: recorded?.applied === true, externalRef: recorded?.reply.externalRef }, undefined, count);
    }
    const script = this.scriptOf(command);
    // An effect applied under this key is answered as recorded; a failure recorded by an earlier
    // command is not final: this command tries again (nothing was applied).
    if (recorded && (recorded.applied || recorded.messageId === command.messageId)) {
      count(owner, 'replayed');
      return this.answer(command, now, recorded.replyType, recorded.reply, script.outcome === 'timeout' ? undefined : { ...script, outcome: 'success' }, count);
    }
    const entry = (applied: boolean, replyType: string, reply: StepReplyPayload): LedgerEntry => ({
      owner, idempotencyKey: key, commandType: command.type, messageId: command.messageId, productOrderId: command.productOrderId,
      sagaId: command.sagaId, stepId: command.stepId, applied, replyType, reply, recordedAt: now.toISOString(),
    });
    if (script.outcome !== 'success' && script.outcome !== 'timeout') {
      const failure = entry(false, failedEventOf(command), { outcome: script.outcome, reason: script.reason ?? script.outcome });
      record(failure, {});
      return this.answer(command, now, failure.replyType, failure.reply, script, count);
    }
    if (script.outcome === 'timeout' && !script.applied) return { now: [], later: [] };
    // The side effect, once for this key.
    const n = this.serial(command);
    let reply: StepReplyPayload;
    const extra: Effect = {};
    if (command.type === COMPENSATE_STEP) {
      // Undoing a step: a reservation's unit goes back to its pool (or to quarantine), an
      // activation is deactivated; the others record that they undid it.
      const of = (payload.of ?? {}) as { resourceId?: string | null; idempotencyKey?: string | null };
      if (payload.kind === 'resource_reservation' && of.resourceId) {
        extra.release = { unit: of.resourceId, spec: payload.ref?.id ?? 'RESOURCE', state: payload.action === 'quarantine' ? 'QUARANTINED' : 'AVAILABLE' };
      } else if (payload.kind === 'activation' && of.idempotencyKey) {
        extra.deactivate = of.idempotencyKey;
      }
      reply = { externalRef: `${command.destination}-${String(payload.action)}-${n}` };
    } else if (payload.kind === 'resource_reservation') {
      const spec = payload.ref?.id ?? 'RESOURCE';
      const unit = units.get(spec)?.shift();
      if (!unit) {
        const failure = entry(false, failedEventOf(command), { outcome: 'rejected', reason: `no ${spec} available` });
        record(failure, {});
        return script.outcome === 'timeout' ? { now: [], later: [] } : this.answer(command, now, failure.replyType, failure.reply, script, count);
      }
      extra.unit = unit;
      extra.spec = spec;
      reply = { resourceId: unit, externalRef: unit };
    } else if (payload.kind === 'activation') {
      extra.network = payload.ref?.id ?? null;
      reply = { externalRef: `${payload.ref?.id ?? 'target'}-${n}` };
    } else {
      reply = { externalRef: `${command.destination}-${n}` };
    }
    // An amendment's delta (what changed, old and new) is applied with the step, and recorded.
    if (payload.delta !== undefined && command.type !== COMPENSATE_STEP) reply.delta = payload.delta;
    const withheld = new Set(script.withholdEvidence ?? []);
    const evidence = Object.fromEntries(payload.evidence.filter((e) => !withheld.has(e)).map((e) => [e, `${e}-${n}`]));
    if (payload.evidence.length > 0) reply.evidence = evidence;
    const applied = entry(true, succeededEventOf(command), reply);
    record(applied, extra);
    if (script.outcome === 'timeout') return { now: [], later: [] };
    return this.answer(command, now, applied.replyType, applied.reply, script, count);
  }

  /**
   * A command delivered again: the answer it was given the first time, rebuilt from the ledger
   * under the same message ids (nothing applied, nothing recorded). A command that went
   * unanswered (a scripted timeout) stays unanswered.
   */
  private respondAgain(
    command: Envelope, now: Date, ledger: Map<string, LedgerEntry>, count: (owner: string, field: keyof ComponentCounts, n?: number) => void,
  ): Response {
    const owner = command.destination;
    count(owner, 'duplicates');
    const recorded = ledger.get(`${owner}\u0001${command.idempotencyKey ?? command.messageId}`);
    const resend = (field: keyof ComponentCounts) => (o: string, f: keyof ComponentCounts, n?: number) => count(o, f === 'replies' ? field : f, n);
    if (command.type === READ_TARGET_STATE) {
      return this.answer(command, now, TARGET_STATE_READ, { present: recorded?.applied === true, externalRef: recorded?.reply.externalRef }, undefined, resend('resent'));
    }
    const script = this.scriptOf(command);
    if (!recorded) return { now: [], later: [] };
    // Recorded by this very command under a scripted timeout: it was not answered then either.
    if (script.outcome === 'timeout' && recorded.messageId === command.messageId) return { now: [], later: [] };
    const original = recorded.messageId === command.messageId ? script : script.outcome === 'timeout' ? undefined : { ...script, outcome: 'success' };
    return this.answer(command, now, recorded.replyType, recorded.reply, original, resend('resent'));
  }

  /** The answer (and its scripted copies), now or when its delay is over; message ids follow from the command's. */
  private answer(
    command: Envelope, now: Date, type: string, reply: StepReplyPayload, script: StepScript | undefined,
    count: (owner: string, field: keyof ComponentCounts, n?: number) => void,
  ): Response {
    const payload = command.payload as StepCommandPayload;
    const message = replyTo(command, { type, messageId: replyId(command.messageId, 0), payload: { attempt: payload.attempt, ...reply } }, now);
    const out = [message];
    if (script?.duplicate) out.push({ ...message }, { ...message, messageId: replyId(command.messageId, 1) });
    count(command.destination, 'replies', out.length);
    const delayMs = script?.delayMs ?? 0;
    if (delayMs <= 0) return { now: out, later: [] };
    const dueAt = new Date(now.getTime() + delayMs).toISOString();
    // A scripted copy under the same id is one row: the engine would drop it anyway.
    const unique = out.filter((m, i) => out.findIndex((o) => o.messageId === m.messageId) === i);
    return { now: [], later: unique.map((m) => ({ message: m, dueAt })) };
  }

  /** A number for the references a component hands out, unique per command. */
  private serial(command: Envelope): string {
    return createHash('sha256').update(command.messageId).digest('hex').slice(0, 10);
  }

  private counter(owner: string): ComponentCounts {
    let c = this.counts.get(owner);
    if (!c) {
      c = { commands: 0, duplicates: 0, applied: 0, replayed: 0, reads: 0, replies: 0, resent: 0 };
      this.counts.set(owner, c);
    }
    return c;
  }
}

/** Unit numbers an unlimited pool lends a process at a time. */
const UNIT_BLOCK = 64;

function unitId(spec: string, n: number): string {
  return `${spec}-${String(n).padStart(5, '0')}`;
}

/** How many reservations (first-time or not) of each resource specification a batch of commands holds. */
function reservationSpecs(commands: Envelope[]): Map<string, number> {
  const specs = new Map<string, number>();
  for (const c of commands) {
    const payload = c.payload as StepCommandPayload;
    if (c.type === READ_TARGET_STATE || c.type === COMPENSATE_STEP || payload.kind !== 'resource_reservation') continue;
    const spec = payload.ref?.id ?? 'RESOURCE';
    specs.set(spec, (specs.get(spec) ?? 0) + 1);
  }
  return specs;
}

/** The message id of a component's `n`th answer to a command: the same each time it answers it. */
export function replyId(commandMessageId: string, n: number): string {
  const h = createHash('sha256').update(`reply\u0000${commandMessageId}\u0000${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function ledgerEntry(row: Record<string, unknown>): LedgerEntry {
  return {
    owner: String(row.owner), idempotencyKey: String(row.idempotency_key), commandType: String(row.command_type),
    messageId: String(row.message_id), productOrderId: String(row.product_order_id),
    sagaId: (row.saga_id as string | null) ?? null, stepId: (row.step_id as string | null) ?? null,
    applied: row.applied === true || row.applied === 't' || row.applied === 'true', replyType: String(row.reply_type),
    reply: (parseJson(row.reply) ?? {}) as StepReplyPayload, recordedAt: iso(row.recorded_at) as string,
  };
}

function succeededEventOf(command: Envelope): string {
  return (command.payload as StepCommandPayload).answers.succeeded;
}

function failedEventOf(command: Envelope): string {
  return (command.payload as StepCommandPayload).answers.failed;
}
