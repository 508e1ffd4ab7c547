// The outbox relay: publishes committed messages at least once, in order per ordering key (saga).
// Claims with FOR UPDATE SKIP LOCKED and a lease, so any number of relays can share one database
// and a relay that dies mid-way only delays its messages until the lease expires.
import type { Clock } from '../clock.js';
import type { Envelope } from '../engine/messages.js';
import { iso, parseJson } from '../store/sql.js';
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
}

export class OutboxRelay {
  readonly leaseMs: number;
  readonly batchSize: number;

  constructor(private readonly options: RelayOptions) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.batchSize = options.batchSize ?? 200;
  }

  /**
   * Claims due messages: the head (oldest unpublished) message of each ordering key whose lease is
   * free, plus every later unpublished message of the same key. A key whose head another relay
   * holds is skipped whole, which keeps publication in order per key.
   */
  async claim(limit = this.batchSize): Promise<ClaimedMessage[]> {
    const now = this.options.clock.now();
    const until = new Date(now.getTime() + this.leaseMs);
    // One statement, one round trip: the head rows stay locked until it commits.
    const rows = await this.options.store.query<Record<string, unknown>>(
      `WITH heads AS (
         SELECT o.ordering_key FROM outbox o
          WHERE o.published_at IS NULL AND (o.lease_until IS NULL OR o.lease_until < $1)
            AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.ordering_key = o.ordering_key
                              AND p.published_at IS NULL AND p.seq < o.seq)
          ORDER BY o.seq LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE outbox SET lease_until = $3, lease_owner = $4
        WHERE published_at IS NULL AND ordering_key IN (SELECT ordering_key FROM heads)
          AND (lease_until IS NULL OR lease_until < $1)
        RETURNING *`,
      [now.toISOString(), limit, until.toISOString(), this.options.workerId]);
    return rows.map(toClaimed).sort((a, b) => Number(a.seq) - Number(b.seq));
  }

  async publish(claimed: ClaimedMessage[]): Promise<void> {
    if (claimed.length > 0) await this.options.sink.publish(claimed.map(stripSeq));
  }

  async markPublished(claimed: ClaimedMessage[]): Promise<void> {
    if (claimed.length === 0) return;
    await this.options.store.query(
      'UPDATE outbox SET published_at = $1, lease_until = NULL WHERE seq = ANY($2::bigint[])',
      [this.options.clock.now().toISOString(), claimed.map((c) => c.seq)]);
  }

  /** One round: claim, publish, mark. Returns how many messages it relayed. */
  async relayOnce(limit = this.batchSize): Promise<number> {
    const claimed = await this.claim(limit);
    await this.publish(claimed);
    await this.markPublished(claimed);
    return claimed.length;
  }
}

function toClaimed(row: Record<string, unknown>): ClaimedMessage {
  return {
    seq: String(row.seq),
    messageId: String(row.message_id),
    kind: row.kind as Envelope['kind'],
    type: String(row.type),
    schemaVersion: Number(row.schema_version),
    destination: String(row.destination),
    orderingKey: String(row.ordering_key),
    correlationId: String(row.correlation_id),
    causationId: (row.causation_id as string | null) ?? null,
    productOrderId: String(row.product_order_id),
    productOrderItemId: (row.product_order_item_id as string | null) ?? null,
    sagaId: (row.saga_id as string | null) ?? null,
    stepId: (row.step_id as string | null) ?? null,
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    payload: parseJson(row.payload) as Record<string, unknown>,
    createdAt: iso(row.created_at) as string,
  };
}

function stripSeq(message: ClaimedMessage): Envelope {
  const { seq: _seq, ...envelope } = message;
  return envelope;
}
