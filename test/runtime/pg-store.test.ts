// The server store's prepared statements: parsed once per connection, and still correct after a
// schema change that alters a statement's result type.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { openPgStore } from '../../runtime/store/pg-store.js';
import type { Store } from '../../runtime/store/store.js';
import { PG_URL, storesUnderTest } from './harness.js';

const server = (await storesUnderTest()).find((s) => s.name === 'postgres');

describe.skipIf(!server)('PostgreSQL store', () => {
  let store: Store;
  // One connection: the statement prepared before the change is the one run after it.
  beforeAll(async () => { store = await openPgStore(PG_URL, `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`, 1); });
  afterAll(async () => {
    await store.exec(`DROP SCHEMA "${store.schema}" CASCADE`).catch(() => undefined);
    await store.close();
  });

  it('runs a prepared statement again after its table gained a column, alone and in a transaction', async () => {
    await store.exec('CREATE TABLE t (id integer PRIMARY KEY, a text)');
    await store.query('INSERT INTO t (id, a) VALUES ($1, $2)', [1, 'x']);
    const read = 'SELECT * FROM t WHERE id = $1';
    expect(await store.query(read, [1])).toEqual([{ id: 1, a: 'x' }]);
    expect(await store.transaction((tx) => tx.query(read, [1]))).toEqual([{ id: 1, a: 'x' }]);
    await store.exec('ALTER TABLE t ADD COLUMN b text');
    expect(await store.query(read, [1])).toEqual([{ id: 1, a: 'x', b: null }]);
    await store.exec('ALTER TABLE t ADD COLUMN c text');
    expect(await store.transaction((tx) => tx.query(read, [1]))).toEqual([{ id: 1, a: 'x', b: null, c: null }]);
  });
});
