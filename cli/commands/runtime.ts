// run, status, events, fallout, resume, cancel, amend, amendments, approve, approvals, cancellations, signal, migrate, demo:
// the runtime's commands. The work is in
// runtime/cli-commands.ts; this file only maps options.
import type { Command } from 'commander';
import type { StoreFlags } from '../../runtime/cli-commands.js';
import type { CommandContext } from '../main.js';
import { inferCatalogPath } from './compiler.js';
import { collectPlanFiles, readSources } from '../workspace.js';

/** The runtime (and its database drivers) loads only for the commands that use it. */
const runtime = () => import('../../runtime/cli-commands.js');

/** .o2a plans need a snapshot: without --catalog, the one their `catalog` line names. */
function catalogFor(plans: string[], catalog: string | undefined): string | undefined {
  if (catalog !== undefined) return catalog;
  const sources = collectPlanFiles(plans).filter((f) => f.endsWith('.o2a'));
  return sources.length > 0 ? inferCatalogPath(readSources(sources)) : undefined;
}

function storeOptions(command: Command): Command {
  return command
    .option('--db <dir>', 'PGlite data folder (default: in memory; ignored when a database URL is set)')
    .option('--database-url <url>', 'server PostgreSQL (default: the DATABASE_URL environment variable)')
    .option('--json', 'print JSON');
}

