// The databases a CLI test runs its commands on: a PGlite folder of its own, and, when the local
// PostgreSQL is reachable, a database of its own there (dropped after the file). Each command is
// run through `main` with the store's flags, as a user would type it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { main } from '../../cli/main.js';
import type { StoreOptions } from '../../runtime/store/store.js';
import { Capture, PG_URL } from './harness.js';

export interface Outcome { code: number; stdout: string; stderr: string }

export interface CliStore {
  name: string;
  /** The store for a test in a scratch folder of its own: its options, and the CLI flags naming it. */
  open(dir: string): Promise<StoreOptions & { flags: string[] }>;
}

/**
 * The stores for a CLI test file (`label` names its scratch folders and databases); the scratch
 * folders and the database are removed after the file.
 */
export async function cliStores(label: string): Promise<{ stores: CliStore[]; scratch(): string }> {
  const folders: string[] = [];
  const databases: string[] = [];
  afterAll(async () => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
    if (databases.length === 0) return;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  const stores: CliStore[] = [
    { name: 'a PGlite folder', open: async (dir) => ({ dataDir: join(dir, 'db'), flags: ['--db', join(dir, 'db')] }) },
  ];
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
    const name = `o2a_${label.replace(/\W/g, '_')}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    await admin.query(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    // One database for the file: every test's orders have ids of their own.
    stores.push({ name: 'PostgreSQL', open: async () => ({ databaseUrl: url.toString(), flags: ['--database-url', url.toString()] }) });
  } catch (error) {
    console.warn(`${label}: skipping PostgreSQL (${PG_URL}): ${(error as Error).message}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), `o2a-${label}-`));
    folders.push(dir);
    return dir;
  };
  return { stores, scratch };
}

/** `o2a <args> <flags>` through `main`, its exit code and what it printed. */
export async function o2aWith(flags: string[], ...args: string[]): Promise<Outcome> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'o2a', ...args, ...flags], { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
