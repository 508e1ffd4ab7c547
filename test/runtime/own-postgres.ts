// A PostgreSQL server of the test's own, for tests that stop and start the database (the shared
// one on 127.0.0.1:5432 must never be stopped): initdb into a scratch folder under the system's
// temporary folder, on a free port of 127.0.0.1, trust authentication, its unix socket inside the
// folder, fsync off. initdb and pg_ctl refuse to run as root: as root they run as user `postgres`
// (runuser), which then owns the folder.
//
//   const why = ownPostgresUnavailable();       // a reason to skip, or null
//   const db = await createOwnPostgres();       // initdb + start; db.url: user postgres, database postgres
//   await db.stop(); await db.start();          // stop (fast mode: sessions are cut), start again
//   await db.destroy();                         // stop + remove the folder (also on process exit)
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';
/** The major versions tried, newest first (15 is the one this project runs on). */
const PREFERRED = ['15'];

export interface OwnPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  /** The scratch folder (data in `data/`, the server log in `server.log`). */
  readonly dir: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** Fast shutdown: open sessions are terminated (57P01), then the server stops. */
  stop(): Promise<void>;
  /** Stops the server (if running) and removes the folder. */
  destroy(): Promise<void>;
  /** The end of the server log, for failure messages. */
  log(lines?: number): string;
}

function binDir(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')));
  const version = PREFERRED.find((v) => versions.includes(v)) ?? versions.sort((a, b) => Number(b) - Number(a))[0];
  return version ? join(PG_ROOT, version, 'bin') : null;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresUser(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
}

/** Why a server of the test's own cannot be made here (the tests using one skip), or null. */
export function ownPostgresUnavailable(): string | null {
  const bin = binDir();
  if (!bin) return `no PostgreSQL server binaries (initdb) under ${PG_ROOT}`;
  if (isRoot) {
    if (!postgresUser()) return 'running as root and there is no user `postgres` to run initdb as';
    try { execFileSync('runuser', ['--help'], { stdio: 'ignore' }); } catch { return 'running as root and runuser is missing'; }
  }
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Runs a PostgreSQL program (as user postgres when we are root), in the scratch folder. */
function run(bin: string, program: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<string> {
  const file = join(bin, program);
  const [command, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(command, argv, { cwd, timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${program} ${args.join(' ')} failed: ${error.message}\n${stdout}${stderr}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** Every server of the test's own still there when the process exits is killed (immediate shutdown) and removed. */
const live = new Set<{ dir: string; data: string }>();
let exitHookInstalled = false;

function killOnExit(): void {
  for (const { dir, data } of live) {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch { /* not running */ }
    try { rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  live.clear();
}

export async function createOwnPostgres(): Promise<OwnPostgres> {
  const why = ownPostgresUnavailable();
  if (why) throw new Error(`cannot create a PostgreSQL server: ${why}`);
  const bin = binDir() as string;
  const dir = mkdtempSync(join(tmpdir(), 'o2a-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const entry = { dir, data };
  live.add(entry);
  if (!exitHookInstalled) { exitHookInstalled = true; process.once('exit', killOnExit); }
  let running = false;
  let port = 0;
  try {
    if (isRoot) {
      const user = postgresUser() as { uid: number; gid: number };
      chownSync(dir, user.uid, user.gid);
    }
    await run(bin, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], dir);
    port = await freePort();
    appendFileSync(join(data, 'postgresql.conf'), [
      '',
      '# o2a test server',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 50',
      'shared_buffers = 32MB',
      '',
    ].join('\n'));
    if (isRoot) {
      const user = postgresUser() as { uid: number; gid: number };
      writeFileSync(logFile, '');
      chownSync(logFile, user.uid, user.gid);
    }
  } catch (error) {
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const db: OwnPostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    get running() { return running; },
    async start() {
      await run(bin, 'pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'], dir);
      running = true;
    },
    async stop() {
      await run(bin, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], dir);
      running = false;
    },
    async destroy() {
      if (!live.has(entry)) return;
      try {
        if (running || existsSync(join(data, 'postmaster.pid'))) {
          await run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'], dir).catch(() => undefined);
        }
      } finally {
        running = false;
        live.delete(entry);
        rmSync(dir, { recursive: true, force: true });
      }
    },
    log(lines = 40) {
      try { return readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
    },
  };
  try {
    await db.start();
  } catch (error) {
    const log = db.log();
    await db.destroy();
    throw new Error(`${(error as Error).message}\n${log}`);
  }
  return db;
}