export function registerRuntimeCommands(program: Command, ctx: CommandContext): void {
  storeOptions(program.command('migrate').description('apply pending database migrations'))
    .action(async (opts: StoreFlags) => {
      ctx.exitCode = await (await runtime()).migrateCommand(opts, ctx.stdout);
    });

  storeOptions(
    program
      .command('run')
      .description('run a TMF622 product order through its plan on the simulated components; exit 3 if it ends held or failed')
      .requiredOption('--plan <file...>', 'compiled plan JSON, .o2a source or a folder of them (repeatable)')
      .option('-c, --catalog <snapshot>', 'catalog snapshot directory, to compile .o2a plans')
      .requiredOption('--order <file>', 'TMF622 v4 ProductOrder JSON')
      .option('--scenario <file>', 'scenario for the simulated components')
      .option('--real-time', 'wall-clock timers (default: simulated time)')
      .option('--quiet', 'no live progress'),
  ).action(async (opts: StoreFlags & { plan: string[]; catalog?: string; order: string; scenario?: string; realTime?: boolean; quiet?: boolean }) => {
    ctx.exitCode = await (await runtime()).runOrderCommand({ ...opts, catalog: catalogFor(opts.plan, opts.catalog) }, ctx.stdout);
  });

  storeOptions(program.command('status').description('the read model of an order: customer status, steps, blocking step, fallout').argument('<order>', 'product order id'))
    .action(async (order: string, opts: StoreFlags) => {
      ctx.exitCode = await (await runtime()).statusCommand({ ...opts, order }, ctx.stdout);
    });

  storeOptions(program.command('events').description('the event trail of an order with correlation and causation ids').argument('<order>', 'product order id'))
    .action(async (order: string, opts: StoreFlags) => {
      ctx.exitCode = await (await runtime()).eventsCommand({ ...opts, order }, ctx.stdout);
    });

  const fallout = program.command('fallout').description('fallout cases');
  storeOptions(fallout.command('list').description('open fallout cases').option('--all', 'resumed cases too'))
    .action(async (opts: StoreFlags & { all?: boolean }) => {
      ctx.exitCode = await (await runtime()).falloutListCommand(opts, ctx.stdout);
    });

  storeOptions(program.command('resume').description('resume a held saga from its failed step').argument('<case>', 'fallout case id').option('--scenario <file>', 'scenario for the simulated components from here on'))
    .action(async (caseId: string, opts: StoreFlags & { scenario?: string }) => {
      ctx.exitCode = await (await runtime()).resumeCommand({ ...opts, caseId }, ctx.stdout);
    });

  storeOptions(
    program
      .command('cancel')
      .description('cancel an order (or one item) as its plan\'s cancel rules say, then run the compensations; '
        + 'exit 0 done, 3 refused or awaiting approval or fallen out, 1 unknown order or item')
      .argument('<order>', 'product order id')
      .option('--item <id>', 'cancel this item only (a bundle item with its children)')
      .option('--reason <text>', 'why the customer cancels')
      .option('--by <who>', 'who asks')
      .option('--id <id>', 'the cancel request\'s own id (the same id again is answered as the first)'),
  ).action(async (order: string, opts: StoreFlags & { item?: string; reason?: string; by?: string; id?: string }) => {
    ctx.exitCode = await (await runtime()).cancelCommand({ ...opts, order }, ctx.stdout);
  });

  storeOptions(
    program
      .command('amend')
      .description('amend an in-flight order item as its plan\'s amend rules say (the replanned steps run again with the delta); '
        + 'exit 0 done, 3 refused by the plan or another amendment in progress, 1 unknown order, item or change, or --with not a JSON object')
      .argument('<order>', 'product order id')
      .requiredOption('--item <id>', 'the item to amend')
      .requiredOption('--change <kind>', 'the change kind: one of the plan\'s amend rules (appointment, speed, ...)')
      .requiredOption('--with <json>', 'the characteristics changed, as a JSON object: \'{"preferredDate": "2026-12-08"}\'')
      .option('--by <who>', 'who asks')
      .option('--id <id>', 'the amendment request\'s own id (the same id again is answered as the first)'),
  ).action(async (order: string, opts: StoreFlags & { item: string; change: string; with: string; by?: string; id?: string }) => {
    ctx.exitCode = await (await runtime()).amendCommand({ ...opts, order }, ctx.stdout);
  });

  storeOptions(
    program
      .command('approve')
      .description('decide a compensation that requires approval, then run it; exit 0 done, 3 a person is still needed, 1 unknown or decided')
      .argument('<approval>', 'approval id (o2a approvals)')
      .requiredOption('--by <who>', 'who decides')
      .option('--note <text>', 'why')
      .option('--refuse', 'refuse the compensation: the cancel request ends refused, the order goes on'),
  ).action(async (approval: string, opts: StoreFlags & { by: string; note?: string; refuse?: boolean }) => {
    ctx.exitCode = await (await runtime()).approveCommand({ ...opts, approval }, ctx.stdout);
  });

  storeOptions(
    program
      .command('signal')
      .description('a signal from outside for an order: customer-accepted (from the channel) or first-usage (from charging), '
        + 'the billing triggers of §17; exit 0, 1 for an unknown signal, order or item')
      .argument('<order>', 'product order id')
      .argument('<signal>', 'customer-accepted | first-usage')
      .option('--item <id>', 'for this item only (a bundle item with its children)'),
  ).action(async (order: string, signal: string, opts: StoreFlags & { item?: string }) => {
    ctx.exitCode = await (await runtime()).signalCommand({ ...opts, order, signal }, ctx.stdout);
  });

  storeOptions(program.command('approvals').description('approvals awaiting a decision').option('--all', 'decided approvals too'))
    .action(async (opts: StoreFlags & { all?: boolean }) => {
      ctx.exitCode = await (await runtime()).approvalsCommand(opts, ctx.stdout);
    });

  storeOptions(program.command('cancellations').description('the cancel requests of an order, with their states').argument('<order>', 'product order id'))
    .action(async (order: string, opts: StoreFlags) => {
      ctx.exitCode = await (await runtime()).cancellationsCommand({ ...opts, order }, ctx.stdout);
    });

  storeOptions(program.command('amendments').description('the amendment requests of an order, with their states, deltas and lineage').argument('<order>', 'product order id'))
    .action(async (order: string, opts: StoreFlags) => {
      ctx.exitCode = await (await runtime()).amendmentsCommand({ ...opts, order }, ctx.stdout);
    });

  storeOptions(
    program
      .command('reconcile')
      .description('reconciliation (§22) now: find the mismatches between the sagas and the components, repair what is safe, '
        + 'alert the rest; exit 0 nothing needs a person, 3 something was alerted')
      .option('--dry-run', 'find and report only: change and record nothing')
      .option('--list', 'the findings recorded so far'),
  ).action(async (opts: StoreFlags & { dryRun?: boolean; list?: boolean }) => {
    ctx.exitCode = await (await runtime()).reconcileCommand(opts, ctx.stdout);
  });

  program
    .command('demo')
    .description('compile the sample plans, run a Home Fiber and a mobile order on embedded Postgres (or DATABASE_URL\'s server) and cancel a third (npm start)')
    .action(async () => {
      ctx.exitCode = await (await runtime()).demo(ctx.stdout);
    });
}
