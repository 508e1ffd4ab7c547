// Profile of the runtime benchmark: runs the same Home Fiber workload (fewer orders by default) and
// counts the statements, transactions and commits per order, the time spent waiting on each kind
// of statement, and the CPU of this process and of the PostgreSQL server processes.
//   node --import tsx bench/runtime/profile.ts [orders] [concurrency]
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Queryable, Store } from '../../runtime/store/store.js';
import { runRuntimeBench } from './bench.js';

interface Stat { count: number; ms: number; bytes: number }

function shape(sql: string): string {
  return sql.replace(/\s+/g, ' ').trim().slice(0, 90);
}

/** A store that counts every statement it runs, by the statement's first words. */
export function profiledStore(inner: Store): { store: Store; stats: Map<string, Stat>; report: () => Record<string, number> } {
  const stats = new Map<string, Stat>();
  const counters = { statements: 0, transactions: 0, autocommit: 0, retries: 0 };
  const time = async <T>(sql: string, run: () => Promise<T>, params?: unknown[]): Promise<T> => {
    const start = performance.now();
    const bytes = (params ?? []).reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : JSON.stringify(p ?? null).length), 0);
    try {
      return await run();
    } finally {
      const key = shape(sql);
      const stat = stats.get(key) ?? { count: 0, ms: 0, bytes: 0 };
      stat.count++;
      stat.bytes += bytes;
      stat.ms += performance.now() - start;
      stats.set(key, stat);
      counters.statements++;
    }
  };
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => time(sql, () => q.query(sql, params), params),
    exec: (sql) => time(sql, () => q.exec(sql)),
  });
  const store: Store = {
    kind: inner.kind,
    schema: inner.schema,
    query: (sql, params) => { counters.autocommit++; return time(sql, () => inner.query(sql, params), params); },
    exec: (sql) => time(sql, () => inner.exec(sql)),
    transaction: (work) => {
      counters.transactions++;
      let attempts = 0;
      return inner.transaction((tx) => { if (attempts++ > 0) counters.retries++; return work(wrap(tx)); });
    },
    close: () => inner.close(),
  };
  return { store, stats, report: () => ({ ...counters }) };
}

/** CPU seconds (user + system) of these processes (the server backends of this run's pool). */
function cpuSecondsOf(pids: number[]): number {
  const tick = 100;
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch { /* gone */ }
  }
  return total;
}

