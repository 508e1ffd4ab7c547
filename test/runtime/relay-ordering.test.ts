// Order per ordering key through the relay when leases are lost: a process dying with messages
// leased at different times, and a batch the sink refused while a transaction holding a lease
// that counted on it was still open. On every store.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../runtime/clock.js';
import type { Envelope } from '../../runtime/engine/messages.js';
import { UnitOfWork, type OutboxLease, type StoredMessage } from '../../runtime/engine/unit-of-work.js';
import type { MessageSink } from '../../runtime/outbox/bus.js';
import { OutboxRelay } from '../../runtime/outbox/relay.js';
import { migrate } from '../../runtime/store/migrate.js';
import type { Store } from '../../runtime/store/store.js';
import { storesUnderTest } from './harness.js';

const stores = await storesUnderTest();
const KEY = 'saga-ordering';

function envelope(type: string, clock: ManualClock): Envelope {
  return {
    messageId: `m-${type}-${Math.random().toString(36).slice(2)}`, kind: 'command', type, schemaVersion: 1, destination: 'component',
    orderingKey: KEY, correlationId: 'ota-1', causationId: null, productOrderId: 'po-ordering', productOrderItemId: '1',
    sagaId: KEY, stepId: 'step', idempotencyKey: null, payload: {}, createdAt: clock.now().toISOString(),
  };
}

/** A transaction writing one message of the key, leased as `lease` says (as the engine's flush does). */
async function write(store: Store, clock: ManualClock, type: string, lease?: (keys: string[]) => OutboxLease): Promise<StoredMessage[]> {
  return store.transaction(async (tx) => {
    const uow = new UnitOfWork(clock.now());
    uow.emit(envelope(type, clock));
    await uow.flush(tx, lease);
    return uow.stored;
  });
}

class RecordingSink implements MessageSink {
  readonly published: string[] = [];
  failures = 0;
  async publish(messages: Envelope[]): Promise<void> {
    if (this.failures > 0) { this.failures--; throw new Error('broker unavailable'); }
    for (const m of messages) this.published.push(m.type);
  }
}

/** Each message's first publication, in order. */
function firsts(published: string[]): string[] {
  return published.filter((type, i) => published.indexOf(type) === i);
}

describe.each(stores)('relay order per key on $name', (storeUnderTest) => {
  let store: Store | undefined;

  afterEach(async () => {
    if (store?.kind === 'postgres') {
      await store.exec(`DROP SCHEMA "${store.schema}" CASCADE`).catch(() => undefined);
      await store.close();
    }
    store = undefined;
  });

  async function open(): Promise<Store> {
    store = await storeUnderTest.open();
    await migrate(store);
    return store;
  }

  it('a process dies holding two messages of a key leased at different times: the sweep never publishes a later one before them', async () => {
    const db = await open();
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const a = new OutboxRelay({ store: db, clock, sink, workerId: 'worker-a', leaseMs: 30_000 });
    const b = new OutboxRelay({ store: db, clock, sink, workerId: 'worker-b', leaseMs: 30_000 });
    a.accept(await write(db, clock, 'first', (keys) => a.lease(keys)));
    clock.advance(10_000);
    a.accept(await write(db, clock, 'second', (keys) => a.lease(keys))); // follows 'first', held by A: leased to A until +40 s
    a.abandon(); // A dies before publishing either
    b.accept(await write(db, clock, 'third', (keys) => b.lease(keys))); // blocked by A's rows: left to the sweep
    clock.advance(21_000); // 'first' lease ran out, 'second' still held
    await b.relayOnce();
    clock.advance(10_000); // every lease ran out
    await b.relayOnce();
    await b.relayOnce();
    expect(firsts(sink.published)).toEqual(['first', 'second', 'third']);
    expect(await db.query('SELECT 1 FROM outbox_pending')).toHaveLength(0);
  });

  it('a lease granted while the relay held an earlier message of the key, committed after that message failed to publish, does not overtake it', async () => {
    const db = await open();
    const clock = new ManualClock();
    const sink = new RecordingSink();
    const a = new OutboxRelay({ store: db, clock, sink, workerId: 'worker-a', leaseMs: 30_000 });
    a.accept(await write(db, clock, 'first', (keys) => a.lease(keys)));
    // A transaction of the same saga takes its lease now (the relay holds 'first')...
    const granted = a.lease([KEY]);
    expect(granted.held).toHaveLength(1);
    // ...and while it is still open, publishing 'first' fails: its lease is given back, for the sweep.
    sink.failures = 1;
    await expect(a.relayOnce()).rejects.toThrow('broker unavailable');
    // The transaction commits, with the lease it took before the failure.
    a.accept(await write(db, clock, 'second', () => granted));
    await a.relayOnce();
    // 'first' is delivered again at once; 'second', leased counting on 'first' being held here,
    // is not published from memory: it waits for its lease and the sweep, behind 'first'.
    expect(firsts(sink.published)).toEqual(['first']);
    clock.advance(30_001);
    for (let round = 0; round < 3; round++) await a.relayOnce();
    clock.advance(30_001);
    for (let round = 0; round < 3; round++) await a.relayOnce();
    expect(firsts(sink.published)).toEqual(['first', 'second']);
    expect(await db.query('SELECT 1 FROM outbox_pending')).toHaveLength(0);
  });
});
