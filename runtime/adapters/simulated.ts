// The simulated components of §31.3: resource inventory (pools with the §6.3 lifecycle),
// appointment, workforce, activation gateway (with a readable network state), verification,
// service/product inventory, billing readiness, notification. They are real adapters on the bus:
// commands come in through their inbox, answers go out as events to the engine. Each applies its
// side effect at most once per idempotency key and counts what it did.
import type { Clock } from '../clock.js';
import {
  READ_TARGET_STATE, TARGET_STATE_READ, newMessageId, replyTo, type Envelope, type StepCommandPayload,
  type StepReplyPayload,
} from '../engine/messages.js';
import type { ResourceState } from '../engine/states.js';
import type { MessageSink } from '../outbox/bus.js';
import type { Store } from '../store/store.js';
import { parseScenario, scriptFor, type Scenario, type StepScript } from './scenario.js';

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
}

export interface ResourceUnit {
  id: string;
  spec: string;
  state: ResourceState;
  heldBy: string | null;
}

interface Recorded {
  type: string;
  payload: StepReplyPayload;
}

interface Pending {
  dueAt: number;
  message: Envelope;
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
}

export class SimulatedComponents {
  private readonly counts = new Map<string, ComponentCounts>();
  private readonly outcomes = new Map<string, Recorded>();
  private readonly scenarios = new Map<string, Scenario>();
  private readonly pools = new Map<string, { size: number; units: ResourceUnit[]; free: ResourceUnit[] }>();
  private readonly pending: Pending[] = [];
  /** The activation gateway's network: what is configured, by idempotency key. */
  readonly network = new Map<string, { target: string | null; state: 'ACTIVE' }>();
  private sequence = 0;

  constructor(private readonly options: SimulatedComponentsOptions) {}

  setScenario(productOrderId: string, scenario: Scenario): void {
    this.scenarios.set(productOrderId, scenario);
  }

