import { createHash } from 'node:crypto';
import pg from 'pg';
import { isConnectionError, isRetryable, MAX_TRANSACTION_ATTEMPTS, quoteIdent, type Queryable, type Store } from './store.js';

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

/**
 * Pauses before the retries of a connection that could not be had, or was lost inside a
 * transaction before its COMMIT was sent (milliseconds, ±25 % jitter): one retry per entry, under
 * a second in all. A database gone for longer is the callers' business (the worker loops back off).
 */
export const CONNECTION_RETRY_DELAYS_MS: readonly number[] = [50, 200, 500];

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.round(ms * (0.75 + Math.random() / 2))));
}

/**
 * A pooled connection while checked out. The pool listens for a connection's 'error' event only
 * while the connection is idle in it; checked out, an error the server sends outside a statement
 * (57P01 when it shuts down, a reset socket) would be an 'error' event without a listener, which
 * kills the process. This one listens until the connection goes back, and remembers the error.
 */
class Checkout {
  private lostWith: Error | null = null;
  private readonly onError = (error: Error): void => { this.lostWith ??= error; };

  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.onError);
  }

  /** The error the connection broke with, if it did. */
  get lost(): Error | null {
    return this.lostWith;
  }

  /** Back to the pool; a connection that broke (or failed with a connection error) is destroyed instead. */
  release(failure?: unknown): void {
    this.client.removeListener('error', this.onError);
    const broken = this.lostWith ?? (isConnectionError(failure) ? (failure as Error) : undefined);
    this.client.release(broken);
  }
}

class PgStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly statements: Statements;
  constructor(private readonly pool: pg.Pool, readonly schema: string, preparedStatements: boolean) {
    this.statements = new Statements(preparedStatements);
  }

  /** A connection from the pool; one that cannot be had (server down, starting up) is tried again a few times. */
  private async connect(): Promise<Checkout> {
    for (let retry = 0; ; retry++) {
      try {
        return new Checkout(await this.pool.connect());
      } catch (error) {
        const delay = CONNECTION_RETRY_DELAYS_MS[retry];
        if (delay === undefined || !isConnectionError(error)) throw error;
        await pause(delay);
      }
    }
  }

  /**
   * Runs one statement on a connection (named when prepared statements are on). `refusedIn`: in a
   * transaction, called when the statement was refused for a stale cached plan.
   */
  private async run<R>(client: pg.PoolClient, sql: string, params: unknown[], refusedIn?: () => void): Promise<R[]> {
    const config = this.statements.config(sql, params);
    try {
      const result = typeof config === 'string' ? await client.query(config, params) : await client.query(config);
      return result.rows as R[];
    } catch (error) {
      const refused = this.statements.refused(sql, error);
      // In a transaction, the transaction is lost either way: it runs again (see `transaction`),
      // with the statement unnamed. Alone, the statement runs again unnamed at once.
      if (!refused) throw error;
      if (refusedIn) { refusedIn(); throw error; }
      return (await client.query(sql, params)).rows as R[];
    }
  }

  // A statement alone is retried only when its connection could not be had: once sent, a write
  // may have been done even if its answer is lost, and the caller decides (its loop runs again).
  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    const checkout = await this.connect();
    let failure: unknown;
    try {
      return await this.run<R>(checkout.client, sql, params);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      checkout.release(failure);
    }
  }

  async exec(sql: string): Promise<void> {
    const checkout = await this.connect();
    let failure: unknown;
    try {
      await checkout.client.query(sql);
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      checkout.release(failure);
    }
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    let attempts = 0;
    let connectionRetries = 0;
    for (;;) {
      attempts += 1;
      const checkout = await this.connect();
      const { client } = checkout;
      let commitSent = false;
      let stale = false;
      let failure: unknown;
      let retryAfterMs = -1;
      try {
        await client.query('BEGIN');
        const value = await work({
          query: <R>(sql: string, params: unknown[] = []) => this.run<R>(client, sql, params, () => { stale = true; }),
          exec: async (sql: string) => { await client.query(sql); },
        });
        commitSent = true;
        await client.query('COMMIT');
        return value;
      } catch (error) {
        failure = error;
        const lost = checkout.lost !== null || isConnectionError(error);
        if (checkout.lost === null) await client.query('ROLLBACK').catch(() => undefined);
        if (lost) {
          // The connection broke. Before COMMIT was sent, the server rolled the transaction back
          // (it never commits a transaction whose session ends): it runs again, after a short
          // pause. Once COMMIT was sent, the outcome is unknown (committed, answer lost; or not):
          // the error goes to the caller, which must not take the transaction as done. The
          // runtime's callers run their work again later (the relay delivers the message again,
          // timers and delayed answers stay due), and what they run is idempotent by
          // construction: the engine's inbox drops a message already taken, intake answers an
          // order already recorded as a duplicate, the components' ledger answers a step already
          // applied. So a transaction that did commit and runs again does nothing twice.
          const delay = commitSent ? undefined : CONNECTION_RETRY_DELAYS_MS[connectionRetries];
          if (delay === undefined) throw error;
          connectionRetries += 1;
          retryAfterMs = delay;
        } else {
          // A deadlock or serialization failure, or a statement refused for a stale cached plan
          // (it now runs unnamed): the transaction runs again at once.
          if (!(isRetryable(error) || stale) || attempts >= MAX_TRANSACTION_ATTEMPTS) throw error;
        }
      } finally {
        checkout.release(failure);
      }
      if (retryAfterMs > 0) await pause(retryAfterMs);
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
  for (let retry = 0; ; retry++) {
    // A client of its own, with an 'error' listener: the server may cut it (restart) at any time,
    // and an 'error' event without a listener kills the process. The error also rejects whatever
    // the client was doing, which is what is reported. A server down or starting up is tried
    // again a few times.
    const bootstrap = new pg.Client({ connectionString: split.url });
    bootstrap.on('error', () => undefined);
    try {
      await bootstrap.connect();
      await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      break;
    } catch (error) {
      const delay = CONNECTION_RETRY_DELAYS_MS[retry];
      if (delay === undefined || !isConnectionError(error)) throw error;
      await pause(delay);
    } finally {
      await bootstrap.end().catch(() => undefined);
    }
  }
  const pool = new pg.Pool({
    connectionString: split.url,
    max: poolSize,
    options: `-c search_path=${quoteIdent(schema)}`,
    // A server that vanished without closing its connections (network gone) is noticed.
    keepAlive: true,
  });
  // An idle connection the server cut (a restart: 57P01) is dropped by the pool, which connects
  // anew on the next checkout; checked-out connections have a listener of their own (Checkout).
  pool.on('error', () => undefined);
  return new PgStore(pool, schema, preparedStatements);
}
