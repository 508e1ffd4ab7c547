// The one storage seam of the runtime: the same SQL on embedded PGlite and on server PostgreSQL.
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Store extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** The schema every statement runs in. */
  readonly schema: string;
  /**
   * Runs `work` in one transaction. On a deadlock or serialization failure the whole callback
   * runs again, so it must not do anything but database work and pure computation.
   */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Server PostgreSQL; when absent, embedded PGlite. */
  databaseUrl?: string;
  /** PGlite data folder; in memory when absent. */
  dataDir?: string;
  /** Schema to work in (created if missing); `public` by default. */
  schema?: string;
  /** pg pool size. */
  poolSize?: number;
  /**
   * Server PostgreSQL: run statements with parameters as named prepared statements (default). Off
   * (`false`) for a connection pooler in transaction mode (pgbouncer), where a statement prepared
   * on one server connection is missing on the next: the same SQL then runs unnamed. When absent:
   * `o2a_prepared_statements=on|off` in the database URL's query string, else the environment
   * variable `O2A_PG_PREPARED_STATEMENTS=on|off`, else on.
   */
  preparedStatements?: boolean;
}

const RETRYABLE = new Set(['40001', '40P01']);
export const MAX_TRANSACTION_ATTEMPTS = 5;

export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  if (options.databaseUrl) {
    const { openPgStore } = await import('./pg-store.js');
    return openPgStore(options.databaseUrl, options.schema ?? 'public', options.poolSize, { preparedStatements: options.preparedStatements });
  }
  const { openPgliteStore } = await import('./pglite-store.js');
  return openPgliteStore(options.dataDir, options.schema ?? 'public');
}
