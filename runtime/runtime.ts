// One runtime process: store, engine, outbox relay, timers, the in-process bus and the simulated
// components, driven either step by step (`pump`, `settle`: tests, CLI) or by background worker
// loops (`start`: bench, long runs). Any number of these may share one database.
import { randomUUID } from 'node:crypto';
import type { CompiledPlan } from '../compiler/emit/schema.js';
import { SimulatedComponents } from './adapters/simulated.js';
import { parseScenario, type Scenario } from './adapters/scenario.js';
import { ManualClock, systemClock, type Clock } from './clock.js';
import { Engine, invalidOrder, type ResumeResult, type SubmitResult } from './engine/engine.js';
import { ENGINE, EVENTS, type Envelope } from './engine/messages.js';
import { PlanRegistry } from './engine/plans.js';
import { Reconciler } from './engine/reconciliation.js';
import type { LogRow } from './engine/unit-of-work.js';
import { InProcessBus } from './outbox/bus.js';
import { OutboxRelay } from './outbox/relay.js';
import { migrate } from './store/migrate.js';
import { isConnectionError, openStore, type Store, type StoreOptions } from './store/store.js';

export interface RuntimeOptions {
  store: Store;
  clock?: Clock;
  workerId?: string;
  leaseMs?: number;
  batchSize?: number;
  /** How often a worker loop on the wall clock looks for due timers (default 100 ms). */
  timerIntervalMs?: number;
  /** How often the relay sweeps for messages left unleased while it has its own to publish (default 100 ms). */
  sweepIntervalMs?: number;
  /** Resource pool sizes of the simulated resource inventory, by resource specification. */
  pools?: Record<string, number>;
  onCommit?: (rows: LogRow[]) => void;
  /** How often the reconciliation sweeper runs (a timer in the database; default 5 minutes; 0: never). */
  reconcileIntervalMs?: number;
  /** How long a mismatch must have stood before reconciliation acts on it (default 60 s). */
  reconcileGraceMs?: number;
  /**
   * false: this process runs no worker loops (an API-only process, `o2a serve --no-workers`): what
   * its transactions write to the outbox is not leased to its own relay, which would never
   * publish it, but left at once to the sweep of the processes that do. Default true.
   */
  publishes?: boolean;
}

export class Runtime {
  readonly store: Store;
  readonly clock: Clock;
  readonly workerId: string;
  readonly registry = new PlanRegistry();
  readonly bus = new InProcessBus();
  readonly engine: Engine;
  readonly relay: OutboxRelay;
  readonly components: SimulatedComponents;
  /** Reconciliation (§22): the sweeper `pump` runs when due, and `o2a reconcile`. */
  readonly reconciler: Reconciler;
  private readonly listeners: ((rows: LogRow[]) => void)[] = [];
  private readonly factListeners: ((facts: Envelope[]) => void)[] = [];
  private running = false;
  private timersCheckedAt = 0;
  private readonly timerIntervalMs: number;
  private loops: Promise<void>[] = [];
  /** Worker loops out of work, waiting for messages to publish (or their poll delay). */
  private idle: (() => void)[] = [];

  constructor(options: RuntimeOptions) {
    this.store = options.store;
    this.clock = options.clock ?? systemClock;
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
    this.timerIntervalMs = options.timerIntervalMs ?? 100;
    if (options.onCommit) this.listeners.push(options.onCommit);
    this.relay = new OutboxRelay({
      store: this.store, clock: this.clock, sink: this.bus, workerId: this.workerId,
      leaseMs: options.leaseMs, batchSize: options.batchSize, sweepIntervalMs: options.sweepIntervalMs,
      onReady: () => { if (this.idle.length > 0) this.wakeIdle(); },
    });
    this.engine = new Engine({
      store: this.store, clock: this.clock, registry: this.registry,
      // What a transaction writes to the outbox is leased to this process's relay, which
      // publishes it right after the commit (the sweep takes whatever is left).
      outboxLease: options.publishes === false ? undefined : (keys) => this.relay.lease(keys),
      onOutbox: options.publishes === false ? undefined : (messages) => this.relay.accept(messages),
      onCommit: (rows) => { for (const listen of this.listeners) listen(rows); },
      transportGraceMs: this.relay.leaseMs,
    });
    this.components = new SimulatedComponents({
      store: this.store, clock: this.clock, sink: this.bus, pools: options.pools, leaseMs: options.leaseMs,
    });
    this.reconciler = new Reconciler(this.engine, { intervalMs: options.reconcileIntervalMs, graceMs: options.reconcileGraceMs });
    this.bus.subscribe(ENGINE, (messages) => this.engine.handle(messages));
    this.bus.subscribe(EVENTS, async (messages) => { for (const listen of this.factListeners) listen(messages); });
    this.bus.subscribeRest(this.components.consume);
  }

