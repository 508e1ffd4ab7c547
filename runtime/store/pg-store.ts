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

  /** `named` false: every statement runs unnamed (same SQL, same parameters). */
  constructor(private readonly named: boolean) {}

  config(sql: string, params: unknown[]): string | pg.QueryConfig {
    if (!this.named || params.length === 0 || this.unnamed.has(sql)) return sql;
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
  private readonly statements: Statements;
  constructor(private readonly pool: pg.Pool, readonly schema: string, preparedStatements: boolean) {
    this.statements = new Statements(preparedStatements);
  }

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

/** The URL query parameter that turns named prepared statements off (`off`) or on; never sent to the server. */
export const PREPARED_STATEMENTS_PARAM = 'o2a_prepared_statements';
/** The environment variable that does the same for every store opened without the option or the URL parameter. */
export const PREPARED_STATEMENTS_ENV = 'O2A_PG_PREPARED_STATEMENTS';

export interface PgStoreOptions {
  /** Named prepared statements (see `StoreOptions.preparedStatements`); absent: URL parameter, environment, on. */
  preparedStatements?: boolean;
}

function onOff(value: string, where: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1', 'yes'].includes(v)) return true;
  if (['off', 'false', '0', 'no'].includes(v)) return false;
  throw new Error(`${where}: expected on or off, got ${JSON.stringify(value)}`);
}

/**
 * Takes `o2a_prepared_statements` out of a database URL's query string, leaving every other byte
 * of the URL as it was (pg ignores query parameters it does not know today; it never sees this one).
 */
export function splitDatabaseUrl(databaseUrl: string): { url: string; preparedStatements?: boolean } {
  const q = databaseUrl.indexOf('?');
  if (q < 0) return { url: databaseUrl };
  const hash = databaseUrl.indexOf('#', q);
  const query = databaseUrl.slice(q + 1, hash < 0 ? undefined : hash);
  const kept: string[] = [];
  let preparedStatements: boolean | undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (key !== PREPARED_STATEMENTS_PARAM) { kept.push(pair); continue; }
    preparedStatements = onOff(decodeURIComponent(eq < 0 ? '' : pair.slice(eq + 1)), `database URL parameter ${PREPARED_STATEMENTS_PARAM}`);
  }
  if (preparedStatements === undefined) return { url: databaseUrl };
  const rest = kept.filter((pair) => pair !== '').join('&');
  return { url: `${databaseUrl.slice(0, q)}${rest ? `?${rest}` : ''}${hash < 0 ? '' : databaseUrl.slice(hash)}`, preparedStatements };
}

/** Whether a store runs named prepared statements: the option, else the URL parameter, else the environment, else on. */
export function preparedStatementsFor(option: boolean | undefined, fromUrl: boolean | undefined, env = process.env): boolean {
  if (option !== undefined) return option;
  if (fromUrl !== undefined) return fromUrl;
  const value = env[PREPARED_STATEMENTS_ENV];
  return value === undefined || value.trim() === '' ? true : onOff(value, PREPARED_STATEMENTS_ENV);
}

export async function openPgStore(databaseUrl: string, schema: string, poolSize = 10, options: PgStoreOptions = {}): Promise<Store> {
  const split = splitDatabaseUrl(databaseUrl);
  const preparedStatements = preparedStatementsFor(options.preparedStatements, split.preparedStatements);
  const bootstrap = new pg.Client({ connectionString: split.url });
  await bootstrap.connect();
  try {
    await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } finally {
    await bootstrap.end();
  }
  const pool = new pg.Pool({
    connectionString: split.url,
    max: poolSize,
    options: `-c search_path=${quoteIdent(schema)}`,
  });
  pool.on('error', () => undefined);
  return new PgStore(pool, schema, preparedStatements);
}
