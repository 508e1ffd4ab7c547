// Rows written through array parameters come back exactly as given, on every store.
import { afterAll, describe, expect, it } from 'vitest';
import { WriteBatch, arrayLiteral } from '../../runtime/store/sql.js';
import type { Store } from '../../runtime/store/store.js';
import { storesUnderTest } from './harness.js';

const stores = await storesUnderTest();

describe.each(stores)('array parameters on $name', (storeUnderTest) => {
  const opened: Store[] = [];
  afterAll(async () => {
    for (const store of opened) {
      if (store.kind === 'postgres') {
        await store.exec(`DROP SCHEMA "${store.schema}" CASCADE`).catch(() => undefined);
        await store.close();
      }
    }
  });

  it('text, json and jsonb values with quotes, backslashes, braces, commas, NULL look-alikes and unicode', async () => {
    const store = await storeUnderTest.open();
    opened.push(store);
    const texts = ['plain', 'with "quotes"', 'back\\slash', '{braces}', 'a,b', 'NULL', '', ' spaced ', 'é ☃ 𝄞', null, 'line\nbreak'];
    const rows = await store.query<{ v: string | null }>('SELECT unnest($1::text[]) AS v', [arrayLiteral(texts, 'text')]);
    expect(rows.map((r) => r.v)).toEqual(texts);
    const docs = [{ a: 'x"y', b: ['\\', '{', null], c: { d: 'é\n' } }, null, [1, 'two'], 'just a string', 3];
    for (const type of ['json', 'jsonb'] as const) {
      const back = await store.query<{ v: string | null }>(`SELECT v::text AS v FROM unnest($1::${type}[]) AS v`, [arrayLiteral(docs, type)]);
      expect(back.map((r) => (r.v === null ? null : JSON.parse(r.v)))).toEqual(docs);
    }
    // Rows written through a batch: json and jsonb values travel as JSON arrays, null stays NULL.
    await store.exec('CREATE TABLE batch_t (id integer PRIMARY KEY, t text, j json, b jsonb, at timestamptz)');
    const batch = new WriteBatch();
    const rowsIn: unknown[][] = [
      [1, 'a"b', { x: ['\\', '{'] }, { y: 'é\n' }, '2026-11-26T01:02:03.456Z'],
      [2, null, null, null, null],
      [3, 'NULL', 'a string', [1, null], null],
    ];
    batch.insert('batch_t', [['id', 'integer'], ['t', 'text'], ['j', 'json'], ['b', 'jsonb'], ['at', 'timestamptz']], rowsIn);
    await store.transaction((tx) => batch.run(tx));
    const out = await store.query<{ id: number; t: string | null; j: string | null; b: string | null; jnull: boolean; bnull: boolean }>(
      'SELECT id, t, j::text AS j, b::text AS b, j IS NULL AS jnull, b IS NULL AS bnull FROM batch_t ORDER BY id');
    expect(out.map((r) => [r.id, r.t, r.j === null ? null : JSON.parse(r.j), r.b === null ? null : JSON.parse(r.b), r.jnull, r.bnull])).toEqual([
      [1, 'a"b', { x: ['\\', '{'] }, { y: 'é\n' }, false, false],
      [2, null, null, null, true, true],
      [3, 'NULL', 'a string', [1, null], false, false],
    ]);
    const stamps = ['2026-11-26T01:02:03.456Z', null];
    const when = await store.query<{ v: unknown }>('SELECT unnest($1::timestamptz[]) AS v', [arrayLiteral(stamps, 'timestamptz')]);
    expect(when.map((r) => (r.v === null ? null : new Date(r.v as string).toISOString()))).toEqual(stamps);
  });
});
