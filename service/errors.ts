// TMF error bodies (TMF630 `Error`: code, reason, message, status) and how the service names the
// field at fault: dotted, as the engine's problems name it (`productOrderItem.0.action`).
import type { FastifyReply } from 'fastify';

/** A problem with a request: the field at fault (dotted path; null for the whole request) and what is wrong. */
export interface Problem {
  field: string | null;
  message: string;
}

/** The body of every error the service answers: TMF630 `Error` and, beside it, the problems. */
export interface TmfError {
  /** The status as a string (TMF630 `code`: an application code; o2a uses the HTTP status). */
  code: string;
  /** The HTTP reason phrase. */
  reason: string;
  /** What went wrong, in one sentence naming the field at fault. */
  message: string;
  /** The HTTP status, as a string (TMF630). */
  status: string;
  '@type': 'Error';
  /** The first field at fault, or null. */
  field: string | null;
  problems: Problem[];
}

const REASONS: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export function tmfError(status: number, message: string, problems: Problem[] = []): TmfError {
  return {
    code: String(status), reason: REASONS[status] ?? 'Error', message, status: String(status), '@type': 'Error',
    field: problems.find((p) => p.field !== null)?.field ?? null, problems,
  };
}

/** Answers a TMF error. */
export function sendError(reply: FastifyReply, status: number, message: string, problems: Problem[] = []): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(tmfError(status, message, problems));
}

/** `field: message` (the engine's problems) split into a problem; anything else has no field. */
export function problemOf(text: string, fieldNames?: (field: string) => string): Problem {
  const m = /^([A-Za-z@_$][\w@$]*(?:\.[\w@$-]+)*): (.*)$/s.exec(text);
  if (!m) return { field: null, message: text };
  const field = fieldNames ? fieldNames(m[1] as string) : (m[1] as string);
  return { field, message: `${field}: ${m[2] as string}` };
}

/** One ajv error, as Fastify hands it to the error handler. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/**
 * A schema error named by its field: `/productOrderItem/0/action` is `productOrderItem.0.action`;
 * a missing field or an unknown one is named itself (`productOrderItem.0.id`, `productOrderItem.0.colour`).
 * `root` prefixes query-string and header errors (`querystring.limit`).
 */
export function schemaProblem(error: SchemaError, root?: string): Problem {
  const path = error.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let message = error.message ?? error.keyword;
  if (error.keyword === 'required') path.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') {
    path.push(String(error.params.additionalProperty));
    message = 'not a field of this TMF resource (unknown fields are refused, not dropped)';
  }
  if (error.keyword === 'required') message = 'required';
  if (error.keyword === 'enum') message = `must be one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`;
  const field = [...(root ? [root] : []), ...path].join('.') || null;
  return { field, message: field ? `${field}: ${message}` : message };
}
