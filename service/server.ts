// `o2a serve`'s HTTP server: Fastify, every route declared with a JSON Schema that ajv checks (the
// TMF schemas validate requests at the edge), TMF error bodies naming the field at fault, pino
// logs carrying the request's correlation id, a body size limit, and nothing of an internal error
// (stack, SQL) in any answer. The routes translate and call the runtime's API (the one door).
import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';
import { listMigrations } from '../runtime/store/migrate.js';
import { writeGuard } from './auth.js';
import type { ServiceContext, ServicePlugin } from './context.js';
import { schemaProblem, sendError, type Problem, type SchemaError } from './errors.js';
import { productOrdering } from './product-ordering.js';
import { serviceOrdering } from './service-ordering.js';
import { TMF622_SCHEMA_ID, tmf622Schema } from './tmf-schemas.js';

export interface ServerOptions {
  runtime: Runtime;
  /** The API token write endpoints require (`Authorization: Bearer <token>`); none: no check (bind to 127.0.0.1 only). */
  apiToken?: string;
  /** pino logging: true (info to stdout), false (none, the default), or Fastify's logger options. */
  logger?: FastifyServerOptions['logger'];
  /** Largest request body accepted, in bytes (default 256 KiB); larger: 413. */
  bodyLimit?: number;
  /** Further parts of the service (hub, callbacks, metrics, ops...), each registered with the service context. */
  plugins?: ServicePlugin[];
}

export const DEFAULT_BODY_LIMIT = 256 * 1024;

/** The header a caller may set to carry its correlation id; answered back on every response. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** Builds the server (not listening yet: `listen` it, or `inject` requests). */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // The caller's correlation id when it gives a usable one, else a new one: on every log line.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers[CORRELATION_HEADER];
      return typeof given === 'string' && /^[\w.:@-]{1,128}$/.test(given) ? given : randomUUID();
    },
    logController: new LogController({ requestIdLogLabel: 'correlationId' }),
    ajv: {
      customOptions: {
        // Refuse what the schema does not define (never drop it silently), coerce nothing, name
        // every problem.
        removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, strict: false,
      },
    },
    // A hostile client does not get to keep a socket: requests must arrive in time.
    requestTimeout: 30_000,
    // A URL that cannot be decoded (bad percent-encoding, no UTF-8): a TMF error too.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, 400, `the URL cannot be decoded: ${error.message}`, [{ field: 'url', message: 'url: not valid percent-encoded UTF-8' }]);
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.addSchema(tmf622Schema());

  app.addHook('onRequest', async (request, reply) => {
    reply.header(CORRELATION_HEADER, request.id);
  });

  // Closing (SIGTERM): requests in flight are answered, and their connections end with them (a
  // kept-alive connection would hold the close open until it timed out).
  let closing = false;
  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onSend', async (_request, reply) => { if (closing) reply.header('connection', 'close'); });

  // JSON bodies under the media types TMF uses for them; any other type (text/plain too) is 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // What no schema says but the database refuses (a NUL, half a surrogate pair) and what would
  // exhaust the validators' stack (nesting without end): refused before any route sees it.
  app.addHook('preValidation', async (request, reply) => {
    for (const [part, value] of [['params', request.params], ['querystring', request.query], ['body', request.body]] as const) {
      const problem = unstorable(value, part === 'body' ? [] : [part], 0);
      if (problem) return sendError(reply, 400, `${problem.message}; nothing was recorded`, [problem]);
    }
    return undefined;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const where = error.validationContext === 'body' ? undefined : error.validationContext;
      const problems = (error.validation as SchemaError[]).map((e) => schemaProblem(e, where));
      const first = problems[0]?.message ?? 'the request does not match the schema';
      const what = where === undefined ? 'the body is not a valid TMF resource' : `the ${where} is not valid`;
      return sendError(reply, 400, `${what}: ${first}`, problems);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(reply, 413, `the body is larger than ${options.bodyLimit ?? DEFAULT_BODY_LIMIT} bytes`, [{ field: 'body', message: 'body: too large' }]);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, `content type ${JSON.stringify(request.headers['content-type'] ?? '')} is not accepted here: send application/json`,
          [{ field: 'header.content-type', message: 'header.content-type: send application/json' }]);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, 'the body is empty: a JSON object is expected', [{ field: 'body', message: 'body: empty' }]);
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return sendError(reply, 400, `the body is not JSON: ${error.message}`, [{ field: 'body', message: 'body: not JSON' }]);
      default:
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Fastify's own client errors (bad JSON, prototype poisoning, a bad header): its message says what.
      return sendError(reply, error.statusCode, error.message);
    }
    // Anything else is ours: logged whole, answered without a word of it.
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, `internal error; quote correlation id ${request.id} to the operator`);
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no resource at ${request.method} ${request.url.split('?')[0]}`));

  // Liveness: the process answers.
  app.get('/healthz', { schema: { querystring: { type: 'object', additionalProperties: false } } }, async () => ({ status: 'up' }));

  // Readiness: the database answers, every migration this build knows is applied, the worker loops
  // do not find the database gone.
  app.get('/readyz', { schema: { querystring: { type: 'object', additionalProperties: false } } }, async (_request, reply) => {
    const known = listMigrations().map((m) => m.version);
    const health = options.runtime.health();
    let applied: number[] = [];
    let database: 'reachable' | 'unreachable' = 'reachable';
    try {
      await options.runtime.store.query('SELECT 1');
      const rows = await options.runtime.store.query<{ version: unknown }>('SELECT version FROM schema_migration ORDER BY version').catch(() => []);
      applied = rows.map((r) => Number(r.version));
    } catch {
      database = 'unreachable';
    }
    const missing = known.filter((v) => !applied.includes(v));
    const ready = database === 'reachable' && missing.length === 0 && health.ready;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not ready', database, migrations: { known: known.length, applied: applied.length, missing },
      workers: health,
    });
  });

  const context: ServiceContext = { runtime: options.runtime, guard: writeGuard(options.apiToken) };
  await app.register(productOrdering, context);
  await app.register(serviceOrdering, context);
  for (const plugin of options.plugins ?? []) await app.register(plugin, context);
  return app;
}

export { TMF622_SCHEMA_ID };

/** How deep a request's JSON may nest (a product order with bundles nests a few levels). */
export const MAX_DEPTH = 32;

/** A string PostgreSQL cannot store as text or jsonb: a NUL character, or half of a surrogate pair. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first place in a request value that cannot be taken, or null. */
function unstorable(value: unknown, path: string[], depth: number): Problem | null {
  const here = () => path.join('.') || 'body';
  if (typeof value === 'string') {
    return UNSTORABLE.test(value) ? { field: here(), message: `${here()}: contains a NUL character or a lone surrogate, which cannot be stored` } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_DEPTH) return { field: here(), message: `${here()}: nested deeper than ${MAX_DEPTH} levels` };
  for (const [key, v] of Object.entries(value)) {
    if (UNSTORABLE.test(key)) return { field: here(), message: `${here()}: a field name contains a NUL character or a lone surrogate` };
    const problem = unstorable(v, [...path, key], depth + 1);
    if (problem) return problem;
  }
  return null;
}
