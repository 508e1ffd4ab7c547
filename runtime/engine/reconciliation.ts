// Reconciliation (§22): a sweeper that compares what the aggregates say with what the components
// did (their readable state: component_ledger, component_network, component_resource_unit) and
// finds the nine mismatches §22 lists, each with a query:
//   order-without-active-saga           product order in progress but no active saga
//   saga-waiting-beyond-timeout         a step waits with its timer lost, or overdue
//   resource-reserved-no-progress       a unit reserved, the step that took it not moving on (or gone)
//   activation-unknown-network-active   the network configured, the activation's outcome unknown
//   work-order-completed-not-updated    a component did the work and answered, the saga never heard
//   service-active-product-pending      service inventory active, the product order item not completed
//   product-active-billing-missing      the item completed, the billing system has no readiness
//   billing-active-service-not-active   billing ready, the service inventory not active
//   notified-verification-failed        the customer told "active", technical verification not passed
// What can be repaired safely is repaired through the engine's normal paths: an answer a component
// recorded and the engine never took is delivered again to the engine's inbox under the same
// message id the component gives it (`replyId`), so the inbox drops it if it was taken after all;
// a lost timer is armed again (the engine's timeout handling decides); an order's state is derived
// again from its sagas (its public fact only when the state differs from the one last announced);
// a unit left reserved under a key no step uses is released through the resource inventory (a
// compensating release under an idempotency key of its own: applied once, however often sent);
// billing readiness that failed under revenue assurance (§28) is requested again, one attempt a
// sweep, until billing confirms it. A repair never applies a side effect twice: what it sends
// carries an idempotency key the component has applied nothing under. Anything else is alerted:
// recorded, and the public fact ReconciliationMismatchFound emitted, once per mismatch. Each
// finding is a row of reconciliation_finding (migration 014) and an entry of the order's audit
// trail (the read model lists them). A dry run records nothing.
import { randomUUID } from 'node:crypto';
import type { CompiledStep } from '../../compiler/emit/schema.js';
import { replyId } from '../adapters/simulated.js';
import { iso, parseJson } from '../store/sql.js';
import type { Queryable } from '../store/store.js';
import { COMPENSATE_STEP, STEP_COMPENSATED, STEP_COMPENSATION_FAILED } from './cancellation.js';
import { ORDER_ACCEPTED, type Ctx, type Engine } from './engine.js';
import { ENGINE, envelopeOfRow, replyTo, type Envelope, type StepCommandPayload, type StepReplyPayload } from './messages.js';
import { UnitOfWork, type TimerKind } from './unit-of-work.js';

export const MISMATCH_KINDS = [
  'order-without-active-saga', 'saga-waiting-beyond-timeout', 'resource-reserved-no-progress', 'activation-unknown-network-active',
  'work-order-completed-not-updated', 'service-active-product-pending', 'product-active-billing-missing',
  'billing-active-service-not-active', 'notified-verification-failed',
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];
/** `none`: a dry run (nothing done, nothing recorded). */
export type FindingAction = 'repaired' | 'retried' | 'alerted' | 'none';

/** The public fact of a mismatch reconciliation could not repair by itself. */
export const MISMATCH_FOUND = 'ReconciliationMismatchFound';
/** The audit entry of a finding (the read model folds it). */
export const FINDING_RECORDED = 'ReconciliationFinding';

export interface Finding {
  id: string;
  runId: string;
  kind: MismatchKind;
  productOrderId: string;
  sagaId: string | null;
  stepId: string | null;
  /** What exactly is out of step: a step's idempotency key, a resource unit, the order. */
  subject: string;
  /** What was seen: the aggregates' states and the components' (ledger, network, unit). */
  seen: Record<string, unknown>;
  action: FindingAction;
  detail: string;
  foundAt: string;
  /** An alert an earlier run recorded, still standing (not recorded nor announced again). */
  alertedBefore?: boolean;
}

export interface ReconcileOptions {
  /** Find and report, change and record nothing. */
  dryRun?: boolean;
  /** The time thresholds are measured from (default: the runtime's clock). */
  now?: Date;
}

export interface ReconcileReport {
  runId: string;
  dryRun: boolean;
  at: string;
  findings: Finding[];
  /** Something was alerted (or would be, in a dry run), standing alerts included: a person must look. */
  needsPerson: boolean;
}

export interface ReconcilerOptions {
  /**
   * How long a state must have stood before it counts as a mismatch (default 60 s): an answer on
   * its way, a transaction about to commit, are no mismatch.
   */
  graceMs?: number;
  /** How often the sweeper runs (`sweepIfDue`; default 5 minutes; 0: never). */
  intervalMs?: number;
}

type Remedy =
  | { type: 'redeliver'; message: Envelope }
  | { type: 'rearm'; timer: TimerKind; attempt: number; state: string }
  | { type: 'fire'; state: string }
  | { type: 'recompute' }
  | { type: 'release'; unit: string; spec: string; owner: string; heldBy: string }
  | { type: 'rebill'; state: string; key: string | null }
  | { type: 'alert' };

/** The idempotency key of reconciliation's release of a unit left reserved under `heldBy`. */
export function releaseKey(heldBy: string): string {
  return `${heldBy}/release`;
}

