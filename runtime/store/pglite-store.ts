import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { quoteIdent, type Queryable, type Store } from './store.js';
import { dropTemplate, isNewDataDir, makeTemplate, readTemplate, saveTemplate, templateBlob, TEMPLATE_INITDB_PARAMS, templatePath, writeTemplate } from './pglite-template.js';

interface Transactional {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

/** One PGlite instance may serve several schemas (tests isolate by schema); remembers the active one. */
const activeSchema = new WeakMap<PGlite, string>();

/** Transactions between two looks at how much WAL a PGlite wrote since its last checkpoint. */
const CHECKPOINT_CHECK_EVERY = 100;
/** WAL written since the last checkpoint past which a PGlite takes one. */
const WAL_CHECKPOINT_BYTES = 32 * 1024 * 1024;
/** Transactions since the last look, per PGlite (several stores may share one, each its schema). */
const sinceCheck = new WeakMap<PGlite, number>();

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
    const result = await this.db.transaction(async (raw) => {
      const tx = raw as unknown as Transactional;
      await this.ensureSchema(tx);
      return work({
        query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
        exec: async (sql: string) => { await tx.exec(sql); },
      });
    });
    await this.checkpointWhenDue();
    return result;
  }

  /**
   * PGlite runs PostgreSQL as a single-user backend, which takes no checkpoint of its own: the WAL
   * (PGlite's in-memory files, or the data folder's pg_wal) would grow with every write for as long
   * as the process runs. Every CHECKPOINT_CHECK_EVERY transactions, the WAL written since the last
   * checkpoint is looked at, and past WAL_CHECKPOINT_BYTES a checkpoint is taken, which lets the
   * segments before it go.
   */
  private async checkpointWhenDue(): Promise<void> {
    const count = (sinceCheck.get(this.db) ?? 0) + 1;
    sinceCheck.set(this.db, count < CHECKPOINT_CHECK_EVERY ? count : 0);
    if (count < CHECKPOINT_CHECK_EVERY || this.db.closed) return;
    try {
      const { rows } = await this.db.query<{ behind: number | string | null }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn) AS behind FROM pg_control_checkpoint()');
      if (Number(rows[0]?.behind ?? 0) > WAL_CHECKPOINT_BYTES) await this.db.exec('CHECKPOINT');
    } catch {
      // Housekeeping after a committed transaction: its failure (the database closing meanwhile)
      // is not the transaction's; the next check tries again.
    }
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

/**
 * How PGlite is started: its defaults, with 16 MB of shared buffers instead of the 128 MB its
 * initdb writes into postgresql.conf. PostgreSQL zeroes its shared memory at start: with 128 MB
 * that is a good part of the start's CPU and 120 MB of RSS. Pages not in the buffers are read
 * back from the data folder (the OS's page cache) or PGlite's in-memory files.
 */
export const PGLITE_START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/**
 * A started PGlite: on a data folder (`dataDir`) or in memory. A new cluster (memory, or a
 * missing or empty folder) is the cached template of a fresh cluster when there is one
 * (pglite-template.ts), else made by PGlite's initdb, which then fills the cache.
 */
export async function startPglite(dataDir?: string): Promise<PGlite> {
  const options: PGliteOptions = { startParams: PGLITE_START_PARAMS };
  const path = templatePath();
  if (!dataDir) {
    const template = await templateBlob(path);
    if (template) {
      try {
        const db = new PGlite({ ...options, loadDataDir: template });
        await db.waitReady;
        return db;
      } catch {
        dropTemplate(path);
      }
    }
    const db = new PGlite({ ...options, initDbStartParams: TEMPLATE_INITDB_PARAMS });
    await db.waitReady;
    if (path) await saveTemplate(db, path);
    return db;
  }
  if (path && isNewDataDir(dataDir)) {
    const template = readTemplate(path) ?? await makeTemplate(PGlite, options);
    if (template && writeTemplate(template, dataDir)) {
      try {
        const db = new PGlite(dataDir, options);
        await db.waitReady;
        return db;
      } catch {
        // The cluster written this moment does not start: no order can be in it.
        dropTemplate(path);
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  }
  const db = new PGlite(dataDir, options);
  await db.waitReady;
  return db;
}

export async function openPgliteStore(dataDir: string | undefined, schema: string): Promise<Store> {
  const missing = dataDir ? incompleteDataDir(dataDir) : null;
  if (dataDir && missing) {
    throw Object.assign(new Error(
      `PGlite data folder ${dataDir} is incomplete (${missing} missing): its creation was interrupted; no order is in it: delete it and run again`,
    ), { code: 'O2A_PGLITE_INCOMPLETE' });
  }
  return pgliteStoreOn(await startPglite(dataDir), schema, true);
}

/** A store over an existing instance, in its own schema (created if missing). */
export async function pgliteStoreOn(db: PGlite, schema: string, owned = false): Promise<Store> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  activeSchema.delete(db);
  return new PgliteStore(db, schema, owned);
}
