// A runtime process for the fault tests: opens the runtime on a server PostgreSQL schema, registers
// the plans, optionally submits Home Fiber orders, and runs worker loops until it is killed (or
// told to stop by SIGTERM/SIGINT, which closes the runtime gracefully).
//
//   node --import tsx test/runtime/fault/worker-process.ts --database-url <url> --schema <name>
//        [--plans <folder of compiled plan JSON>] [--lease-ms 1500] [--concurrency 3]
//        [--submit <n>] [--prefix po-kill] [--batch 20] [--spread-ms 0] [--progress-ms 250]
//
// --submit: Home Fiber orders `<prefix>-0000`, ... (the harness's `homeFiberOrder`), taken in
// batches of --batch. --spread-ms: the installation answer of order n comes (n % 30) * spread ms
// late (a scenario with `delayMs`), so that orders are at every stage for a while.
//
// Started with `node --import tsx` (not the tsx launcher, which forks a child): the pid the parent
// gets is the process that runs the runtime, so `kill -9` on it kills the runtime itself.
//
// Lines on stdout, one JSON object each, `at` being Date.now() of this process:
//   {"event":"ready","pid","at","workerId"}      the runtime is open, migrated, with the plans
//   {"event":"started","at"}                      worker loops running
//   {"event":"submitted","at","orders","refused"} every order of --submit taken (if any)
//   {"event":"progress","at","completed"}         orders this process saw complete so far
import { parseArgs } from 'node:util';
import type { CompiledPlan } from '../../../compiler/emit/schema.js';
import { compileSamplePlans, loadPlans } from '../../../runtime/cli-commands.js';
import { Runtime } from '../../../runtime/runtime.js';
import { homeFiberOrder } from '../harness.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    schema: { type: 'string' },
    plans: { type: 'string' },
    'lease-ms': { type: 'string', default: '1500' },
    concurrency: { type: 'string', default: '3' },
    submit: { type: 'string', default: '0' },
    prefix: { type: 'string', default: 'po-kill' },
    batch: { type: 'string', default: '20' },
    'spread-ms': { type: 'string', default: '0' },
    'progress-ms': { type: 'string', default: '250' },
  },
});

function say(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
}

async function plans(): Promise<CompiledPlan[]> {
  const loaded = values.plans ? await loadPlans([values.plans], undefined) : await compileSamplePlans();
  if (!loaded.plans.some((p) => p.planId === 'HomeFiber1G')) throw new Error(`no HomeFiber1G plan: ${loaded.problems.join('; ')}`);
  return loaded.plans;
}

async function main(): Promise<void> {
  const databaseUrl = values['database-url'];
  const schema = values.schema;
  if (!databaseUrl || !schema) throw new Error('--database-url and --schema are required');
  const runtime = await Runtime.open({ databaseUrl, schema, leaseMs: Number(values['lease-ms']) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await runtime.close().catch((error: Error) => process.stderr.write(`close failed: ${error.message}\n`));
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());

  await runtime.registerPlans(await plans());
  say('ready', { pid: process.pid, workerId: runtime.workerId });

  let completed = 0;
  let reported = -1;
  runtime.onCommit((rows) => {
    for (const row of rows) if (row.type === 'ProductOrderStateChanged' && row.payload.to === 'completed') completed += 1;
  });
  const progressMs = Number(values['progress-ms']);
  if (progressMs > 0) {
    setInterval(() => {
      if (completed !== reported) { reported = completed; say('progress', { completed }); }
    }, progressMs).unref();
  }

  runtime.start(Number(values.concurrency));
  say('started');

  const total = Number(values.submit);
  if (total > 0) {
    const batch = Number(values.batch);
    const spread = Number(values['spread-ms']);
    let refused = 0;
    for (let from = 0; from < total; from += batch) {
      const entries: { order: unknown; scenario?: unknown }[] = [];
      for (let n = from; n < Math.min(total, from + batch); n++) {
        const order = homeFiberOrder(`${values.prefix}-${String(n).padStart(4, '0')}`);
        entries.push(spread > 0 ? { order, scenario: { name: 'spread', steps: { install: { outcome: 'success', delayMs: (n % 30) * spread } } } } : { order });
      }
      const results = await runtime.submitOrders(entries);
      for (const result of results) {
        if (!result.ok) { refused += 1; process.stderr.write(`refused: ${JSON.stringify(result)}\n`); }
      }
    }
    say('submitted', { orders: total, refused });
  }
  // The worker loops keep the event loop alive until the process is killed or stopped.
}

main().catch((error: Error) => {
  process.stderr.write(`worker-process failed: ${error.stack ?? error.message}\n`);
  process.exit(1);
});
