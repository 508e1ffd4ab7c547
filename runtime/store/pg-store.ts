import pg from 'pg';
import { isRetryable, MAX_TRANSACTION_ATTEMPTS, quoteIdent, type Queryable, type Store } from './store.js';

class PgStore implements Store {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool, readonly schema: string) {}

  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as R[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const value = await work({
          query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
          exec: async (sql: string) => { await client.query(sql); },
        });
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (!isRetryable(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      } finally {
        client.release();
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export async function openPgStore(databaseUrl: string, schema: string, poolSize = 10): Promise<Store> {
  const bootstrap = new pg.Client({ connectionString: databaseUrl });
  await bootstrap.connect();
  try {
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } finally {
    await bootstrap.end();
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    options: `-c search_path=${quoteIdent(schema)}`,
  });
  pool.on('error', () => undefined);
  return new PgStore(pool, schema);
}
