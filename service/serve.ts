// `o2a serve`: the runtime as a service. Opens the store as `o2a run` does (PGlite, in memory or
// in `--db <dir>`; PostgreSQL with DATABASE_URL), registers the plans (`--plan`, else the sample
// operator's plans/ against catalogs/2026.11), runs the worker loops in the same process unless
// `--no-workers`, and listens. Without an API token (O2A_API_TOKEN) it binds 127.0.0.1 only and
// says so. SIGINT/SIGTERM: the server closes (requests in flight are answered, new ones refused),
// then the runtime stops (worker loops end, leased messages go back) and the store closes.
import type { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { compileSamplePlans, loadPlans, type PlanLoad } from '../runtime/cli-commands.js';
import { systemClock } from '../runtime/clock.js';
import { Runtime } from '../runtime/runtime.js';
import { callbacksPlugin } from './callbacks.js';
import type { ServicePlugin } from './context.js';
import { hubPlugin } from './hub.js';
import { metricsPlugin } from './metrics.js';
import { opsPlugin } from './ops.js';
import { buildServer } from './server.js';
import { tracingPlugin } from './tracing.js';

/**
 * What `o2a serve` runs besides the TMF622/TMF641 APIs: the event hub (and its delivery loop),
 * component callbacks, `/metrics`, traces (exported when OTEL_EXPORTER_OTLP_ENDPOINT is set) and
 * the operations page with its JSON endpoints.
 */
export const SERVICE_PLUGINS: readonly ServicePlugin[] = [
  hubPlugin as ServicePlugin, callbacksPlugin, metricsPlugin as ServicePlugin, tracingPlugin as ServicePlugin, opsPlugin,
];

export interface ServeOptions {
  port?: number;
  host?: string;
  /** false: no worker loops here (`--no-workers`: another process runs them on the same database). */
  workers?: boolean;
  /** PGlite data folder (`--db <dir>`); in memory when absent. Ignored when a database URL is set. */
  db?: string;
  /** Server PostgreSQL (`--database-url`, else DATABASE_URL). */
  databaseUrl?: string;
  /** Plan files or folders (`--plan`); default: the sample plans. */
  plan?: string[];
  /** Catalog snapshot to compile .o2a plans against. */
  catalog?: string;
  /** pino level (`--log-level`, default info); `silent`: no request logs. */
  logLevel?: string;
  /** Parts of the service besides the TMF APIs; default SERVICE_PLUGINS (hub, callbacks, metrics, traces, ops page). */
  plugins?: readonly ServicePlugin[];
  env?: NodeJS.ProcessEnv;
  /** Resolves to end the service (tests); by default SIGINT or SIGTERM. */
  until?: Promise<unknown>;
  /** Called once listening, with the server (tests). */
  onListening?: (app: FastifyInstance, url: string) => void;
}

export const DEFAULT_PORT = 8622;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Runs the service until a signal; the exit code: 0 after a clean shutdown, 1 when it could not start. */
export async function serveCommand(options: ServeOptions, out: Writable): Promise<number> {
  const env = options.env ?? process.env;
  const say = (text: string) => out.write(`${text}\n`);
  const token = env.O2A_API_TOKEN !== undefined && env.O2A_API_TOKEN !== '' ? env.O2A_API_TOKEN : undefined;
  let host = options.host ?? '127.0.0.1';
  if (token === undefined) {
    if (!LOOPBACK.has(host)) say(`o2a serve: no O2A_API_TOKEN configured: binding 127.0.0.1 only, not ${host}`);
    else say('o2a serve: no O2A_API_TOKEN configured: write endpoints are open to this host only (bound to 127.0.0.1)');
    host = '127.0.0.1';
  }

  const loaded: PlanLoad = options.plan && options.plan.length > 0 ? await loadPlans(options.plan, options.catalog) : await compileSamplePlans();
  for (const p of loaded.problems) say(`warning: ${p}`);
  if (loaded.plans.length === 0) { say('o2a serve: no plan to serve'); return 1; }

  const databaseUrl = options.databaseUrl ?? env.DATABASE_URL;
  const workers = options.workers !== false;
  // Without worker loops here, what a request writes is left to the other processes' relays at once.
  const runtime = await Runtime.open({ ...(databaseUrl ? { databaseUrl } : { dataDir: options.db }), clock: systemClock, publishes: workers });
  let app: FastifyInstance | undefined;
  try {
    await runtime.registerPlans(loaded.plans);
    app = await buildServer({
      runtime, apiToken: token, plugins: [...(options.plugins ?? SERVICE_PLUGINS)],
      logger: options.logLevel === 'silent' ? false : { level: options.logLevel ?? 'info' },
    });
    if (workers) runtime.start();
    const address = await app.listen({ port: options.port ?? DEFAULT_PORT, host });
    const store = databaseUrl ? 'PostgreSQL' : options.db ? `PGlite in ${options.db}` : 'PGlite in memory';
    say(`o2a serve listening on ${address} (${store}; ${loaded.plans.length} plans; worker loops ${workers ? 'on' : 'off'})`);
    options.onListening?.(app, address);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
    throw error;
  }

  const signal = await (options.until ?? untilSignal());
  say(`o2a serve: ${typeof signal === 'string' ? signal : 'stop'}: closing (answering requests in flight, giving leases back)`);
  await app.close();
  await runtime.close();
  say('o2a serve: stopped');
  return 0;
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (name: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // A second signal while closing ends the process at once.
      process.once(name, () => process.exit(1));
      resolve(name);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
