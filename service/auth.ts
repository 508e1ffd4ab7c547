// The write guard: with a configured API token (O2A_API_TOKEN), a write endpoint answers 401
// unless the request carries `Authorization: Bearer <token>`. Without a token every request is
// let through, and `o2a serve` binds to 127.0.0.1 only (it says so at start).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { sendError } from './errors.js';

/** The preHandler every write endpoint puts in front of its handler. */
export function writeGuard(token: string | undefined): preHandlerAsyncHookHandler {
  if (token === undefined || token === '') return async () => undefined;
  // Compared as digests: the same length whatever is sent, so the comparison takes the same time.
  const expected = digest(token);
  return async function guard(this: unknown, request: FastifyRequest, reply: FastifyReply) {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      reply.header('WWW-Authenticate', 'Bearer realm="o2a"');
      return sendError(reply, 401, 'this endpoint needs the API token: send Authorization: Bearer <token>',
        [{ field: 'header.authorization', message: header === undefined ? 'header.authorization: missing' : 'header.authorization: not a bearer token' }]);
    }
    if (!timingSafeEqual(digest(m[1] as string), expected)) {
      reply.header('WWW-Authenticate', 'Bearer realm="o2a", error="invalid_token"');
      return sendError(reply, 401, 'the bearer token is not the configured API token',
        [{ field: 'header.authorization', message: 'header.authorization: wrong token' }]);
    }
    return undefined;
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
