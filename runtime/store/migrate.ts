// Versioned migrations: runtime/store/migrations/NNN_name.sql, applied in order, each once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store.js';
import { projectPath } from '../../compiler/project-root.js';

const MIGRATIONS_DIR = projectPath('runtime', 'store', 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{3}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

/** Applies the migrations not yet applied; returns the ones it applied. */
export async function migrate(store: Store, migrations = listMigrations()): Promise<Migration[]> {
  await store.exec(`CREATE TABLE IF NOT EXISTS schema_migration (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: Migration[] = [];
  for (const migration of migrations) {
    const done = await store.transaction(async (tx) => {
      // Serialises concurrent migrators on a server database.
      await tx.query('LOCK TABLE schema_migration IN EXCLUSIVE MODE');
      const rows = await tx.query('SELECT 1 FROM schema_migration WHERE version = $1', [migration.version]);
      if (rows.length > 0) return false;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migration (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (done) applied.push(migration);
  }
  return applied;
}