/** Server-side time by statement shape, from the PostgreSQL log lines of this run's database. */
function serverTimes(logFile: string, from: number, database: string, orders: number): string[] {
  let text: string;
  try { text = readFileSync(logFile, 'utf8').slice(from); } catch (error) { return [`(no server log: ${(error as Error).message})`]; }
  const stats = new Map<string, Stat>();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.includes(`@${database} `)) continue;
    const m = /duration: ([0-9.]+) ms {2}(?:(parse|bind|execute) [^:]*: |statement: )(.*)$/.exec(line);
    if (!m) continue;
    const ms = Number(m[1]);
    const key = `${(m[2] ?? 'simple').padEnd(7)} ${shape(m[3] ?? '')}`;
    const stat = stats.get(key) ?? { count: 0, ms: 0, bytes: 0 };
    stat.count++; stat.ms += ms; total += ms;
    stats.set(key, stat);
  }
  const lines = [`server time ${(total / 1000).toFixed(1)} s (${(total / orders).toFixed(2)} ms/order), by statement:`];
  for (const [sql, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 24)) {
    lines.push(`${(s.ms / orders).toFixed(3).padStart(7)} ms/order ${(s.ms / s.count).toFixed(2).padStart(7)} ms/each ${(s.count / orders).toFixed(2).padStart(6)}/order  ${sql}`);
  }
  return lines;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const orders = Number(process.argv[2] ?? 1000);
  const concurrency = Number(process.argv[3] ?? 3);
  // --server-log FILE: log every statement's server-side duration for this database (superuser).
  const logAt = process.argv.indexOf('--server-log');
  const logFile = logAt > 0 ? process.argv[logAt + 1] as string : null;
  const admin = 'postgres://root@127.0.0.1:5432/postgres';
  let logFrom = 0;
  if (logFile) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query('ALTER DATABASE o2a_bench SET log_min_duration_statement = 0');
    await c.query('ALTER DATABASE o2a_bench SET log_parameter_max_length = 0');
    const explainMs = process.argv[process.argv.indexOf('--explain-ms') + 1];
    if (process.argv.includes('--explain-ms')) {
      // Plans of the slow statements, in the server log (auto_explain).
      await c.query(`ALTER DATABASE o2a_bench SET session_preload_libraries = 'auto_explain'`);
      await c.query(`ALTER DATABASE o2a_bench SET auto_explain.log_min_duration = ${Number(explainMs)}`);
      await c.query(`ALTER DATABASE o2a_bench SET auto_explain.log_nested_statements = on`);
      if (process.argv.includes('--explain-analyze')) {
        await c.query(`ALTER DATABASE o2a_bench SET auto_explain.log_analyze = on`);
        await c.query(`ALTER DATABASE o2a_bench SET auto_explain.log_buffers = on`);
      }
    }
    await c.end();
    try { logFrom = readFileSync(logFile).length; } catch { logFrom = 0; }
  }
  let profile: ReturnType<typeof profiledStore> | null = null;
  let tables: string[] = [];
  let sizeLines: string[] = [];
  let walBytes = 0;
  let wal0 = '0/0';
  let cpu0 = process.cpuUsage();
  let pgCpu = 0;
  const result = await runRuntimeBench({
    orders, concurrency,
    wrapStore: (store) => {
      cpu0 = process.cpuUsage();
      void store.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn').then((rows) => { wal0 = rows[0]?.lsn ?? '0/0'; });
      profile = profiledStore(store); return profile.store; },
    inspect: async (store) => {
      const [lsn] = await store.query<{ wal: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint AS wal', [wal0]);
      walBytes = Number(lsn?.wal ?? 0);
      const sizes = await store.query<{ relname: string; bytes: string }>(
        `SELECT c.relname, pg_total_relation_size(c.oid) AS bytes FROM pg_class c
          WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' ORDER BY 2 DESC`);
      sizeLines = sizes.filter((r) => Number(r.bytes) > 65536).map((r) => `${r.relname.padEnd(22)} ${(Number(r.bytes) / orders).toFixed(0).padStart(6)} bytes/order with indexes and TOAST`);
      const backends = await store.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
      pgCpu = cpuSecondsOf(backends.map((b) => Number(b.pid)));
      const rows = await store.query<{ relname: string; n_tup_ins: string; n_tup_upd: string; n_tup_hot_upd: string; n_tup_del: string }>(
        `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables
          WHERE schemaname = current_schema() ORDER BY relname`);
      await new Promise((r) => setTimeout(r, 600)); // statistics are flushed by the backends every 500 ms or so
      const again = await store.query<typeof rows[number]>(
        `SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables
          WHERE schemaname = current_schema() ORDER BY relname`);
      tables = (again.length ? again : rows).map((r) => `${r.relname.padEnd(22)} per order: ins ${(Number(r.n_tup_ins) / orders).toFixed(1)} upd ${(Number(r.n_tup_upd) / orders).toFixed(1)} (hot ${(Number(r.n_tup_hot_upd) / orders).toFixed(1)}) del ${(Number(r.n_tup_del) / orders).toFixed(1)}`);
      const types = await store.query<{ direction: string; type: string; n: string }>(
        'SELECT direction, type, count(*) AS n FROM event_log GROUP BY 1, 2 ORDER BY 3 DESC');
      tables.push(...types.map((t) => `  event_log ${t.direction.padEnd(5)} ${t.type.padEnd(34)} ${(Number(t.n) / orders).toFixed(1)}/order`));
    },
  });
  const cpu = process.cpuUsage(cpu0);
  const p = profile as unknown as ReturnType<typeof profiledStore>;
  console.log(JSON.stringify(result, null, 2));
  const counters = p.report();
  console.log(`node CPU (after loading the plans) ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s, postgres CPU ${pgCpu.toFixed(1)} s (the pool's backends, from their start), wall ${result.seconds} s`);
  console.log(`per order: ${(counters.statements! / orders).toFixed(1)} statements, ${(counters.transactions! / orders).toFixed(2)} transactions, ${(counters.autocommit! / orders).toFixed(2)} autocommit statements; retries ${counters.retries}`);
  for (const line of tables) console.log(line);
  console.log(`WAL ${(walBytes / orders / 1024).toFixed(1)} KiB/order (the whole server's, other databases included)`);
  for (const line of sizeLines) console.log(line);
  if (logFile) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    await c.query('ALTER DATABASE o2a_bench RESET log_min_duration_statement');
    await c.query('ALTER DATABASE o2a_bench RESET log_parameter_max_length');
    await c.query('ALTER DATABASE o2a_bench RESET session_preload_libraries');
    await c.query('ALTER DATABASE o2a_bench RESET auto_explain.log_min_duration');
    await c.query('ALTER DATABASE o2a_bench RESET auto_explain.log_nested_statements');
    await c.query('ALTER DATABASE o2a_bench RESET auto_explain.log_analyze');
    await c.query('ALTER DATABASE o2a_bench RESET auto_explain.log_buffers');
    await c.end();
    for (const line of serverTimes(logFile, logFrom, 'o2a_bench', orders)) console.log(line);
  }
  const rows = [...p.stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20);
  for (const [sql, s] of rows) console.log(`${(s.count / orders).toFixed(2).padStart(7)}/order ${s.ms.toFixed(0).padStart(7)} ms ${(s.ms / s.count).toFixed(2).padStart(6)} ms/each ${(s.bytes / orders).toFixed(0).padStart(6)} param bytes/order  ${sql}`);
}