  /** What each owner did, keyed by owner. */
  snapshot(): Record<string, ComponentCounts> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)).map(([owner, c]) => [owner, { ...c }]));
  }

  countsOf(owner: string): ComponentCounts {
    return { ...this.counter(owner) };
  }

  /** Side effects applied in total, or by one owner. */
  sideEffects(owner?: string): number {
    if (owner) return this.counter(owner).applied;
    return [...this.counts.values()].reduce((sum, c) => sum + c.applied, 0);
  }

  /** The units of a resource pool handed out so far. */
  pool(spec: string): readonly ResourceUnit[] {
    return this.poolFor(spec).units;
  }

  /** Consumes commands from the bus (subscribe it for every component owner). */
  readonly consume = async (messages: Envelope[]): Promise<void> => {
    const commands = messages.filter((m) => m.kind === 'command');
    if (commands.length === 0) return;
    const now = this.options.clock.now();
    const rows = await this.options.store.query<{ consumer: string; message_id: string }>(
      `INSERT INTO inbox (consumer, message_id, received_at) SELECT unnest($1::text[]), unnest($2::text[]), $3
       ON CONFLICT DO NOTHING RETURNING consumer, message_id`,
      [commands.map((c) => c.destination), commands.map((c) => c.messageId), now.toISOString()]);
    const fresh = new Set(rows.map((r) => `${r.consumer}\u0000${r.message_id}`));
    await this.loadScenarios(commands.filter((c) => !this.scenarios.has(c.productOrderId)).map((c) => c.productOrderId));
    const immediate: Envelope[] = [];
    for (const command of commands) {
      const counter = this.counter(command.destination);
      if (!fresh.delete(`${command.destination}\u0000${command.messageId}`)) { counter.duplicates++; continue; }
      counter.commands++;
      for (const { message, delayMs } of this.handle(command, now)) {
        if (delayMs > 0) this.pending.push({ dueAt: now.getTime() + delayMs, message });
        else immediate.push(message);
      }
    }
    await this.send(immediate);
  };

  /** Sends the delayed answers that are due; returns how many. */
  async deliverDue(): Promise<number> {
    const now = this.options.clock.now().getTime();
    const due = this.pending.filter((p) => p.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt);
    if (due.length === 0) return 0;
    for (const p of due) this.pending.splice(this.pending.indexOf(p), 1);
    await this.send(due.map((p) => p.message));
    return due.length;
  }

  nextDue(): Date | null {
    if (this.pending.length === 0) return null;
    return new Date(Math.min(...this.pending.map((p) => p.dueAt)));
  }

  private async send(messages: Envelope[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.options.sink.publish(messages);
    } catch {
      // The engine could not take them now: keep them and try again on the next round.
      const at = this.options.clock.now().getTime();
      for (const message of messages) this.pending.push({ dueAt: at, message });
    }
  }

  private async loadScenarios(orderIds: string[]): Promise<void> {
    const ids = [...new Set(orderIds)];
    if (ids.length === 0) return;
    const rows = await this.options.store.query<{ id: string; scenario: unknown }>(
      'SELECT id, scenario FROM product_order WHERE id = ANY($1)', [ids]);
    for (const row of rows) {
      const raw = typeof row.scenario === 'string' ? JSON.parse(row.scenario) : row.scenario;
      const parsed = parseScenario(raw ?? {});
      this.scenarios.set(row.id, parsed.ok ? parsed.scenario : { steps: {} });
    }
  }

  private handle(command: Envelope, now: Date): { message: Envelope; delayMs: number }[] {
    const owner = command.destination;
    const counter = this.counter(owner);
    const key = command.idempotencyKey ?? command.messageId;
    const payload = command.payload as StepCommandPayload;
    const answer = (type: string, reply: StepReplyPayload, script?: StepScript) => {
      const message = replyTo(command, { type, payload: { attempt: payload.attempt, ...reply } }, now);
      const out = [message];
      if (script?.duplicate) out.push({ ...message }, { ...message, messageId: newMessageId() });
      counter.replies += out.length;
      return out.map((m) => ({ message: m, delayMs: script?.delayMs ?? 0 }));
    };

    if (command.type === READ_TARGET_STATE) {
      counter.reads++;
      const recorded = this.outcomes.get(key);
      const present = this.network.has(key) || (recorded !== undefined && recorded.payload.outcome === undefined);
      return answer(TARGET_STATE_READ, { present, externalRef: recorded?.payload.externalRef });
    }

    const script = scriptFor(this.scenarios.get(command.productOrderId), payload.stepId, payload.kind, payload.delivery);

    const recorded = this.outcomes.get(key);
    if (recorded) {
      counter.replayed++;
      return answer(recorded.type, recorded.payload, script.outcome === 'timeout' ? undefined : { ...script, outcome: 'success' });
    }
    if (script.outcome === 'timeout') {
      if (script.applied) this.apply(command, key, counter, script);
      return [];
    }
    if (script.outcome !== 'success') {
      const failure: Recorded = { type: failedEventOf(command), payload: { outcome: script.outcome, reason: script.reason ?? script.outcome } };
      this.outcomes.set(key, failure);
      return answer(failure.type, failure.payload, script);
    }
    const result = this.apply(command, key, counter, script);
    return answer(result.type, result.payload, script);
  }

  /** Applies the side effect once for this idempotency key and records the outcome. */
  private apply(command: Envelope, key: string, counter: ComponentCounts, script: StepScript): Recorded {
    const payload = command.payload as StepCommandPayload;
    const n = ++this.sequence;
    let reply: StepReplyPayload;
    if (payload.kind === 'resource_reservation') {
      const spec = payload.ref?.id ?? 'RESOURCE';
      const unit = this.takeUnit(spec);
      if (!unit) {
        const failure: Recorded = { type: failedEventOf(command), payload: { outcome: 'rejected', reason: `no ${spec} available` } };
        this.outcomes.set(key, failure);
        return failure;
      }
      unit.state = 'RESERVED';
      unit.heldBy = key;
      reply = { resourceId: unit.id, externalRef: unit.id };
    } else if (payload.kind === 'activation') {
      this.network.set(key, { target: payload.ref?.id ?? null, state: 'ACTIVE' });
      reply = { externalRef: `${payload.ref?.id ?? 'target'}-${n}` };
    } else {
      reply = { externalRef: `${command.destination}-${n}` };
    }
    const withheld = new Set(script.withholdEvidence ?? []);
    const evidence = Object.fromEntries(payload.evidence.filter((e) => !withheld.has(e)).map((e) => [e, `${e}-${n}`]));
    if (payload.evidence.length > 0) reply.evidence = evidence;
    counter.applied++;
    const recorded: Recorded = { type: succeededEventOf(command), payload: reply };
    this.outcomes.set(key, recorded);
    return recorded;
  }

  private poolFor(spec: string): { size: number; units: ResourceUnit[]; free: ResourceUnit[] } {
    let pool = this.pools.get(spec);
    if (!pool) {
      pool = { size: this.options.pools?.[spec] ?? this.options.poolSize ?? Number.MAX_SAFE_INTEGER, units: [], free: [] };
      this.pools.set(spec, pool);
    }
    return pool;
  }

  /** An AVAILABLE unit of the pool (units are numbered as they are first handed out), or none left. */
  private takeUnit(spec: string): ResourceUnit | null {
    const pool = this.poolFor(spec);
    const reused = pool.free.pop();
    if (reused) return reused;
    if (pool.units.length >= pool.size) return null;
    const unit: ResourceUnit = { id: `${spec}-${String(pool.units.length + 1).padStart(5, '0')}`, spec, state: 'AVAILABLE', heldBy: null };
    pool.units.push(unit);
    return unit;
  }

  private counter(owner: string): ComponentCounts {
    let c = this.counts.get(owner);
    if (!c) {
      c = { commands: 0, duplicates: 0, applied: 0, replayed: 0, reads: 0, replies: 0 };
      this.counts.set(owner, c);
    }
    return c;
  }
}

function succeededEventOf(command: Envelope): string {
  return (command.payload as StepCommandPayload).answers.succeeded;
}

function failedEventOf(command: Envelope): string {
  return (command.payload as StepCommandPayload).answers.failed;
}
