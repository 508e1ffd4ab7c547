// A server for the ops tests: Fastify with the ops plugin on a test runtime, write endpoints
// guarded by a bearer token.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
import type { Runtime } from '../../runtime/runtime.js';
import { opsPlugin } from '../../service/ops.js';

export const TOKEN = 'ops-test-token';

// Until the service's own guard (service/auth.ts) is committed: the same contract, 401 without
// `Authorization: Bearer <token>`.
function bearerGuard(token: string | undefined): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (token === undefined || request.headers.authorization === `Bearer ${token}`) return undefined;
    return reply.code(401).send({ code: '401', reason: 'Unauthorized', status: '401', message: 'this endpoint needs the API token: send Authorization: Bearer <token>' });
  };
}

export async function opsServer(runtime: Runtime, token: string | undefined = TOKEN): Promise<FastifyInstance> {
  // ajv as o2a serve configures it: nothing coerced, defaulted or dropped.
  const app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true, strict: false } },
  });
  await app.register(opsPlugin, { runtime, guard: bearerGuard(token) });
  await app.ready();
  return app;
}
