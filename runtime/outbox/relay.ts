// The outbox relay: publishes committed messages at least once, in order per ordering key (saga).
//
// A message is pending (a row in outbox_pending beside its outbox row) until published; publishing
// deletes the pending row. Two ways in. (1) The transaction that writes outbox rows leases them
// to the relay of its own process (`lease`), which gets them after the commit (`accept`) and
// publishes them from memory in the next round: no claim statement, no read of the message.
// (2) The sweep claims what is left (rows written unleased, leases run out because a process
// died) with FOR UPDATE SKIP LOCKED and a lease, so any number of relays share one database and
// a relay that dies mid-way only delays its messages until the lease expires.
import type { Clock } from '../clock.js';
import { envelopeOfRow, type Envelope } from '../engine/messages.js';
import type { OutboxLease, StoredMessage } from '../engine/unit-of-work.js';
import type { Store } from '../store/store.js';
import type { MessageSink } from './bus.js';

export interface ClaimedMessage extends Envelope {
  seq: string;
}

export interface RelayOptions {
  store: Store;
  clock: Clock;
  sink: MessageSink;
  workerId: string;
  leaseMs?: number;
  batchSize?: number;
  /**
   * While this relay has messages of its own to publish, it sweeps at most this often (wall
   * clock, default 100 ms); with none, every round sweeps.
   */
  sweepIntervalMs?: number;
  /** Called when messages of its own become ready to publish (wake a worker loop). */
  onReady?: () => void;
}

export class OutboxRelay {
  readonly leaseMs: number;
  readonly batchSize: number;
  readonly sweepIntervalMs: number;
  /** Rows committed leased to this relay, not yet handed to the sink. */
  private queue: StoredMessage[] = [];
  /** Unpublished rows this relay holds (queued or handed to the sink, not yet marked), by ordering key. */
  private readonly held = new Map<string, Set<string>>();
  /** Ordering keys with a batch handed to the sink and not yet marked published. */
  private readonly busy = new Map<string, number>();
  private sweptAt = 0;
  /** A commit left rows unleased: sweep in the next round. */
  private sweepWanted = false;
  /** Counts the times this relay let go of held rows (see `lease` and `accept`). */
  private epoch = 0;
  /** Keys whose held rows this relay let go of (failed publish, lease running out): when, at which epoch. */
  private readonly dropped = new Map<string, { epoch: number; at: number }>();

  constructor(private readonly options: RelayOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 200;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 100;
  }

  /**
   * The lease a transaction writing outbox rows for these keys grants this relay: a lease end,
   * and the unpublished rows of these keys it holds already (rows the new ones may follow).
   */
  lease(orderingKeys: string[]): OutboxLease {
    const held: string[] = [];
    for (const key of orderingKeys) for (const seq of this.held.get(key) ?? []) held.push(seq);
    return {
      owner: this.options.workerId, until: new Date(this.options.clock.now().getTime() + this.leaseMs).toISOString(), held,
      epoch: this.epoch,
    };
  }

  /**
   * Rows a commit wrote: the ones leased to this relay are queued; the others wait for a sweep.
   * A row whose lease was granted while this relay held earlier rows of its key, and whose key
   * this relay has let go of since (a failed publish, a lease running out), is not queued either:
   * those earlier rows now wait for the sweep, and this one must not overtake them. It waits
   * for its lease to run out, and the sweep takes it after them.
   */
  accept(messages: StoredMessage[]): void {
    let ready = false;
    for (const message of messages) {
      if (message.leaseUntil === null || this.letGoSince(message)) { this.sweepWanted = true; continue; }
      this.queue.push(message);
      this.hold(message);
      if (!this.busy.has(message.orderingKey)) ready = true;
    }
    if (ready || this.sweepWanted) this.options.onReady?.();
  }

