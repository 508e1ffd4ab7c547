// Batched statements: one round trip for many rows, the same SQL on PGlite and PostgreSQL.
import type { Queryable } from './store.js';

const MAX_PARAMS = 60_000;

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
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value ?? null;
}

/**
 * Several writes sent as one statement (data-modifying CTEs): one round trip per flush. Writes in
 * one batch must not touch the same row twice. Splits into more statements past the parameter limit.
 */
export class WriteBatch {
  private statements: { parts: string[]; params: unknown[] }[] = [{ parts: [], params: [] }];

  private current(extra: number): { parts: string[]; params: unknown[] } {
    let last = this.statements[this.statements.length - 1] as { parts: string[]; params: unknown[] };
    if (last.params.length + extra > MAX_PARAMS && last.parts.length > 0) {
      last = { parts: [], params: [] };
      this.statements.push(last);
    }
    return last;
  }

  insert(table: string, columns: string[], rows: unknown[][], conflict?: Conflict): void {
    const perChunk = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    for (let start = 0; start < rows.length; start += perChunk) {
      const chunk = rows.slice(start, start + perChunk);
      const target = this.current(chunk.length * columns.length);
      const tuples = chunk.map((row) => `(${row.map((value) => { target.params.push(value); return `$${target.params.length}`; }).join(',')})`);
      let sql = `INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`;
      if (conflict) {
        sql += ` ON CONFLICT (${conflict.key.join(',')}) `;
        sql += conflict.update.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${conflict.update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
      }
      target.parts.push(sql);
    }
  }

  /** A statement with `$n` placeholders numbered from 1 for `params`. */
  raw(sql: string, params: unknown[]): void {
    const target = this.current(params.length);
    const offset = target.params.length;
    target.parts.push(sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`));
    target.params.push(...params);
  }

  async run(tx: Queryable): Promise<void> {
    for (const { parts, params } of this.statements) {
      if (parts.length === 0) continue;
      if (parts.length === 1) { await tx.query(parts[0] as string, params); continue; }
      const ctes = parts.map((part, i) => `w${i} AS (${part} RETURNING 1)`);
      await tx.query(`WITH ${ctes.join(', ')} SELECT 1`, params);
    }
  }
}
