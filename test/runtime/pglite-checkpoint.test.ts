// PGlite runs PostgreSQL single-user, which takes no checkpoint of its own: without the store's
// checkpoints its WAL (in memory, for the in-memory store) grew with every write for as long as
// the process ran (166 MB of WAL beside 113 MB of data after one order of 3,000 items). The store
// takes one once enough WAL was written: what a long run keeps of the WAL stays bounded.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openPgliteStore } from '../../runtime/store/pglite-store.js';
import type { Store } from '../../runtime/store/store.js';

describe('PGlite store: the WAL of a long run', () => {
  let store: Store | undefined;
  afterEach(async () => { await store?.close(); store = undefined; });

  it('stays bounded: 300 transactions writing 100 MB of WAL leave at most half of that in pg_wal, every row there', async () => {
    store = await openPgliteStore(undefined, 'wal_test');
    await store.exec('CREATE TABLE blob (id integer PRIMARY KEY, body text)');
    const wal = async () => Number((await store!.query<{ bytes: string }>('SELECT sum(size)::text AS bytes FROM pg_ls_waldir()'))[0]?.bytes ?? 0);
    const before = await wal();
    const bodies: string[] = [];
    for (let i = 0; i < 300; i++) {
      // A third of a megabyte each, not compressible: written whole to the WAL.
      const body = randomBytes(250_000).toString('base64');
      bodies.push(body);
      await store.transaction((tx) => tx.query('INSERT INTO blob (id, body) VALUES ($1, $2)', [i, body]));
    }
    const kept = await store.query<{ id: number; body: string }>('SELECT id, body FROM blob WHERE id IN (0, 150, 299) ORDER BY id');
    expect(kept).toEqual([0, 150, 299].map((id) => ({ id, body: bodies[id] })));
    expect(await store.query('SELECT count(*)::int AS n FROM blob')).toEqual([{ n: 300 }]);
    // 100 MB went through the WAL; at most the checkpoint threshold (32 MB), what was written
    // since the last look (100 transactions) and the segments kept for reuse are left of it.
    expect((await wal()) - before).toBeLessThan(50 * 1024 * 1024);
  }, 120_000);
});
