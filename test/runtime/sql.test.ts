// Rows written through array parameters come back exactly as given, on every store.
import { afterAll, describe, expect, it } from 'vitest';
import { arrayLiteral } from '../../runtime/store/sql.js';
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
    const stamps = ['2026-11-26T01:02:03.456Z', null];
    const when = await store.query<{ v: unknown }>('SELECT unnest($1::timestamptz[]) AS v', [arrayLiteral(stamps, 'timestamptz')]);
    expect(when.map((r) => (r.v === null ? null : new Date(r.v as string).toISOString()))).toEqual(stamps);
  });
});