/** The audit entry of the resource inventory's answer to a release reconciliation sent. */
export const LEAK_RELEASED = 'LeakedUnitReleased';

/**
 * The engine's part of a release reconciliation sent (a unit left reserved under a key no step
 * uses): the answer is recorded against the order, and concerns no step (the step went on under
 * another key). False when the message is no answer to such a release.
 */
export function releaseAnswered(ctx: Ctx, message: Envelope): boolean {
  if ((message.type !== STEP_COMPENSATED && message.type !== STEP_COMPENSATION_FAILED) || !message.idempotencyKey?.endsWith('/release')) return false;
  const reply = message.payload as StepReplyPayload;
  ctx.uow.recordState(ctx.order, message.messageId, LEAK_RELEASED, { sagaId: message.sagaId, stepId: message.stepId }, {
    idempotencyKey: message.idempotencyKey, released: message.type === STEP_COMPENSATED,
    ...(message.type === STEP_COMPENSATED ? {} : { outcome: reply.outcome ?? 'rejected', reason: reply.reason ?? null }),
  });
  return true;
}

/** A mismatch found, before anything is done about it: what a finding says, and the remedy. */
interface Candidate extends Pick<Finding, 'kind' | 'productOrderId' | 'sagaId' | 'stepId' | 'subject' | 'seen' | 'detail'> {
  remedy: Remedy;
}

const LIVE = `('STARTED', 'UNKNOWN')`;

export class Reconciler {
  readonly graceMs: number;
  readonly intervalMs: number;
  /** When the sweep is due next, as this process last read it (null: read the schedule). */
  private nextDueAt: number | null = null;

  constructor(private readonly engine: Engine, options: ReconcilerOptions = {}) {
    this.graceMs = options.graceMs ?? 60_000;
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
  }

