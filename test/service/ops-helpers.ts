// A server for the ops tests: o2a serve's own (buildServer) with the ops plugin, on a test
// runtime; write endpoints guarded by a bearer token.
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime/runtime.js';
import { opsPlugin } from '../../service/ops.js';
import { buildServer } from '../../service/server.js';

export const TOKEN = 'ops-test-token';

export async function opsServer(runtime: Runtime, token: string | undefined = TOKEN): Promise<FastifyInstance> {
  const app = await buildServer({ runtime, apiToken: token, plugins: [opsPlugin] });
  await app.ready();
  return app;
}