  /** Messages queued here, not yet handed to the sink. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Claims due messages (the sweep): the head (oldest unpublished) message of each ordering key
   * whose lease is free, plus the later unpublished messages of the same key up to the first one
   * a lease still holds. A key whose head another relay holds is skipped whole, which keeps
   * publication in order per key.
   */
  async claim(limit = this.batchSize): Promise<ClaimedMessage[]> {
    const now = this.options.clock.now();
    const until = new Date(now.getTime() + this.leaseMs);
    this.sweptAt = Date.now();
    this.sweepWanted = false;
    // One statement, one round trip: the head rows stay locked until it commits. The messages
    // are read by sequence number, one index lookup each (OFFSET 0 keeps it so).
    const rows = await this.options.store.query<Record<string, unknown>>(
      `WITH heads AS (
         SELECT o.ordering_key FROM outbox_pending o
          WHERE (o.lease_until IS NULL OR o.lease_until < $1)
            AND NOT EXISTS (SELECT 1 FROM outbox_pending p WHERE p.ordering_key = o.ordering_key AND p.seq < o.seq)
          ORDER BY o.seq LIMIT $2 FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE outbox_pending u SET lease_until = $3, lease_owner = $4
          WHERE u.ordering_key IN (SELECT ordering_key FROM heads) AND (u.lease_until IS NULL OR u.lease_until < $1)
            -- Only the free rows before the first one a lease still holds: a row leased later
            -- than the head (its holder died holding both) must not be overtaken by the rows after it.
            AND NOT EXISTS (SELECT 1 FROM outbox_pending q
                             WHERE q.ordering_key = u.ordering_key AND q.seq < u.seq AND q.lease_until >= $1)
          RETURNING u.seq)
       SELECT m.* FROM claimed c CROSS JOIN LATERAL (SELECT * FROM outbox m WHERE m.seq = c.seq OFFSET 0) m`,
      [now.toISOString(), limit, until.toISOString(), this.options.workerId]);
    return rows.map(toClaimed).sort(bySeq);
  }

  async publish(claimed: ClaimedMessage[]): Promise<void> {
    if (claimed.length > 0) await this.options.sink.publish(claimed.map(stripSeq));
  }

  async markPublished(claimed: ClaimedMessage[]): Promise<void> {
    if (claimed.length === 0) return;
    await this.options.store.query('DELETE FROM outbox_pending WHERE seq = ANY($1::bigint[])', [claimed.map((c) => c.seq)]);
  }

  /**
   * One round: the messages queued here whose key has no batch in flight, and, when due, a
   * sweep; publish, mark. Returns how many messages it relayed.
   */
  async relayOnce(limit = this.batchSize): Promise<number> {
    const own = this.takeQueued(limit);
    const sweep = this.sweepWanted || Date.now() - this.sweptAt >= this.sweepIntervalMs
      || (own.length === 0 && this.queue.length === 0 && this.busy.size === 0);
    const swept = sweep && own.length < limit ? await this.claim(limit - own.length) : [];
    // The sweep finds keys whose head is unleased or whose lease ran out: not the keys of what is
    // queued here (leased), short of a lease that ran out, where at least once applies as always.
    const batch = swept.length === 0 ? own : [...own, ...swept].sort(bySeq);
    if (batch.length === 0) return 0;
    for (const m of swept) this.hold(m);
    const keys = [...new Set(batch.map((m) => m.orderingKey))];
    for (const key of keys) this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    try {
      await this.publish(batch);
      await this.markPublished(batch);
    } catch (error) {
      // Not marked: the leases run out and a sweep publishes these again (at least once). The
      // queued messages of the same keys must not overtake them: they are left to the sweep too,
      // and so are the ones of transactions still open that were leased counting on them.
      this.letGo(keys);
      const dropped = this.dropKeys(new Set(keys));
      // The leases of the failed batch and of the rows of its keys queued here are given back at
      // once (when the database answers), so that the next sweep of any relay delivers them again,
      // in order, without waiting out the lease. Rows of those keys that open transactions write
      // later keep their leases, and the sweep takes a key's rows only up to the first one leased.
      await this.options.store.query(
        `UPDATE outbox_pending SET lease_until = NULL, lease_owner = NULL
          WHERE seq = ANY($1::bigint[]) AND lease_owner = $2`,
        [[...batch, ...dropped].map((m) => m.seq), this.options.workerId]).catch(() => undefined);
      throw error;
    } finally {
      for (const m of batch) this.unhold(m);
      for (const key of keys) {
        const n = (this.busy.get(key) ?? 1) - 1;
        if (n === 0) this.busy.delete(key); else this.busy.set(key, n);
      }
    }
    if (this.queue.some((m) => !this.busy.has(m.orderingKey))) this.options.onReady?.();
    return batch.length;
  }

  /**
   * Gives back the leases of the messages queued here (a graceful stop), so that another relay
   * takes them at once instead of after the lease.
   */
  async release(): Promise<void> {
    const queued = this.queue;
    this.queue = [];
    for (const m of queued) this.unhold(m);
    if (queued.length === 0) return;
    await this.options.store.query(
      `UPDATE outbox_pending SET lease_until = NULL, lease_owner = NULL
        WHERE seq = ANY($1::bigint[]) AND lease_owner = $2`,
      [queued.map((m) => m.seq), this.options.workerId]);
  }