  /**
   * The sweeper: runs `reconcile` when the schedule's timer in the database is due, claimed so that
   * one process runs it per interval. Returns the number of findings recorded (0 when not due).
   */
  async sweepIfDue(): Promise<number> {
    if (this.intervalMs <= 0) return 0;
    const now = this.engine.clock.now();
    if (this.nextDueAt !== null && now.getTime() < this.nextDueAt) return 0;
    const next = new Date(now.getTime() + this.intervalMs).toISOString();
    const runId = `rec-${randomUUID()}`;
    const store = this.engine.store;
    const claimed = await store.query<{ id: number }>(
      `WITH due AS (SELECT id FROM reconciliation_schedule WHERE id = 1 AND next_due <= $1 FOR UPDATE SKIP LOCKED)
       UPDATE reconciliation_schedule s SET next_due = $2, last_run_at = $1, last_run_id = $3 FROM due WHERE s.id = due.id
       RETURNING s.id`, [now.toISOString(), next, runId]);
    if (claimed.length === 0) {
      // Not due (or another process is claiming it right now): remember when it is; the first
      // process to look arms it one interval on.
      const [row] = await store.query<{ next_due: unknown }>('SELECT next_due FROM reconciliation_schedule WHERE id = 1');
      if (!row) {
        await store.query('INSERT INTO reconciliation_schedule (id, next_due) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [next]);
        this.nextDueAt = Date.parse(next);
      } else {
        const due = Date.parse(iso(row.next_due) as string);
        this.nextDueAt = due > now.getTime() ? due : null;
      }
      return 0;
    }
    this.nextDueAt = Date.parse(next);
    const report = await this.reconcile({ runId });
    return report.findings.filter((f) => !f.alertedBefore).length;
  }

  /** Finds the mismatches, repairs what is safe to repair, alerts the rest; records each finding (not in a dry run). */
  async reconcile(options: ReconcileOptions & { runId?: string } = {}): Promise<ReconcileReport> {
    const at = options.now ?? this.engine.clock.now();
    const runId = options.runId ?? `rec-${randomUUID()}`;
    const candidates = await this.detect(at);
    const findings: Finding[] = [];
    for (const c of candidates) {
      if (options.dryRun) {
        findings.push({
          id: '', runId, kind: c.kind, productOrderId: c.productOrderId, sagaId: c.sagaId, stepId: c.stepId, subject: c.subject,
          seen: c.seen, action: 'none', detail: `dry run: would ${ACTION_OF[c.remedy.type]}: ${c.detail}`, foundAt: at.toISOString(),
        });
        continue;
      }
      const finding = await this.act(c, runId, at);
      if (finding) findings.push(finding);
    }
    const needsPerson = options.dryRun
      ? candidates.some((c) => c.remedy.type === 'alert')
      : findings.some((f) => f.action === 'alerted');
    return { runId, dryRun: options.dryRun === true, at: at.toISOString(), findings, needsPerson };
  }

  // --- detection ----------------------------------------------------------------------------
  /** Every mismatch standing for longer than the grace period; one per step (or order) and remedy. */
  async detect(at: Date): Promise<Candidate[]> {
    const db = this.engine.store;
    const cutoff = new Date(at.getTime() - this.graceMs).toISOString();
    const found: Candidate[] = [];
    const taken = new Set<string>();
    const add = (c: Candidate) => {
      // One remedy per step (or order) a sweep; a leaked unit is its own (a step may have left several).
      const key = c.remedy.type === 'release' ? `unit\u0000${c.subject}`
        : c.stepId ? `${c.sagaId}\u0000${c.stepId}` : `${c.productOrderId}\u0000${c.kind}\u0000${c.subject}`;
      if (taken.has(key)) return;
      taken.add(key);
      found.push(c);
    };
    for (const c of await this.lostAnswers(db, cutoff)) add(c);
    for (const c of await this.waitsBeyondTimeout(db, at, cutoff)) add(c);
    for (const c of await this.leakedUnits(db, cutoff)) add(c);
    for (const c of await this.serviceActiveProductPending(db, cutoff)) {
      if (!taken.has(`order\u0000${c.productOrderId}`)) { taken.add(`order\u0000${c.productOrderId}`); add(c); }
    }
    for (const c of await this.ordersWithoutActiveSaga(db, cutoff)) {
      if (!taken.has(`order\u0000${c.productOrderId}`)) { taken.add(`order\u0000${c.productOrderId}`); add(c); }
    }
    for (const c of await this.billingMissing(db, cutoff)) add(c);
    for (const c of await this.billingWithoutService(db, cutoff)) add(c);
    for (const c of await this.notifiedUnverified(db, cutoff)) add(c);
    return found;
  }

  /**
   * A step still running (STARTED, UNKNOWN) whose owner recorded that it did the work and what it
   * answered, the answer neither pending (a scripted delay) nor taken by the engine, the command
   * not waiting in the outbox. The answer is delivered again; already in the engine's inbox (the
   * engine took it and did not move on), alerted.
   */
  private async lostAnswers(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, st.saga_id, st.step_id, st.kind AS step_kind, st.state AS step_state, st.idempotency_key,
              l.owner, l.message_id, l.reply_type, l.reply, l.recorded_at, n.state AS network_state, n.target AS network_target,
              u.id AS unit_id, u.state AS unit_state, row_to_json(o) AS command
         FROM saga_step st
         JOIN saga s ON s.id = st.saga_id
         JOIN component_ledger l ON l.owner = st.owner AND l.idempotency_key = st.idempotency_key AND l.applied AND l.reply_type IS NOT NULL
         JOIN outbox o ON o.message_id = l.message_id
         LEFT JOIN component_network n ON n.idempotency_key = st.idempotency_key
         LEFT JOIN component_resource_unit u ON u.held_by = st.idempotency_key
        WHERE st.state IN ${LIVE} AND s.state IN ('STARTED', 'COMPENSATING') AND st.updated_at < $1 AND l.recorded_at < $1
          AND NOT EXISTS (SELECT 1 FROM component_reply r WHERE r.command_message_id = l.message_id)
          AND NOT EXISTS (SELECT 1 FROM outbox_pending p JOIN outbox c ON c.seq = p.seq
                           WHERE p.ordering_key = s.id AND c.kind = 'command' AND c.step_id = st.step_id)
        ORDER BY l.recorded_at`, [cutoff]);
    const replies = rows.map((r) => replyId(String(r.message_id), 0));
    const taken = await inboxHas(db, replies);
    const out: Candidate[] = [];
    rows.forEach((r, i) => {
      const stepKind = String(r.step_kind);
      // The activation gateway's network says whether the target is configured.
      if (stepKind === 'activation' && r.network_state !== 'ACTIVE') return;
      const kind: MismatchKind = stepKind === 'activation' ? 'activation-unknown-network-active'
        : stepKind === 'resource_reservation' ? 'resource-reserved-no-progress' : 'work-order-completed-not-updated';
      const command = envelopeOfRow(parseJson(r.command) as Record<string, unknown>);
      const reply = (parseJson(r.reply) ?? {}) as StepReplyPayload;
      const id = replies[i] as string;
      const seen = {
        stepKind, stepState: r.step_state, idempotencyKey: r.idempotency_key, owner: r.owner, ledger: { applied: true, replyType: r.reply_type, recordedAt: iso(r.recorded_at) },
        ...(r.network_state ? { network: { target: r.network_target, state: r.network_state } } : {}),
        ...(r.unit_id ? { unit: { id: r.unit_id, state: r.unit_state } } : {}),
        replyMessageId: id, replyTakenByEngine: taken.has(id),
      };
      const base = {
        kind, productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
        subject: String(r.idempotency_key), seen,
      };
      if (taken.has(id)) {
        out.push({ ...base, remedy: { type: 'alert' }, detail: `${r.owner} did the work and answered ${String(r.reply_type)}; the engine took the answer and the step is still ${String(r.step_state)}` });
        return;
      }
      const message = replyTo(command, {
        type: String(r.reply_type), messageId: id, payload: { attempt: (command.payload as StepCommandPayload).attempt, ...reply },
      }, new Date(iso(r.recorded_at) as string));
      out.push({ ...base, remedy: { type: 'redeliver', message }, detail: `${r.owner}'s recorded answer ${String(r.reply_type)} delivered again to the engine's inbox (message ${id})` });
    });
    return out;
  }

  /**
   * A running step (a running saga, not held at it) whose timer is gone while its timeout has
   * passed, or whose timer is overdue beyond the grace period.
   */
  private async waitsBeyondTimeout(db: Queryable, at: Date, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, st.saga_id, st.step_id, st.state, st.attempt, st.updated_at, st.idempotency_key, s.plan_hash,
              (SELECT min(t.due_at) FROM timer t WHERE t.saga_id = st.saga_id AND t.step_id = st.step_id) AS due_at
         FROM saga_step st JOIN saga s ON s.id = st.saga_id
        WHERE s.state = 'STARTED' AND st.state IN ('STARTED', 'UNKNOWN', 'WAITING') AND s.held_step_id IS DISTINCT FROM st.step_id
          AND st.updated_at < $1
          AND NOT EXISTS (SELECT 1 FROM timer t WHERE t.saga_id = st.saga_id AND t.step_id = st.step_id AND t.due_at >= $1)`, [cutoff]);
    const out: Candidate[] = [];
    for (const r of rows) {
      const planStep = await this.planStep(db, String(r.plan_hash), String(r.step_id));
      const timeoutMs = planStep?.timeout.ms ?? 0;
      const since = Date.parse(iso(r.updated_at) as string);
      const due = r.due_at ? iso(r.due_at) : null;
      const base = {
        kind: 'saga-waiting-beyond-timeout' as const, productOrderId: String(r.product_order_id), sagaId: String(r.saga_id),
        stepId: String(r.step_id), subject: `${String(r.saga_id)}/${String(r.step_id)}#${Number(r.attempt)}`,
        seen: { stepState: r.state, attempt: Number(r.attempt), since: iso(r.updated_at), timeoutMs, timerDueAt: due },
      };
      if (due) {
        out.push({ ...base, remedy: { type: 'fire', state: String(r.state) }, detail: `the step's timer was due at ${due} and did not fire: fired` });
      } else if (since + timeoutMs < Date.parse(cutoff) && at.getTime() > since + timeoutMs) {
        const timer: TimerKind = r.state === 'WAITING' ? 'retry' : 'step_timeout';
        out.push({
          ...base, remedy: { type: 'rearm', timer, attempt: Number(r.attempt), state: String(r.state) },
          detail: `${String(r.state)} since ${iso(r.updated_at)}, beyond its timeout of ${timeoutMs} ms, with no timer: its ${timer} timer armed again`,
        });
      }
    }
    return out;
  }

