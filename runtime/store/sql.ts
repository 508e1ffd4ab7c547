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

/**
 * Several writes sent as one statement (data-modifying CTEs): one round trip per flush. Writes in
 * one batch must not touch the same row twice. Rows travel as one JSON parameter per table
 * (`json_populate_recordset` over the table's row type), so the statement text stays short and
 * the driver serialises one value instead of one per column and row; json/jsonb columns take
 * plain values, not JSON text.
 */
export class WriteBatch {
  private readonly parts: { name: string; sql: string }[] = [];
  private readonly params: unknown[] = [];

  insert(table: string, columns: string[], rows: unknown[][], conflict?: Conflict): void {
    if (rows.length === 0) return;
    this.params.push(recordsJson(columns, rows));
    const list = columns.join(',');
    let sql = `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $${this.params.length}::json)`;
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

/** Rows as one JSON array of records keyed by column (the parameter of `json_populate_recordset`). */
export function recordsJson(columns: string[], rows: unknown[][]): string {
  const records = rows.map((row) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) record[columns[i] as string] = row[i] ?? null;
    return record;
  });
  return JSON.stringify(records);
}
