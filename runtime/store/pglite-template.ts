// A fresh PGlite cluster without initdb. PGlite creates a new cluster (an in-memory database, or
// a data folder used for the first time) by running initdb: a second PGlite instance and the
// initdb WebAssembly module beside the first, ~6x the CPU of opening an existing cluster and
// ~700 MB of peak RSS. The cluster initdb makes is the same every time for one PGlite build, so
// it is made once, dumped (PGlite's `dumpDataDir`, a tar) into a cache file, and every later new
// cluster is that tar: loaded by PGlite into memory (`loadDataDir`), or written into a new data
// folder (next to it first, then renamed into place: a kill cannot leave half a cluster).
//
// The cache: `node_modules/.cache/o2a/` beside PGlite (O2A_CACHE_DIR moves it; `off` turns it
// off), one file per PGlite build, written to a temporary name and renamed (concurrent processes
// at worst both make it). When it cannot be written, or a cached file does not load, PGlite's own
// initdb runs as before.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  closeSync, existsSync, fstatSync, mkdirSync, openAsBlob, openSync, readdirSync, readSync, readFileSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/** initdb's options for the template: WAL segments of 1 MB instead of 16 (a new cluster is 15 MB smaller). */
export const TEMPLATE_INITDB_PARAMS = ['--wal-segsize=1'];
const FORMAT = 1;

interface PgliteBuild { dir: string; version: string }

function pgliteBuild(): PgliteBuild | null {
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const marker = `${sep}@electric-sql${sep}pglite${sep}`;
    const at = entry.lastIndexOf(marker);
    if (at < 0) return null;
    const dir = entry.slice(0, at + marker.length - 1);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? { dir, version } : null;
  } catch {
    return null;
  }
}

/** The cache file of this PGlite build's template, or null when there is no cache. */
export function templatePath(): string | null {
  const configured = process.env.O2A_CACHE_DIR;
  if (configured === 'off') return null;
  const build = pgliteBuild();
  if (!build) return null;
  const cacheDir = configured ? resolve(configured) : join(dirname(dirname(build.dir)), '.cache', 'o2a');
  const fingerprint = createHash('sha256');
  fingerprint.update(`${FORMAT}\n${build.version}\n${TEMPLATE_INITDB_PARAMS.join(' ')}\n`);
  for (const file of ['pglite.wasm', 'pglite.data', 'initdb.wasm']) {
    try { fingerprint.update(`${file}:${statSync(join(build.dir, 'dist', file)).size}\n`); } catch { return null; }
  }
  return join(cacheDir, `pglite-${build.version}-${fingerprint.digest('hex').slice(0, 12)}.tar`);
}

/** The cached template, or null (no cache, not made yet, or unreadable). */
export function readTemplate(path = templatePath()): Uint8Array | null {
  if (!path) return null;
  try {
    const bytes = readFileSync(path);
    return tarEntries(bytes) ? bytes : null;
  } catch {
    return null;
  }
}

/**
 * The cached template as a Blob backed by the file (PGlite reads it once; no copy held here), or
 * null. Checked first, header by header: PGlite, given an archive that is not one, tries it as
 * gzip and fails outside its promise (an unhandled rejection).
 */
export async function templateBlob(path = templatePath()): Promise<Blob | null> {
  if (!path || !isTarFile(path)) return null;
  try {
    return await openAsBlob(path);
  } catch {
    return null;
  }
}

/** Forgets a cached template that did not load (the next new cluster makes it again). */
export function dropTemplate(path = templatePath()): void {
  if (path) rmSync(path, { force: true });
}

/**
 * Dumps a cluster just made by initdb (nothing else done in it) into the cache. A CHECKPOINT
 * first, so the cluster loaded from it has nothing to replay. Best effort: null when the cache
 * cannot be written.
 */
export async function saveTemplate(db: PGlite, path = templatePath()): Promise<Uint8Array | null> {
  if (!path) return null;
  try {
    await db.exec('CHECKPOINT');
    const bytes = new Uint8Array(await (await db.dumpDataDir('none')).arrayBuffer());
    if (!tarEntries(bytes)) return null;
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
    return bytes;
  } catch {
    return null;
  }
}

/** Makes the template with PGlite's own initdb (in memory) and caches it. */
export async function makeTemplate(PGliteClass: typeof PGlite, options: PGliteOptions): Promise<Uint8Array | null> {
  const db = new PGliteClass({ ...options, initDbStartParams: TEMPLATE_INITDB_PARAMS });
  try {
    await db.waitReady;
    return await saveTemplate(db);
  } finally {
    await db.close();
  }
}

interface TarEntry { name: string; type: 'file' | 'dir'; mode: number; data: Uint8Array }

