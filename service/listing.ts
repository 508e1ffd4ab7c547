// What the TMF list and read endpoints share (TMF630 design guidelines): `fields=` attribute
// selection, `offset`/`limit` paging with X-Total-Count and X-Result-Count, and attribute filters
// translated to parameterised SQL (a value never becomes SQL text).
import type { FastifyReply } from 'fastify';
import type { Problem } from './errors.js';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** The query-string schema of a list endpoint: every parameter a string (parsed here, never coerced by ajv). */
export function listQuerySchema(filters: readonly string[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    fields: { type: 'string', maxLength: 2000 },
    offset: { type: 'string', pattern: '^[0-9]{1,9}$' },
    limit: { type: 'string', pattern: '^[0-9]{1,9}$' },
  };
  for (const f of filters) properties[f] = { type: 'string', maxLength: 2000 };
  return { type: 'object', properties, additionalProperties: false };
}

/** The query-string schema of a read endpoint: `fields=` only. */
export const readQuerySchema = {
  type: 'object', properties: { fields: { type: 'string', maxLength: 2000 } }, additionalProperties: false,
} as const;

export interface Page {
  offset: number;
  limit: number;
}

export function pageOf(query: { offset?: string; limit?: string }): Page | Problem {
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  const limit = query.limit === undefined ? DEFAULT_LIMIT : Number(query.limit);
  if (limit < 1 || limit > MAX_LIMIT) return { field: 'querystring.limit', message: `querystring.limit: must be from 1 to ${MAX_LIMIT}` };
  return { offset, limit };
}

/** Sets X-Total-Count (all that match) and X-Result-Count (in this page); 200 with the page. */
export function sendPage(reply: FastifyReply, total: number, items: unknown[]): FastifyReply {
  reply.header('X-Total-Count', String(total)).header('X-Result-Count', String(items.length));
  return reply.code(200).send(items);
}

/**
 * `fields=a,b.c`: the resource with only those attributes (and always `id`, `href`, `@type`); a
 * dotted path selects inside objects and in every element of arrays.
 */
export function project(resource: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (fields === undefined || fields.trim() === '') return resource;
  const paths = fields.split(',').map((f) => f.trim()).filter((f) => f !== '').map((f) => f.split('.'));
  const out: Record<string, unknown> = {};
  for (const key of ['id', 'href', '@type']) if (resource[key] !== undefined) out[key] = resource[key];
  for (const path of paths) pick(resource, out, path);
  return out;
}

function pick(from: unknown, into: Record<string, unknown>, path: string[]): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (from === null || typeof from !== 'object' || Array.isArray(from) || !Object.hasOwn(from, head)) return;
  const value = (from as Record<string, unknown>)[head];
  if (rest.length === 0) { into[head] = value; return; }
  if (Array.isArray(value)) {
    const existing = Array.isArray(into[head]) ? (into[head] as Record<string, unknown>[]) : value.map(() => ({}));
    value.forEach((element, i) => { if (existing[i]) pick(element, existing[i] as Record<string, unknown>, rest); });
    into[head] = existing;
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const child = (into[head] !== null && typeof into[head] === 'object' && !Array.isArray(into[head]) ? into[head] : {}) as Record<string, unknown>;
  pick(value, child, rest);
  into[head] = child;
}

/** Parameterised WHERE clauses built from filters: `add` takes a value, returns its placeholder. */
export class Where {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  and(clause: string): void {
    this.clauses.push(clause);
  }

  get sql(): string {
    return this.clauses.length === 0 ? '' : `WHERE ${this.clauses.join(' AND ')}`;
  }
}

/** `a,b` is a or b (TMF630 filtering); empty entries are dropped. */
export function anyOf(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** A date filter's value, or the problem naming the parameter. */
export function dateOf(name: string, value: string): Date | Problem {
  const at = new Date(value);
  if (value.trim() === '' || Number.isNaN(at.getTime())) return { field: `querystring.${name}`, message: `querystring.${name}: not a date-time: ${JSON.stringify(value.slice(0, 80))}` };
  return at;
}

export function isProblem(value: unknown): value is Problem {
  return value !== null && typeof value === 'object' && 'message' in value && 'field' in value;
}
