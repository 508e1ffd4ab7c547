// What every part of `o2a serve` is given: the runtime (the engine API is the one door; routes
// validate, translate and call it, nothing more) and the guard that write endpoints put in front
// of their handler (bearer token from O2A_API_TOKEN when one is configured).
import type { FastifyPluginAsync, preHandlerAsyncHookHandler } from 'fastify';
import type { Runtime } from '../runtime/runtime.js';

export interface ServiceContext {
  runtime: Runtime;
  /** preHandler of every write endpoint: 401 without the configured bearer token. */
  guard: preHandlerAsyncHookHandler;
}

/** A part of the service: registered by `buildServer` with the service context as options. */
export type ServicePlugin = FastifyPluginAsync<ServiceContext>;
