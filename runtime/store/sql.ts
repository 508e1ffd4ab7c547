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
  private readonly parts: string[] = [];
  private readonly params: unknown[] = [];
  /** The part whose RETURNING rows the batch returns (at most one). */
  private returning: number | null = null;

  insert(table: string, columns: string[], rows: unknown[][], conflict?: Conflict): void {
    if (rows.length === 0) return;
    this.params.push(recordsJson(columns, rows));
    const list = columns.join(',');
    let sql = `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $${this.params.length}::json)`;
    if (conflict) {
      sql += ` ON CONFLICT (${conflict.key.join(',')}) `;
      sql += conflict.update.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${conflict.update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
    }
    this.parts.push(sql);
  }

  /**
   * A statement with `$n` placeholders numbered from 1 for `params`. With `returning` (a
   * RETURNING clause), the batch returns that statement's rows (one such statement per batch).
   */
  raw(sql: string, params: unknown[], returning?: string): void {
    const offset = this.params.length;
    const text = sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
    if (returning !== undefined) {
      if (this.returning !== null) throw new Error('WriteBatch: one returning statement per batch');
      this.returning = this.parts.length;
    }
    this.parts.push(returning === undefined ? text : `${text} RETURNING ${returning}`);
    this.params.push(...params);
  }

  async run<R = Record<string, unknown>>(tx: Queryable): Promise<R[]> {
    if (this.parts.length === 0) return [];
    if (this.parts.length === 1) {
      const rows = await tx.query<R>(this.parts[0] as string, this.params);
      return this.returning === null ? [] : rows;
    }
    const ctes = this.parts.map((part, i) => `w${i} AS (${part}${i === this.returning ? '' : ' RETURNING 1'})`);
    const rows = await tx.query<R>(`WITH ${ctes.join(', ')} SELECT ${this.returning === null ? '1' : `* FROM w${this.returning}`}`, this.params);
    return this.returning === null ? [] : rows;
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