  /**
   * After the database came back: gives back the leases of this relay's rows that it no longer
   * holds (a batch that failed while the database was gone, whose leases could not be given back
   * then; rows of a commit whose answer was lost), so that a sweep delivers them now, in order,
   * rather than after their lease. Rows it still holds (queued, or being published) keep theirs.
   */
  async recover(): Promise<number> {
    const held = [...this.held.values()].flatMap((set) => [...set]);
    const rows = await this.options.store.query<{ seq: string }>(
      `UPDATE outbox_pending SET lease_until = NULL, lease_owner = NULL
        WHERE lease_owner = $1 AND seq <> ALL($2::bigint[]) RETURNING seq`,
      [this.options.workerId, held]);
    if (rows.length > 0) { this.sweepWanted = true; this.options.onReady?.(); }
    return rows.length;
  }

  /** Forgets the messages queued here without a word to the database, as a process that dies does. */
  abandon(): void {
    for (const m of this.queue) this.unhold(m);
    this.queue = [];
  }

  /**
   * The queued messages to publish now, in order: every message of the keys without a batch in
   * flight, up to `limit` (a key's messages are never split). A key whose lease runs out soon is
   * left to the sweep whole, after its lease.
   */
  private takeQueued(limit: number): ClaimedMessage[] {
    if (this.queue.length === 0) return [];
    const now = this.options.clock.now().getTime();
    const taken: StoredMessage[] = [];
    const takenKeys = new Set<string>();
    const expiring = new Set<string>();
    const keep: StoredMessage[] = [];
    for (const m of this.queue) {
      const key = m.orderingKey;
      if (expiring.has(key)) continue;
      if (this.busy.has(key) || (!takenKeys.has(key) && taken.length >= limit)) { keep.push(m); continue; }
      if (Date.parse(m.leaseUntil as string) - now < this.leaseMs / 4) { expiring.add(key); continue; }
      taken.push(m);
      takenKeys.add(key);
    }
    if (expiring.size > 0) {
      // What was taken or kept of those keys before the expiring message goes too: the sweep takes a key whole.
      this.letGo(expiring);
      for (const m of this.queue) if (expiring.has(m.orderingKey)) this.unhold(m);
      this.queue = keep.filter((m) => !expiring.has(m.orderingKey));
      return taken.filter((m) => !expiring.has(m.orderingKey)).sort(bySeq).map(stripLease);
    }
    this.queue = keep;
    return taken.sort(bySeq).map(stripLease);
  }

  /** This relay lets go of what it holds of these keys: leases granted before now may count on none of it. */
  private letGo(keys: Iterable<string>): void {
    const at = this.options.clock.now().getTime();
    this.epoch += 1;
    for (const [key, drop] of this.dropped) {
      // A transaction that took its lease longer ago than a lease lasts writes rows whose lease
      // runs out before they could be published from here: `takeQueued` leaves them to the sweep.
      if (at - drop.at > 2 * this.leaseMs) this.dropped.delete(key);
    }
    for (const key of keys) this.dropped.set(key, { epoch: this.epoch, at });
  }

  /** Whether a message was leased before this relay let go of its key. */
  private letGoSince(message: StoredMessage): boolean {
    const drop = this.dropped.get(message.orderingKey);
    return drop !== undefined && message.leaseEpoch !== undefined && message.leaseEpoch < drop.epoch;
  }

  /** Forgets the queued rows of these keys; returns them. */
  private dropKeys(keys: Set<string>): StoredMessage[] {
    const dropped = this.queue.filter((m) => keys.has(m.orderingKey));
    if (dropped.length === 0) return dropped;
    for (const m of dropped) this.unhold(m);
    this.queue = this.queue.filter((m) => !keys.has(m.orderingKey));
    return dropped;
  }

  private hold(m: { orderingKey: string; seq: string }): void {
    let set = this.held.get(m.orderingKey);
    if (!set) { set = new Set(); this.held.set(m.orderingKey, set); }
    set.add(m.seq);
  }

  private unhold(m: { orderingKey: string; seq: string }): void {
    const set = this.held.get(m.orderingKey);
    if (!set) return;
    set.delete(m.seq);
    if (set.size === 0) this.held.delete(m.orderingKey);
  }
}

function toClaimed(row: Record<string, unknown>): ClaimedMessage {
  return { seq: String(row.seq), ...envelopeOfRow(row) };
}

function stripSeq(message: ClaimedMessage): Envelope {
  const { seq: _seq, ...envelope } = message;
  return envelope;
}

function bySeq(a: { seq: string }, b: { seq: string }): number {
  return Number(a.seq) - Number(b.seq);
}

function stripLease(message: StoredMessage): ClaimedMessage {
  const { leaseUntil: _lease, leaseEpoch: _epoch, ...claimed } = message;
  return claimed;
}
