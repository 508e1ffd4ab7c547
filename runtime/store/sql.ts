// Batched statements: one round trip for many rows, the same SQL on PGlite and PostgreSQL.
import type { Queryable } from './store.js';

export interface Conflict {
  key: string[];
  /** Columns to overwrite on conflict; empty: DO NOTHING. */
  update: string[];
}

export function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // PostgreSQL's JSON form of a UTC timestamptz ("2026-11-26T01:50:26.12+00:00"): rewritten
  // without a Date round trip (loads read timestamps this way, many per transaction).
  if (typeof value === 'string' && value.length >= 25 && value.charCodeAt(10) === 84 && value.endsWith('+00:00')) {
    const fraction = value.slice(20, -6);
    return `${value.slice(0, 19)}.${(fraction + '000').slice(0, 3)}Z`;
  }
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value ?? null;
}

/** The SQL type of a column written through a batch (its values travel as one array of that type). */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'boolean' | 'jsonb' | 'json' | 'timestamptz';
export type Column = readonly [name: string, type: ColumnType];

/**
 * One column of rows as a PostgreSQL array literal (`{"a","b",NULL}`): the server parses it with
 * the element type's input function, far cheaper than a JSON document per row. json/jsonb values
 * are plain values, written as their JSON text.
 */
export function arrayLiteral(values: readonly unknown[], type: ColumnType): string {
  // A JSON string literal is a valid quoted array element (same escapes for `"` and `\\`) unless
  // it escapes a control character or a lone surrogate; JSON's null is the array's NULL. JSON
  // text itself holds neither, so json values always take this road (as JSON strings of their text).
  if (type === 'json' || type === 'jsonb') {
    return `{${JSON.stringify(values.map((v) => (v === null || v === undefined ? null : JSON.stringify(v)))).slice(1, -1)}}`;
  }
  let plain = true;
  for (const v of values) {
    if (v === null || v === undefined || typeof v === 'number') continue;
    if (typeof v !== 'string' || UNSAFE_IN_JSON.test(v)) { plain = false; break; }
  }
  if (plain) return `{${JSON.stringify(values.map((v) => v ?? null)).slice(1, -1)}}`;
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const value = values[i];
    if (value === null || value === undefined) { out += 'NULL'; continue; }
    out += `"${String(value).replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}

/** Characters JSON.stringify writes as escapes that an array literal would read differently. */
const UNSAFE_IN_JSON = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * The rows as a set of one row per element (`ROWS FROM (...) AS alias(columns)`, numbered from
 * parameter `first`): one array parameter per column, except json and jsonb columns, which take
 * one JSON array each (their values as they are, no second encoding). `select` lists the columns
 * for a SELECT over them (a JSON null stands for NULL there).
 */
export function unnestRows(
  columns: readonly Column[], rows: readonly unknown[][], first: number, options: { alias?: string; ordinality?: string } = {},
): { from: string; select: string; params: string[] } {
  const alias = options.alias ?? 'r';
  const params: string[] = [];
  const sources: string[] = [];
  const selected: string[] = [];
  columns.forEach(([name, type], c) => {
    const values = rows.map((row) => row[c]);
    const n = first + c;
    if (type === 'json' || type === 'jsonb') {
      params.push(JSON.stringify(values.map((v) => v ?? null)));
      sources.push(`${type}_array_elements($${n}::${type})`);
      selected.push(type === 'jsonb'
        ? `NULLIF(${alias}.${name}, 'null'::jsonb)`
        : `CASE WHEN json_typeof(${alias}.${name}) = 'null' THEN NULL ELSE ${alias}.${name} END`);
    } else {
      params.push(arrayLiteral(values, type));
      sources.push(`unnest($${n}::${type}[])`);
      selected.push(`${alias}.${name}`);
    }
  });
  const names = columns.map(([name]) => name);
  if (options.ordinality) names.push(options.ordinality);
  return {
    from: `ROWS FROM (${sources.join(', ')})${options.ordinality ? ' WITH ORDINALITY' : ''} AS ${alias}(${names.join(', ')})`,
    select: selected.join(', '),
    params,
  };
}

/**
 * Several writes sent as one statement (data-modifying CTEs): one round trip per flush. Writes in
 * one batch must not touch the same row twice. Rows travel as one array parameter per column
 * (`unnest`), so the statement text depends only on the tables and columns written.
 */
export class WriteBatch {
  private readonly parts: { name: string; sql: string }[] = [];
  private readonly params: unknown[] = [];

  insert(table: string, columns: readonly Column[], rows: unknown[][], conflict?: Conflict): void {
    if (rows.length === 0) return;
    const { from, select, params } = unnestRows(columns, rows, this.params.length + 1);
    this.params.push(...params);
    const list = columns.map(([name]) => name).join(',');
    let sql = `INSERT INTO ${table} (${list}) SELECT ${select} FROM ${from}`;
    if (conflict) {
      sql += ` ON CONFLICT (${conflict.key.join(',')}) `;
      sql += conflict.update.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${conflict.update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
    }
    this.parts.push({ name: `w${this.parts.length}`, sql: `${sql} RETURNING 1` });
  }

  /**
   * A statement with `$n` placeholders numbered from 1 for `params`. With a `name`, the statement
   * brings its own RETURNING clause and later statements (and `run`'s select) may read its rows
   * by that name.
   */
  raw(sql: string, params: unknown[], name?: string): void {
    const offset = this.params.length;
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    this.parts.push({ name: name ?? `w${this.parts.length}`, sql: name ? text : `${text} RETURNING 1` });
    this.params.push(...params);
  }

  /** Runs every statement in one round trip; with `select` (over named statements), returns its rows. */
  async run<R = Record<string, unknown>>(tx: Queryable, select?: string): Promise<R[]> {
    if (this.parts.length === 0) return [];
    const ctes = this.parts.map((part) => `${part.name} AS (${part.sql})`);
    const rows = await tx.query<R>(`WITH ${ctes.join(', ')} SELECT ${select ?? '1'}`, this.params);
    return select === undefined ? [] : rows;
  }
}
