// The cached cluster template of the embedded store (runtime/store/pglite-template.ts): a new
// cluster, in memory or in a new data folder, is the template when one is cached, else PGlite's
// initdb (which then fills the cache); the archive is checked before anything is written; a new
// folder appears whole or not at all; a cache file that does not load is dropped and made again.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteStore } from '../../runtime/store/pglite-store.js';
import { tarEntries, templatePath, writeTemplate } from '../../runtime/store/pglite-template.js';

const scratch = mkdtempSync(join(tmpdir(), 'o2a-pglite-template-'));
const previous = process.env.O2A_CACHE_DIR;

beforeAll(() => { process.env.O2A_CACHE_DIR = join(scratch, 'cache'); });
afterAll(() => {
  if (previous === undefined) delete process.env.O2A_CACHE_DIR;
  else process.env.O2A_CACHE_DIR = previous;
  rmSync(scratch, { recursive: true, force: true });
});

/** A ustar archive as PGlite's dumpDataDir writes it (names with a leading slash). */
function ustar(entries: { name: string; data?: string; dir?: boolean; mode?: number }[], corrupt = false): Uint8Array {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    const data = Buffer.from(entry.data ?? '');
    header.write(entry.name, 0, 100, 'utf8');
    header.write(`${(entry.mode ?? (entry.dir ? 0o700 : 0o600)).toString(8).padStart(7, '0')}\0`, 100);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write(`${'0'.repeat(11)}\0`, 136);
    header[156] = (entry.dir ? '5' : '0').charCodeAt(0);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.fill(32, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${(corrupt ? sum + 1 : sum).toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(Buffer.concat(blocks));
}

const CLUSTER = [
  { name: '/PG_VERSION', data: '17\n' },
  { name: '/global', dir: true },
  { name: '/global/pg_control', data: 'control' },
  { name: '/postgresql.conf', data: '# conf\n' },
];

describe('the archive of a template', () => {
  it('reads files and folders, names relative to the data folder', () => {
    const entries = tarEntries(ustar(CLUSTER));
    expect(entries?.map((e) => [e.name, e.type])).toEqual([['PG_VERSION', 'file'], ['global', 'dir'], ['global/pg_control', 'file'], ['postgresql.conf', 'file']]);
    expect(Buffer.from(entries![2]!.data).toString()).toBe('control');
  });

  it('refuses a bad checksum, a name leaving the folder, a truncated archive, other entry types, garbage', () => {
    expect(tarEntries(ustar(CLUSTER, true))).toBeNull();
    expect(tarEntries(ustar([{ name: '/../escape', data: 'x' }]))).toBeNull();
    expect(tarEntries(ustar([{ name: '/a/./b', data: 'x' }]))).toBeNull();
    const whole = ustar([{ name: '/big', data: 'y'.repeat(2000) }]);
    expect(tarEntries(whole.subarray(0, 1024))).toBeNull();
    const link = ustar([{ name: '/link', data: '' }]);
    link[156] = '2'.charCodeAt(0);
    expect(tarEntries(link)).toBeNull();
    expect(tarEntries(new Uint8Array(0))).toBeNull();
    expect(tarEntries(new Uint8Array(Buffer.from('not a tar at all'.repeat(100))))).toBeNull();
  });
});

describe('a new data folder from the template', () => {
  it('appears whole under its name, with the modes of the archive; no staging folder is left', () => {
    const dir = join(scratch, 'new-a');
    expect(writeTemplate(ustar(CLUSTER), dir)).toBe(true);
    expect(readFileSync(join(dir, 'global', 'pg_control'), 'utf8')).toBe('control');
    expect(statSync(join(dir, 'PG_VERSION')).mode & 0o777).toBe(0o600);
    expect(readdirSync(scratch).filter((n) => n.includes('o2a-creating'))).toEqual([]);
  });

  it('fills an empty folder; leaves a folder with anything in it alone', () => {
    const empty = join(scratch, 'new-b');
    mkdirSync(empty);
    expect(writeTemplate(ustar(CLUSTER), empty)).toBe(true);
    const used = join(scratch, 'new-c');
    mkdirSync(used);
    writeFileSync(join(used, 'mine.txt'), 'keep');
    expect(writeTemplate(ustar(CLUSTER), used)).toBe(false);
    expect(readdirSync(used)).toEqual(['mine.txt']);
  });

  it('writes nothing from an archive without PG_VERSION or a bad one', () => {
    const dir = join(scratch, 'new-d');
    expect(writeTemplate(ustar([{ name: '/other', data: 'x' }]), dir)).toBe(false);
    expect(writeTemplate(ustar(CLUSTER, true), dir)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(scratch).filter((n) => n.includes('o2a-creating'))).toEqual([]);
  });

  it('removes the staging folder a killed process left, not one of a live process', () => {
    const dir = join(scratch, 'new-e');
    const dead = join(scratch, '.new-e.o2a-creating-999999999');
    const live = join(scratch, `.new-e.o2a-creating-${process.ppid}`);
    mkdirSync(dead);
    mkdirSync(live);
    expect(writeTemplate(ustar(CLUSTER), dir)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });
});

describe('clusters from the cached template (real PGlite)', () => {
  it('in memory: the first makes the cache by initdb, the next loads it; a data folder made from it keeps what is committed', async () => {
    const cache = templatePath();
    expect(cache).toMatch(/pglite-.*\.tar$/);
    expect(existsSync(cache!)).toBe(false);
    const first = await openPgliteStore(undefined, 'public');
    await first.close();
    expect(existsSync(cache!)).toBe(true);
    expect(tarEntries(readFileSync(cache!))?.some((e) => e.name === 'PG_VERSION')).toBe(true);

    const second = await openPgliteStore(undefined, 'o2a_t');
    await second.exec('CREATE TABLE t (v text)');
    await second.query('INSERT INTO t VALUES ($1)', ['in memory']);
    expect(await second.query('SELECT v FROM t')).toEqual([{ v: 'in memory' }]);
    expect(await second.query("SELECT current_setting('shared_buffers') AS b")).toEqual([{ b: '16MB' }]);
    await second.close();

    const dir = join(scratch, 'db');
    const store = await openPgliteStore(dir, 'public');
    await store.exec('CREATE TABLE t (v text)');
    await store.query('INSERT INTO t VALUES ($1)', ['kept']);
    await store.close();
    const again = await openPgliteStore(dir, 'public');
    expect(await again.query('SELECT v FROM t')).toEqual([{ v: 'kept' }]);
    await again.close();
  }, 240_000);

  it('a cache file that does not load is dropped and made again; the cluster opens all the same', async () => {
    const cache = templatePath()!;
    writeFileSync(cache, Buffer.from('garbage'.repeat(1000)));
    const store = await openPgliteStore(undefined, 'public');
    expect(await store.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await store.close();
    expect(tarEntries(readFileSync(cache))).not.toBeNull();
  }, 240_000);

  it('O2A_CACHE_DIR=off: no cache, PGlite\'s initdb as before', async () => {
    process.env.O2A_CACHE_DIR = 'off';
    try {
      expect(templatePath()).toBeNull();
    } finally {
      process.env.O2A_CACHE_DIR = join(scratch, 'cache');
    }
  });
});
