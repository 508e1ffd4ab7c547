// Aggregates of recently handled product orders, kept by the process between transactions. A
// transaction still locks the order's row and reads its version; it reuses what is cached only
// when the version is the one cached (every writer bumps it under the lock), and otherwise loads
// from the database. An entry is taken out while a transaction works on it and put back, with the
// new version, only after that transaction committed: a rolled-back transaction leaves nothing.
// The entry is the transaction's own rows (OrderRows), handed over and back by reference: taking
// and putting back cost nothing in proportion to the order's size.
import type { OrderRows } from './unit-of-work.js';

/** The rows under one order, as a transaction committed them (see OrderRows). */
export type OrderAggregates = OrderRows;

/** Orders in these states are not kept: nothing is expected to happen to them. */
const SETTLED = new Set(['completed', 'failed', 'rejected', 'cancelled']);

export class AggregateCache {
  private readonly entries = new Map<string, OrderAggregates>();

  constructor(readonly capacity = 5000) {}

  get size(): number {
    return this.entries.size;
  }

  /** The aggregates of an order at this version, taken out of the cache; none when stale or absent. */
  take(orderId: string, version: number): OrderAggregates | undefined {
    const entry = this.entries.get(orderId);
    if (!entry) return undefined;
    this.entries.delete(orderId);
    return entry.order.version === version ? entry : undefined;
  }

  /** Keeps the aggregates a transaction committed (the newest first out when over capacity). */
  put(entry: OrderAggregates): void {
    const id = entry.order.id;
    const current = this.entries.get(id);
    if (current && current.order.version >= entry.order.version) return;
    this.entries.delete(id);
    if (SETTLED.has(entry.order.state) || this.capacity <= 0) return;
    this.entries.set(id, entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
