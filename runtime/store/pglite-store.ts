import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { quoteIdent, type Queryable, type Store } from './store.js';

interface Transactional {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

/** One PGlite instance may serve several schemas (tests isolate by schema); remembers the active one. */
const activeSchema = new WeakMap<PGlite, string>();

class PgliteStore implements Store {
  readonly kind = 'pglite' as const;
  constructor(readonly db: PGlite, readonly schema: string, private readonly owned: boolean) {}

  private async ensureSchema(on: Transactional): Promise<void> {
    if (activeSchema.get(this.db) === this.schema) return;
    await on.exec(`SET search_path TO ${quoteIdent(this.schema)}`);
    activeSchema.set(this.db, this.schema);
  }

  async query<R = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    return this.transaction((tx) => tx.query<R>(sql, params));
  }

  async exec(sql: string): Promise<void> {
    await this.transaction((tx) => tx.exec(sql));
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    // PGlite is one connection: transactions are serialised, so there is never a deadlock to retry.
    return this.db.transaction(async (raw) => {
      const tx = raw as unknown as Transactional;
      await this.ensureSchema(tx);
      return work({
        query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
        exec: async (sql: string) => { await tx.exec(sql); },
      });
    });
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}

/**
 * A data folder whose creation was cut short (the process killed in the milliseconds after
 * `PG_VERSION` was written and before the configuration files were): PGlite cannot open it, and
 * would fail with an unhelpful error or hang. No order can be in it yet.
 */
export function incompleteDataDir(dataDir: string): string | null {
  if (!existsSync(join(dataDir, 'PG_VERSION'))) return null;
  for (const file of ['pg_hba.conf', 'postgresql.conf', join('global', 'pg_control')]) {
    if (!existsSync(join(dataDir, file))) return file;
  }
  return null;
}

export async function openPgliteStore(dataDir: string | undefined, schema: string): Promise<Store> {
  const missing = dataDir ? incompleteDataDir(dataDir) : null;
  if (dataDir && missing) {
    throw Object.assign(new Error(
      `PGlite data folder ${dataDir} is incomplete (${missing} missing): its creation was interrupted; no order is in it: delete it and run again`,
    ), { code: 'O2A_PGLITE_INCOMPLETE' });
  }
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  return pgliteStoreOn(db, schema, true);
}

/** A store over an existing instance, in its own schema (created if missing). */
export async function pgliteStoreOn(db: PGlite, schema: string, owned = false): Promise<Store> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  activeSchema.delete(db);
  return new PgliteStore(db, schema, owned);
}