  /**
   * A unit the resource inventory holds RESERVED for an idempotency key no step goes on with: the
   * step moved on to another key (a timed-out reservation retried under a new one), or its saga is
   * gone: released through the resource inventory, once. Held under the key of a step whose saga
   * failed or was compensated (the step's own reservation, which its compensation or a person
   * deals with): alerted.
   */
  private async leakedUnits(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT u.id AS unit_id, u.spec, u.held_by, l.owner, l.product_order_id, l.saga_id, l.step_id, s.state AS saga_state,
              st.state AS step_state, st.idempotency_key AS current_key
         FROM component_resource_unit u
         JOIN component_ledger l ON l.idempotency_key = u.held_by AND l.applied AND l.command_type <> 'CompensateStep'
         LEFT JOIN saga s ON s.id = l.saga_id
         LEFT JOIN saga_step st ON st.saga_id = l.saga_id AND st.step_id = l.step_id
        WHERE u.state = 'RESERVED' AND l.recorded_at < $1
          AND (s.id IS NULL OR s.state IN ('FAILED', 'COMPENSATED') OR st.idempotency_key IS DISTINCT FROM u.held_by)
        ORDER BY u.id`, [cutoff]);
    return rows.map((r) => ({
      kind: 'resource-reserved-no-progress', productOrderId: String(r.product_order_id), sagaId: (r.saga_id as string | null) ?? null,
      stepId: (r.step_id as string | null) ?? null, subject: `unit ${String(r.unit_id)}`,
      seen: { unit: { id: r.unit_id, spec: r.spec, state: 'RESERVED', heldBy: r.held_by }, sagaState: r.saga_state, stepState: r.step_state, stepKey: r.current_key },
      ...(r.current_key === r.held_by
        ? {
          remedy: { type: 'alert' } as Remedy,
          detail: `unit ${String(r.unit_id)} is reserved under ${String(r.held_by)}, which belongs to a saga ${String(r.saga_state)}: release it to its pool`,
        }
        : {
          remedy: { type: 'release', unit: String(r.unit_id), spec: String(r.spec), owner: String(r.owner), heldBy: String(r.held_by) } as Remedy,
          detail: `unit ${String(r.unit_id)} is reserved under ${String(r.held_by)}, which ${r.saga_state === null ? 'no saga' : `step ${String(r.step_id)}`} no longer uses`
            + `${r.current_key ? ` (its key is ${String(r.current_key)})` : ''}: released to its pool through ${String(r.owner)} (${releaseKey(String(r.held_by))})`,
        }),
    }));
  }

  /** A completed saga whose service inventory step the inventory confirmed, its item not completed. */
  private async serviceActiveProductPending(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, s.id AS saga_id, st.step_id, i.id AS item_id, i.state AS item_state, po.state AS order_state
         FROM saga s
         JOIN saga_step st ON st.saga_id = s.id AND st.kind = 'inventory_commit' AND st.state = 'SUCCEEDED'
         JOIN component_ledger l ON l.owner = st.owner AND l.idempotency_key = st.idempotency_key AND l.applied
         JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
         JOIN product_order po ON po.id = s.product_order_id
        WHERE s.state = 'COMPLETED' AND i.state <> 'completed' AND s.updated_at < $1`, [cutoff]);
    return rows.map((r) => ({
      kind: 'service-active-product-pending', productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
      subject: `item ${String(r.product_order_id)}/${String(r.item_id)}`,
      seen: { serviceInventory: 'ACTIVE', sagaState: 'COMPLETED', itemState: r.item_state, orderState: r.order_state },
      remedy: { type: 'recompute' }, detail: `item ${String(r.item_id)} is ${String(r.item_state)} under a completed saga: its state and the order's derived again`,
    }));
  }

  /**
   * An order in progress (or acknowledged) with no saga running, held or compensating. No saga at
   * all: its acceptance is delivered again (the engine's inbox drops it if taken); sagas all
   * settled: the order's state is derived again from them.
   */
  private async ordersWithoutActiveSaga(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT po.id, po.state, po.updated_at,
              (SELECT json_agg(json_build_object('id', s.id, 'state', s.state)) FROM saga s WHERE s.product_order_id = po.id) AS sagas,
              (SELECT row_to_json(o) FROM outbox o WHERE o.product_order_id = po.id AND o.type = $2 ORDER BY o.seq LIMIT 1) AS accepted
         FROM product_order po
        WHERE po.state IN ('acknowledged', 'pending', 'inProgress') AND po.updated_at < $1
          AND NOT EXISTS (SELECT 1 FROM saga s WHERE s.product_order_id = po.id AND s.state IN ('STARTED', 'HELD', 'COMPENSATING'))
          AND NOT EXISTS (SELECT 1 FROM outbox_pending p WHERE p.ordering_key = po.id)
        ORDER BY po.id`, [cutoff, ORDER_ACCEPTED]);
    const accepted = rows.map((r) => (r.accepted ? envelopeOfRow(parseJson(r.accepted) as Record<string, unknown>) : null));
    const taken = await inboxHas(db, accepted.filter((m): m is Envelope => m !== null).map((m) => m.messageId));
    return rows.map((r, i) => {
      const sagas = (parseJson(r.sagas) ?? []) as { id: string; state: string }[];
      const message = accepted[i] ?? null;
      const base = {
        kind: 'order-without-active-saga' as const, productOrderId: String(r.id), sagaId: null, stepId: null, subject: `order ${String(r.id)}`,
        seen: { orderState: r.state, since: iso(r.updated_at), sagas, acceptance: message ? { messageId: message.messageId, takenByEngine: taken.has(message.messageId) } : null },
      };
      if (sagas.length > 0) {
        return { ...base, remedy: { type: 'recompute' } as Remedy, detail: `order ${String(r.state)} with every saga settled (${sagas.map((s) => s.state).join(', ')}): its state derived again` };
      }
      if (message && !taken.has(message.messageId)) {
        return { ...base, remedy: { type: 'redeliver', message } as Remedy, detail: `no saga started: ${ORDER_ACCEPTED} delivered again to the engine's inbox (message ${message.messageId})` };
      }
      return { ...base, remedy: { type: 'alert' } as Remedy, detail: `order ${String(r.state)} and no saga was ever started${message ? ' though the engine took its acceptance' : ''}` };
    });
  }

  /**
   * A completed item without billing readiness: its billing step succeeded while the billing
   * system recorded none for its key (alerted); or readiness failed under revenue assurance (§28)
   * and its retries are spent (FAILED), or it waits for a retry whose timer is gone: requested
   * again, one attempt a sweep, until billing confirms it. Billing that recorded readiness under
   * one of the step's keys all the same is alerted, never requested again.
   */
  private async billingMissing(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const failed = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, s.id AS saga_id, st.step_id, st.owner, st.state, st.attempt, st.outcome, st.idempotency_key,
              i.state AS item_state,
              (SELECT l.idempotency_key FROM component_ledger l
                WHERE l.owner = st.owner AND l.saga_id = s.id AND l.step_id = st.step_id AND l.applied AND l.command_type <> $2
                ORDER BY l.recorded_at LIMIT 1) AS applied_key
         FROM saga s
         JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
         JOIN saga_step st ON st.saga_id = s.id AND st.kind = 'billing_trigger'
        WHERE s.state = 'COMPLETED' AND i.state = 'completed' AND st.updated_at < $1
          AND (st.state = 'FAILED' OR (st.state = 'WAITING' AND NOT EXISTS (SELECT 1 FROM timer t WHERE t.saga_id = s.id AND t.step_id = st.step_id)))
        ORDER BY s.product_order_id, s.id`, [cutoff, COMPENSATE_STEP]);
    const out: Candidate[] = failed.map((r) => {
      const base = {
        kind: 'product-active-billing-missing' as const, productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
        seen: {
          itemState: r.item_state, billingStep: r.state, attempt: Number(r.attempt), outcome: r.outcome,
          billing: { owner: r.owner, idempotencyKey: r.idempotency_key, readiness: r.applied_key ? `recorded under ${String(r.applied_key)}` : 'none recorded' },
        },
      };
      if (r.applied_key) {
        return {
          ...base, subject: String(r.applied_key), remedy: { type: 'alert' } as Remedy,
          detail: `billing step ${String(r.step_id)} is ${String(r.state)} while ${String(r.owner)} recorded readiness under ${String(r.applied_key)}: not requested again`,
        };
      }
      return {
        ...base, subject: String(r.idempotency_key), remedy: { type: 'rebill', state: String(r.state), key: (r.idempotency_key as string | null) ?? null } as Remedy,
        detail: `the product is active and ${String(r.owner)} has no billing readiness (step ${String(r.state)}, ${String(r.outcome ?? 'no answer')}`
          + ` after ${Number(r.attempt)} attempts): requested again`,
      };
    });
    return [...out, ...await this.billingLost(db, cutoff)];
  }

  /** A completed item whose billing step succeeded while the billing system recorded no readiness for its key. */
  private async billingLost(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, s.id AS saga_id, st.step_id, st.owner, st.idempotency_key, i.state AS item_state
         FROM saga s
         JOIN product_order_item i ON i.product_order_id = s.product_order_id AND i.id = s.product_order_item_id
         JOIN saga_step st ON st.saga_id = s.id AND st.kind = 'billing_trigger' AND st.state = 'SUCCEEDED'
        WHERE s.state = 'COMPLETED' AND i.state = 'completed' AND st.updated_at < $1
          AND NOT EXISTS (SELECT 1 FROM component_ledger l WHERE l.owner = st.owner AND l.idempotency_key = st.idempotency_key AND l.applied)`, [cutoff]);
    return rows.map((r) => ({
      kind: 'product-active-billing-missing', productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
      subject: String(r.idempotency_key),
      seen: { itemState: r.item_state, billingStep: 'SUCCEEDED', billing: { owner: r.owner, idempotencyKey: r.idempotency_key, readiness: 'none recorded' } },
      remedy: { type: 'alert' }, detail: `the product is active but ${String(r.owner)} has no billing readiness for ${String(r.idempotency_key)}: revenue at risk`,
    }));
  }

  /** Billing readiness confirmed (and not cancelled) while the service inventory is not active (never committed, or reverted). */
  private async billingWithoutService(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, s.id AS saga_id, b.step_id, b.idempotency_key AS billing_key, inv.step_id AS inventory_step,
              inv.state AS inventory_state, inv.idempotency_key AS inventory_key
         FROM saga s
         JOIN saga_step b ON b.saga_id = s.id AND b.kind = 'billing_trigger'
         JOIN component_ledger lb ON lb.owner = b.owner AND lb.idempotency_key = b.idempotency_key AND lb.applied
         JOIN saga_step inv ON inv.saga_id = s.id AND inv.kind = 'inventory_commit' AND inv.state <> 'SKIPPED'
        WHERE lb.recorded_at < $1
          AND NOT EXISTS (SELECT 1 FROM component_ledger c WHERE c.owner = b.owner AND c.idempotency_key = b.idempotency_key || '/compensate' AND c.applied)
          AND (NOT EXISTS (SELECT 1 FROM component_ledger li WHERE li.owner = inv.owner AND li.idempotency_key = inv.idempotency_key AND li.applied)
               OR EXISTS (SELECT 1 FROM component_ledger lr WHERE lr.owner = inv.owner AND lr.idempotency_key = inv.idempotency_key || '/compensate' AND lr.applied))`,
      [cutoff]);
    return rows.map((r) => ({
      kind: 'billing-active-service-not-active', productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
      subject: String(r.billing_key),
      seen: { billing: 'ACTIVE', inventoryStep: r.inventory_step, inventoryStepState: r.inventory_state, serviceInventory: 'not active', inventoryKey: r.inventory_key },
      remedy: { type: 'alert' }, detail: `billing is ready for ${String(r.billing_key)} but the service inventory (${String(r.inventory_step)}) is not active: the customer may be charged for nothing`,
    }));
  }

  /** The notification sent (the customer told the service is active) while the technical verification did not pass. */
  private async notifiedUnverified(db: Queryable, cutoff: string): Promise<Candidate[]> {
    const rows = await db.query<Record<string, unknown>>(
      `SELECT s.product_order_id, s.id AS saga_id, nt.step_id, nt.idempotency_key AS notify_key, v.step_id AS verify_step,
              v.state AS verify_state, v.outcome AS verify_outcome, lv.applied AS verified
         FROM saga s
         JOIN saga_step nt ON nt.saga_id = s.id AND nt.kind = 'notification'
         JOIN component_ledger ln ON ln.owner = nt.owner AND ln.idempotency_key = nt.idempotency_key AND ln.applied
         JOIN saga_step v ON v.saga_id = s.id AND v.kind = 'verification' AND v.state <> 'SKIPPED'
         LEFT JOIN component_ledger lv ON lv.owner = v.owner AND lv.idempotency_key = v.idempotency_key
        WHERE ln.recorded_at < $1 AND (v.state <> 'SUCCEEDED' OR lv.applied IS NOT TRUE)`, [cutoff]);
    return rows.map((r) => ({
      kind: 'notified-verification-failed', productOrderId: String(r.product_order_id), sagaId: String(r.saga_id), stepId: String(r.step_id),
      subject: String(r.notify_key),
      seen: { notification: 'SENT', verifyStep: r.verify_step, verifyState: r.verify_state, verifyOutcome: r.verify_outcome, verificationPassed: r.verified === true },
      remedy: { type: 'alert' }, detail: `the customer was told the service is active while verification ${String(r.verify_step)} is ${String(r.verify_state)}${r.verify_outcome ? ` (${String(r.verify_outcome)})` : ''}`,
    }));
  }

  private async planStep(db: Queryable, planHash: string, stepId: string): Promise<CompiledStep | undefined> {
    const plan = await this.engine.registry.get(db, planHash);
    return plan.kind === 'plan' ? plan.steps.find((s) => s.id === stepId) : undefined;
  }

  // --- acting -------------------------------------------------------------------------------
  /**
   * One finding, under the order's lock: checked again (a mismatch resolved meanwhile is left
   * alone), repaired or alerted, recorded with an audit entry in the same transaction. A
   * redelivered answer goes through the engine's inbox after the commit.
   */
  private async act(c: Candidate, runId: string, at: Date): Promise<Finding | null> {
    const engine = this.engine;
    const now = engine.clock.now();
    let uow = new UnitOfWork(now);
    let flushed = false;
    const finding = await engine.store.transaction(async (tx): Promise<Finding | null> => {
      uow = new UnitOfWork(now);
      flushed = false;
      const locked = await uow.load(tx, [c.productOrderId], engine.registry, false, engine.cache);
      if (!locked.has(c.productOrderId)) return null;
      const order = uow.orders.get(c.productOrderId);
      if (!order) return null;
      const ctx: Ctx = { uow, order, cause: null };
      const saga = c.sagaId ? uow.sagas.get(c.sagaId) : undefined;
      const step = saga && c.stepId ? uow.step(saga.id, c.stepId) : undefined;
      const remedy = c.remedy;
      let action: FindingAction;
      if (remedy.type === 'redeliver') {
        if (c.stepId) {
          if (!step || !['STARTED', 'UNKNOWN'].includes(step.state) || step.idempotencyKey !== c.subject) return null;
        } else if (!['acknowledged', 'pending'].includes(order.state) || uow.sagasOf(order.id).length > 0) {
          return null;
        }
        action = 'repaired';
      } else if (remedy.type === 'rearm' || remedy.type === 'fire') {
        if (!saga || !step || saga.state !== 'STARTED' || step.state !== remedy.state) return null;
        if (remedy.type === 'rearm') {
          const timers = await tx.query('SELECT 1 FROM timer WHERE saga_id = $1 AND step_id = $2', [saga.id, step.stepId]);
          if (timers.length > 0) return null;
          uow.setTimer({ sagaId: saga.id, stepId: step.stepId, kind: remedy.timer, attempt: remedy.attempt, dueAt: uow.at });
        }
        action = 'retried';
      } else if (remedy.type === 'recompute') {
        // The rows put back to the states last announced (the audit trail, written with them), then
        // derived again: a public fact only for a state that really changes.
        const corrected = await restoreAnnounced(tx, ctx);
        const before = uow.log.length;
        engine.recomputeOrder(ctx);
        if (uow.log.length === before && !corrected) return null;
        action = 'repaired';
      } else if (remedy.type === 'release') {
        const [unit] = await tx.query<{ state: string; held_by: string | null }>(
          'SELECT state, held_by FROM component_resource_unit WHERE id = $1 FOR UPDATE', [remedy.unit]);
        if (!unit || unit.state !== 'RESERVED' || unit.held_by !== remedy.heldBy) return null;
        if (step && step.idempotencyKey === remedy.heldBy) return null;
        // Sent already, and not refused by the inventory: its answer is on its way.
        const key = releaseKey(remedy.heldBy);
        const [sent] = await tx.query<{ refused: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM component_ledger l WHERE l.owner = $2 AND l.idempotency_key = $1 AND NOT l.applied) AS refused
             FROM outbox o WHERE o.idempotency_key = $1 AND o.type = $3 LIMIT 1`, [key, remedy.owner, COMPENSATE_STEP]);
        if (sent && !sent.refused) return null;
        const payload: StepCommandPayload = {
          stepId: c.stepId ?? 'unknown', kind: 'resource_reservation', ref: { type: 'resource', id: remedy.spec }, attempt: 1, delivery: 0,
          evidence: [], characteristics: {}, answers: { succeeded: STEP_COMPENSATED, failed: STEP_COMPENSATION_FAILED },
          action: 'release', of: { idempotencyKey: remedy.heldBy, resourceId: remedy.unit, reason: 'reconciliation: reserved under a key no step uses' },
        };
        uow.emit(engine.envelope(order, {
          kind: 'command', type: COMPENSATE_STEP, destination: remedy.owner, orderingKey: saga?.id ?? order.id,
          sagaId: saga?.id ?? null, stepId: c.stepId, productOrderItemId: saga?.productOrderItemId ?? null, idempotencyKey: key, payload,
        }, null));
        action = 'repaired';
      } else if (remedy.type === 'rebill') {
        if (!saga || !step || saga.state !== 'COMPLETED' || step.state !== remedy.state || step.idempotencyKey !== remedy.key) return null;
        if (step.state === 'WAITING' && (await tx.query('SELECT 1 FROM timer WHERE saga_id = $1 AND step_id = $2', [saga.id, step.stepId])).length > 0) return null;
        engine.startStep(ctx, saga, step, 'retry');
        action = 'retried';
      } else {
        const [earlier] = await tx.query<Record<string, unknown>>(
          `SELECT * FROM reconciliation_finding WHERE kind = $1 AND subject = $2 AND action = 'alerted'`, [c.kind, c.subject]);
        if (earlier) return { ...findingOf(earlier), alertedBefore: true };
        action = 'alerted';
      }
      const f: Finding = {
        id: `rf-${randomUUID()}`, runId, kind: c.kind, productOrderId: c.productOrderId, sagaId: c.sagaId, stepId: c.stepId,
        subject: c.subject, seen: c.seen, action, detail: c.detail, foundAt: at.toISOString(),
      };
      await tx.query(
        `INSERT INTO reconciliation_finding (id, run_id, kind, product_order_id, saga_id, step_id, subject, seen, action, detail, found_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [f.id, runId, f.kind, f.productOrderId, f.sagaId, f.stepId, f.subject, JSON.stringify(f.seen), f.action, f.detail, f.foundAt]);
      uow.recordState(order, null, FINDING_RECORDED, { sagaId: f.sagaId, stepId: f.stepId }, {
        findingId: f.id, runId, kind: f.kind, action: f.action, subject: f.subject, detail: f.detail, foundAt: f.foundAt,
      });
      if (action === 'alerted') {
        engine.emitFact(ctx, MISMATCH_FOUND, { findingId: f.id, kind: f.kind, stepId: f.stepId, subject: f.subject, seen: f.seen, detail: f.detail }, saga);
      }
      await engine.flush(tx, uow);
      flushed = true;
      return f;
    });
    if (flushed) engine.committed(uow);
    if (finding && !finding.alertedBefore) {
      // Through the engine's normal paths, after the finding is committed.
      if (c.remedy.type === 'redeliver') await engine.handle([c.remedy.message]);
      else if (c.remedy.type === 'fire') await engine.fireDueTimers();
    }
    return finding;
  }
}

const ACTION_OF: Record<Remedy['type'], string> = {
  redeliver: 'repair', rearm: 'retry', fire: 'retry', recompute: 'repair', release: 'repair', rebill: 'retry', alert: 'alert',
};

/**
 * Puts an order's row and its items' rows back to the states its audit trail last announced
 * (written in the same transactions: they differ only when a row was changed behind the engine's
 * back). Returns whether any row changed.
 */
async function restoreAnnounced(tx: Queryable, ctx: Ctx): Promise<boolean> {
  const { uow, order } = ctx;
  const rows = await tx.query<{ type: string; payload: unknown }>(
    `SELECT type, payload FROM audit_trail WHERE product_order_id = $1
        AND type IN ('ProductOrderCreated', 'ProductOrderStateChanged', 'ProductOrderItemStateChanged') ORDER BY seq, pos`, [order.id]);
  let orderState: string | null = null;
  const itemStates = new Map<string, string>();
  for (const r of rows) {
    const p = (parseJson(r.payload) ?? {}) as Record<string, unknown>;
    if (r.type === 'ProductOrderCreated') orderState = String(p.state);
    else if (r.type === 'ProductOrderStateChanged') orderState = String(p.to);
    else itemStates.set(String(p.productOrderItemId), String(p.to));
  }
  let changed = false;
  if (orderState !== null && orderState !== order.state) {
    order.state = orderState as typeof order.state;
    uow.touchOrder(order);
    changed = true;
  }
  for (const item of uow.itemsOf(order.id)) {
    const announced = itemStates.get(item.id) ?? (orderState === null ? null : 'acknowledged');
    if (announced !== null && announced !== item.state) {
      item.state = announced as typeof item.state;
      uow.touchItem(item);
      changed = true;
    }
  }
  return changed;
}

/** The recorded findings, newest first; of one order, or all. */
export async function reconciliationFindings(db: Queryable, productOrderId?: string): Promise<Finding[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT * FROM reconciliation_finding ${productOrderId ? 'WHERE product_order_id = $1' : ''} ORDER BY found_at DESC, id`,
    productOrderId ? [productOrderId] : []);
  return rows.map(findingOf);
}

function findingOf(r: Record<string, unknown>): Finding {
  return {
    id: String(r.id), runId: String(r.run_id), kind: r.kind as MismatchKind, productOrderId: String(r.product_order_id),
    sagaId: (r.saga_id as string | null) ?? null, stepId: (r.step_id as string | null) ?? null, subject: String(r.subject),
    seen: (parseJson(r.seen) ?? {}) as Record<string, unknown>, action: r.action as FindingAction, detail: String(r.detail),
    foundAt: iso(r.found_at) as string,
  };
}

/** Which of these message ids the engine's inbox has. */
async function inboxHas(db: Queryable, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.query<{ message_id: string }>('SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2::text[])', [ENGINE, ids]);
  return new Set(rows.map((r) => r.message_id));
}