  /** Opens a store (PGlite unless a database URL is given), migrates it, and builds a runtime on it. */
  static async open(store: StoreOptions & Omit<RuntimeOptions, 'store'>): Promise<Runtime> {
    const opened = await openStore(store);
    await migrate(opened);
    if (opened.kind === 'pglite') {
      // An embedded database has one process at a time: leases found at opening were held by a
      // process that is gone (killed mid-run). Its messages are delivered again now, not after
      // their lease.
      await opened.query('UPDATE outbox_pending SET lease_until = NULL, lease_owner = NULL WHERE lease_owner IS NOT NULL');
    }
    return new Runtime({ ...store, store: opened });
  }

  onCommit(listener: (rows: LogRow[]) => void): void {
    this.listeners.push(listener);
  }

  /** Public facts as the relay publishes them (after commit). */
  onFacts(listener: (facts: Envelope[]) => void): void {
    this.factListeners.push(listener);
  }

  registerPlans(plans: CompiledPlan[]): Promise<void> {
    return this.engine.registerPlans(plans);
  }

  /** `offeringRequired`: see the engine's `SubmitOptions` (false at the HTTP edge, which validates with the TMF622 schema). */
  async submitOrder(
    order: unknown, options: { plans?: CompiledPlan[]; scenario?: Scenario | unknown; offeringRequired?: boolean } = {},
  ): Promise<SubmitResult> {
    let scenario: Scenario | undefined;
    if (options.scenario !== undefined) {
      const parsed = parseScenario(options.scenario);
      if (!parsed.ok) return invalidOrder(order, scenarioProblems(parsed.problems));
      scenario = parsed.scenario;
    }
    const result = await this.engine.submitOrder(order, { plans: options.plans, scenario, offeringRequired: options.offeringRequired });
    if (result.ok && !result.duplicate) this.components.setScenario(result.productOrderId, scenario ?? { steps: {} });
    return result;
  }

  /**
   * Several orders in one intake transaction; one result per order, in the order given. An order
   * whose scenario is not valid is refused as an order that is not valid (`invalid`, nothing recorded).
   */
  async submitOrders(entries: { order: unknown; scenario?: Scenario | unknown }[], options: { plans?: CompiledPlan[] } = {}): Promise<SubmitResult[]> {
    const results: SubmitResult[] = new Array(entries.length);
    const accepted: { index: number; order: unknown; scenario?: Scenario }[] = [];
    entries.forEach((entry, index) => {
      if (entry.scenario === undefined) { accepted.push({ index, order: entry.order }); return; }
      const parsed = parseScenario(entry.scenario);
      if (parsed.ok) accepted.push({ index, order: entry.order, scenario: parsed.scenario });
      else results[index] = invalidOrder(entry.order, scenarioProblems(parsed.problems));
    });
    const submitted = accepted.length === 0 ? [] : await this.engine.submitOrders(accepted, options);
    submitted.forEach((result, n) => {
      const { index, scenario } = accepted[n] as { index: number; scenario?: Scenario };
      results[index] = result;
      if (result.ok && !result.duplicate) this.components.setScenario(result.productOrderId, scenario ?? { steps: {} });
    });
    return results;
  }

  resume(caseId: string): Promise<ResumeResult> {
    return this.engine.resume(caseId);
  }

  /** One round of every worker duty: due timers, a relay batch, due component answers, the reconciliation sweep when due. */
  async pump(): Promise<number> {
    // On the wall clock, timers are looked at every `timerIntervalMs`, not on every round.
    // So are the components' delayed answers (in the database: any process may send them).
    const now = Date.now();
    let timers = 0;
    let answered = 0;
    if (this.clock instanceof ManualClock || now - this.timersCheckedAt >= this.timerIntervalMs) {
      this.timersCheckedAt = now;
      timers = await this.engine.fireDueTimers();
      answered = await this.components.deliverDue();
      // Reconciliation, when its timer in the database is due (one process per interval).
      timers += await this.reconciler.sweepIfDue();
    }
    const relayed = await this.relay.relayOnce();
    return timers + relayed + answered;
  }

  /** Pumps until nothing is left to do now. */
  async runUntilIdle(maxRounds = 10_000): Promise<number> {
    let total = 0;
    for (let round = 0; round < maxRounds; round++) {
      const done = await this.pump();
      total += done;
      if (done === 0) return total;
    }
    throw new Error(`runtime did not settle in ${maxRounds} rounds`);
  }

  /**
   * Runs until idle; with a manual clock, then jumps to the next due timer or delayed answer and
   * goes on, until nothing is due within `horizonMs` of the start.
   */
  async settle(horizonMs = 30 * 24 * 3600_000): Promise<void> {
    const start = this.clock.now().getTime();
    for (;;) {
      await this.runUntilIdle();
      if (!(this.clock instanceof ManualClock)) return;
      const next = [await this.engine.nextTimerDue(), await this.components.nextDue()]
        .filter((d): d is Date => d !== null)
        .sort((a, b) => a.getTime() - b.getTime())[0];
      if (!next || next.getTime() - start > horizonMs) return;
      this.clock.set(next);
    }
  }

  private wakeIdle(): void {
    for (const wake of this.idle.splice(0)) wake();
  }

