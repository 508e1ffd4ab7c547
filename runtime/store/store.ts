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
   * runs again, so it must not do anything but database work and pure computation. On server
   * PostgreSQL it also runs again, a few times with a short pause, when its connection could not
   * be had or was lost before COMMIT was sent (the server rolls the transaction back); past that,
   * or when the connection was lost after COMMIT was sent (outcome unknown), the connection error
   * (`isConnectionError`) goes to the caller, whose loop retries with backoff.
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

/**
 * SQLSTATEs of a lost or refused connection: the server shutting down (57P01 admin shutdown,
 * 57P02 crash shutdown), starting up or in recovery (57P03), too many clients (53300), and the
 * connection exception class (08xxx).
 */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** Node's socket errors of a server that is gone or not reachable. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH',
  'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN',
]);
/** What `pg` and `pg-pool` say when a connection ends or cannot be had (they give no code). */
const CONNECTION_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|server closed the connection unexpectedly|the database system is (starting up|shutting down|in recovery mode)/i;

/**
 * Whether an error says the database connection was lost or could not be made (the server went
 * away, restarts, or is not reachable), as opposed to an error of the statement itself. Looks at
 * the error's `cause` chain too. PGlite never raises these.
 */
export function isConnectionError(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || code.startsWith('08') || CONNECTION_ERRNOS.has(code))) return true;
    if (e instanceof AggregateError && e.errors.some(isConnectionError)) return true;
    if (CONNECTION_MESSAGES.test(String((e as { message?: unknown }).message ?? ''))) return true;
  }
  return false;
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