function field(bytes: Uint8Array, at: number, length: number): string {
  const raw = bytes.subarray(at, at + length);
  const end = raw.indexOf(0);
  return Buffer.from(end < 0 ? raw : raw.subarray(0, end)).toString('utf8');
}

interface TarHeader { name: string; type: 'file' | 'dir'; mode: number; size: number }

/** One 512-byte ustar header, checked (checksum, a name inside the folder, a file or a folder); 'end' for the zero block. */
function tarHeader(header: Uint8Array): TarHeader | 'end' | null {
  if (header.length !== 512) return null;
  if (header.every((b) => b === 0)) return 'end';
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i]!;
  if (parseInt(field(header, 148, 8).trim(), 8) !== sum) return null;
  const prefix = field(header, 345, 155);
  const name = ((prefix ? `${prefix}/` : '') + field(header, 0, 100)).replace(/^\/+/, '').replace(/\/+$/, '');
  const size = parseInt(field(header, 124, 12).trim() || '0', 8);
  const mode = parseInt(field(header, 100, 8).trim() || '0', 8) & 0o777;
  const flag = String.fromCharCode(header[156]!);
  if (!Number.isSafeInteger(size) || size < 0) return null;
  if (!name || name.split('/').some((part) => part === '' || part === '.' || part === '..')) return null;
  if (flag === '5') return { name, type: 'dir', mode, size: 0 };
  if (flag === '0' || flag === '\0') return { name, type: 'file', mode, size };
  return null;
}

/**
 * The entries of a ustar archive as PGlite's `dumpDataDir` writes it (regular files and folders,
 * names relative to the data folder), checked: header checksums, sizes within the archive, no
 * name leaving the folder, the end marker. Null for anything else.
 */
export function tarEntries(bytes: Uint8Array): TarEntry[] | null {
  const entries: TarEntry[] = [];
  for (let at = 0; at + 512 <= bytes.length;) {
    const header = tarHeader(bytes.subarray(at, at + 512));
    if (header === 'end') return entries.length > 0 ? entries : null;
    if (!header || at + 512 + header.size > bytes.length) return null;
    entries.push({ name: header.name, type: header.type, mode: header.mode, data: bytes.subarray(at + 512, at + 512 + header.size) });
    at += 512 + Math.ceil(header.size / 512) * 512;
  }
  return null;
}

/** Whether the file at `path` is an archive `tarEntries` takes, read header by header (the contents are skipped). */
export function isTarFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const block = new Uint8Array(512);
    let entries = 0;
    for (let at = 0; at + 512 <= size;) {
      if (readSync(fd, block, 0, 512, at) !== 512) return false;
      const header = tarHeader(block);
      if (header === 'end') return entries > 0;
      if (!header || at + 512 + header.size > size) return false;
      entries += 1;
      at += 512 + Math.ceil(header.size / 512) * 512;
    }
    return false;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `dataDir` is to become a new cluster: missing, or an empty folder. */
export function isNewDataDir(dataDir: string): boolean {
  try {
    return readdirSync(dataDir).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

const CREATING = '.o2a-creating-';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (error) { return (error as NodeJS.ErrnoException).code === 'EPERM'; }
}

/**
 * Writes the template's cluster into the new data folder `dataDir`: into a folder beside it
 * first, renamed into place once complete (a kill leaves either no cluster or a whole one; the
 * leftovers of a killed writer are removed the next time). Returns false, having changed
 * nothing, when the template does not fit or the folder is no longer new (another process made it).
 */
export function writeTemplate(template: Uint8Array, dataDir: string): boolean {
  const entries = tarEntries(template);
  if (!entries) return false;
  const target = resolve(dataDir);
  const parent = dirname(target);
  const stem = `.${basename(target)}${CREATING}`;
  try {
    for (const name of readdirSync(parent)) {
      const pid = Number(name.slice(stem.length));
      if (name.startsWith(stem) && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) {
        rmSync(join(parent, name), { recursive: true, force: true });
      }
    }
  } catch { /* the parent is missing: PGlite says so */ }
  const staging = join(parent, `${stem}${process.pid}`);
  try {
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { mode: 0o700 });
    for (const entry of entries) {
      const path = join(staging, ...entry.name.split('/'));
      if (entry.type === 'dir') mkdirSync(path, { recursive: true, mode: entry.mode || 0o700 });
      else {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
        writeFileSync(path, entry.data, { mode: entry.mode || 0o600 });
      }
    }
    if (!existsSync(join(staging, 'PG_VERSION'))) throw new Error('template without PG_VERSION');
    if (existsSync(target)) {
      if (!isNewDataDir(target)) throw new Error('made meanwhile');
      rmdirSync(target);
    }
    renameSync(staging, target);
    return true;
  } catch {
    rmSync(staging, { recursive: true, force: true });
    return false;
  }
}