  /** The database as the worker loops last found it. */
  private database: RuntimeHealth = { ready: true };
  /** When the database was last found back (wall clock, ms): rounds started before then do not count. */
  private databaseBackAt = 0;
  /** Worker loops pausing after a failed round (woken by `stop` only). */
  private pausing: (() => void)[] = [];

  /**
   * Whether this runtime can do its work (for a readiness probe): false while its worker loops
   * find the database gone (a connection lost or refused: a restart, a failover), from the first
   * round that fails so until a probe of a loop gets an answer again. `since`: when that last
   * changed (absent while it never did); `lastError`: while not ready, the last connection error.
   * Kept up to date by the worker loops (`start`): without them it stays as it was.
   */
  health(): RuntimeHealth {
    return { ...this.database };
  }

  private databaseGone(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (!this.database.ready) { this.database.lastError = message; return; }
    this.database = { ready: false, lastError: message, since: new Date().toISOString() };
    // One warning when the database goes, one when it is back, whatever the number of loops and rounds.
    process.emitWarning(`o2a database unavailable, worker loops retrying with backoff: ${message}`);
  }

  private databaseBack(): void {
    if (this.database.ready) return;
    const goneMs = Date.now() - Date.parse(this.database.since as string);
    this.databaseBackAt = Date.now();
    this.database = { ready: true, since: new Date(this.databaseBackAt).toISOString() };
    process.emitWarning(`o2a database available again after ${goneMs} ms`);
    // What the relay let go of while the database was gone is delivered again now, not after its lease.
    this.relay.recover().catch(() => undefined);
  }

  /**
   * Starts `concurrency` worker loops (relay + timers + answers). A loop out of work waits for
   * messages its relay can publish (a commit, a batch marked), or polls again after `idleMs`, doubling up to
   * `maxIdleMs` while nothing turns up (work from other processes sharing the database): idle
   * loops must not keep the database busy with claims that find nothing.
   *
   * A round that fails is left to the leases (its claims run out and are taken again) and the
   * loop pauses before the next, from `RETRY_MIN_MS` doubling up to `RETRY_MAX_MS` while rounds
   * keep failing. A failure of the database connection (`isConnectionError`: the server restarts
   * or is gone) marks the runtime not ready (`health`), with one warning; while so, each loop
   * asks the database `SELECT 1` before a round, and the first answer marks it ready again (one
   * warning). Any other failure is warned about, round by round.
   */
  start(concurrency = 4, idleMs = 5, maxIdleMs = 50): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < concurrency; i++) this.loops.push(this.workerLoop(idleMs, maxIdleMs));
  }

  private async workerLoop(idleMs: number, maxIdleMs: number): Promise<void> {
    let delay = idleMs;
    let failures = 0;
    while (this.running) {
      let done = 0;
      const startedAt = Date.now();
      try {
        if (!this.database.ready) {
          // A probe first: one statement, not a round of claims against a database that is gone.
          await this.store.query('SELECT 1');
          this.databaseBack();
        }
        done = await this.pump();
        failures = 0;
      } catch (error) {
        if (!this.running) break;
        failures += 1;
        if (isConnectionError(error)) {
          // A round that began before the database was found back may still fail on what it
          // began with: it does not mark the database gone again.
          if (startedAt >= this.databaseBackAt) this.databaseGone(error);
        } else {
          process.emitWarning(`o2a worker round failed: ${(error as Error).message}`);
        }
        const backoff = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(failures - 1, 16));
        await this.pauseFor(Math.round(backoff * (0.75 + Math.random() / 2)));
        continue;
      }
      if (done > 0) { delay = idleMs; continue; }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { this.idle = this.idle.filter((w) => w !== wake); resolve(); }, delay);
        const wake = () => { clearTimeout(timer); resolve(); };
        this.idle.push(wake);
      });
      delay = Math.min(maxIdleMs, delay * 2);
    }
  }

  /** Waits `ms`, or less when the runtime stops. */
  private pauseFor(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => { this.pausing = this.pausing.filter((w) => w !== wake); resolve(); }, ms);
      const wake = () => { clearTimeout(timer); resolve(); };
      this.pausing.push(wake);
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeIdle();
    for (const wake of this.pausing.splice(0)) wake();
    await Promise.all(this.loops);
    this.loops = [];
    // Messages leased to this process and not yet published go back to the sweep of any relay.
    await this.relay.release().catch((error: Error) => process.emitWarning(`o2a relay release failed: ${error.message}`));
  }

  async close(): Promise<void> {
    await this.stop();
    await this.store.close();
  }
}

/** A scenario's validation problems named as fields of the submission (`scenario.steps.x: ...`, `scenario: ...`). */
function scenarioProblems(problems: string[]): string[] {
  return problems.map((p) => (p.startsWith('(scenario): ') ? `scenario${p.slice('(scenario)'.length)}` : `scenario.${p}`));
}

/** What `Runtime.health` answers (see there). */
export interface RuntimeHealth {
  ready: boolean;
  /** While not ready: the last connection error the worker loops saw. */
  lastError?: string;
  /** When `ready` last changed (ISO time); absent while it never did. */
  since?: string;
}

/** The pause of a worker loop after a failed round, doubling from the first to the most (± 25 %). */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
