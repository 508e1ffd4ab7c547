// A server for the service benchmark, in a process of its own (the load generator must not share
// its event loop). `O2A_BENCH_SERVER=bare`: a bare Fastify whose order route answers a constant;
// `o2a`: `buildServer` on a runtime on the PostgreSQL database `O2A_BENCH_DATABASE_URL`, schema
// `O2A_BENCH_SCHEMA`, with `O2A_BENCH_WORKERS` worker loops (0: none, intake only). Prints one JSON
// line `{ "event": "listening", "url": ... }`; stops on SIGTERM.
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { projectRoot } from '../../compiler/project-root.js';
import { loadPlans } from '../../runtime/cli-commands.js';
import { Runtime } from '../../runtime/runtime.js';
import { migrate } from '../../runtime/store/migrate.js';
import { openPgStore } from '../../runtime/store/pg-store.js';
import { buildServer } from '../../service/server.js';
import { ORDER_PATH } from './index.js';

const ROOT = projectRoot();
const kind = process.env.O2A_BENCH_SERVER ?? 'o2a';
let app: FastifyInstance;
let runtime: Runtime | null = null;

if (kind === 'bare') {
  app = Fastify({ logger: false });
  const answer = { id: 'po-constant', state: 'acknowledged', '@type': 'ProductOrder' };
  app.post(ORDER_PATH, async (_request, reply) => reply.code(201).send(answer));
} else {
  const url = process.env.O2A_BENCH_DATABASE_URL;
  const schema = process.env.O2A_BENCH_SCHEMA;
  if (!url || !schema) throw new Error('O2A_BENCH_DATABASE_URL and O2A_BENCH_SCHEMA are needed');
  const workers = Number(process.env.O2A_BENCH_WORKERS ?? '3');
  const store = await openPgStore(url, schema, workers + 6);
  await migrate(store);
  runtime = new Runtime({ store, workerId: `bench-service-${process.pid}`, batchSize: 500 });
  const loaded = await loadPlans([join(ROOT, 'plans')], join(ROOT, 'catalogs', '2026.11'));
  await runtime.registerPlans(loaded.plans);
  app = await buildServer({ runtime });
  if (workers > 0) runtime.start(workers, 2);
}

const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ event: 'listening', url })}\n`);

process.on('SIGTERM', () => {
  void (async () => {
    await app.close();
    await runtime?.close();
    process.exit(0);
  })();
});
