import { createHash } from 'node:crypto';
import pg from 'pg';
import { isRetryable, MAX_TRANSACTION_ATTEMPTS, quoteIdent, type Queryable, type Store } from './store.js';

/**
 * Statements with parameters run as named prepared statements: each connection parses (and, after
 * a few runs, plans) a statement once, not on every run. A statement whose cached plan the server
 * refuses after a schema change (its result type changed) runs unnamed from then on.
 */
class Statements {
  private readonly names = new Map<string, string>();
  private readonly unnamed = new Set<string>();

  config(sql: string, params: unknown[]): string | pg.QueryConfig {
    if (params.length === 0 || this.unnamed.has(sql)) return sql;
    let name = this.names.get(sql);
    if (!name) {
      name = `o2a_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
      this.names.set(sql, name);
    }
    return { name, text: sql, values: params };
  }

  /** After a failure: true when the statement must run again unnamed. */
  refused(sql: string, error: unknown): boolean {
    if (!isStalePlan(error) || this.unnamed.has(sql)) return false;
    this.unnamed.add(sql);
    return true;
  }
}

function isStalePlan(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '0A000' && /cached plan/.test(String((error as Error).message));
}

class PgStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly statements = new Statements();
  constructor(private readonly pool: pg.Pool, readonly schema: string) {}

  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      const config = this.statements.config(sql, params);
      const result = typeof config === 'string' ? await this.pool.query(config, params) : await this.pool.query(config);
      return result.rows as R[];
    } catch (error) {
      if (!this.statements.refused(sql, error)) throw error;
      return (await this.pool.query(sql, params)).rows as R[];
    }
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let stale = false;
      try {
        await client.query('BEGIN');
        const value = await work({
          query: async <R>(sql: string, params: unknown[] = []) => {
            const config = this.statements.config(sql, params);
            try {
              const result = typeof config === 'string' ? await client.query(config, params) : await client.query(config);
              return result.rows as R[];
            } catch (error) {
              // The transaction is lost either way; a refused prepared statement runs unnamed next time.
              if (this.statements.refused(sql, error)) stale = true;
              throw error;
            }
          },
          exec: async (sql: string) => { await client.query(sql); },
        });
        await client.query('COMMIT');
        return value;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        // A statement refused for a stale cached plan now runs unnamed: the transaction runs again.
        if (!(isRetryable(error) || stale) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
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
