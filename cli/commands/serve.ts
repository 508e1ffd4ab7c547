// `o2a serve`: options only; the service (Fastify, the runtime, its database drivers) loads when
// the command runs (service/serve.ts).
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CommandContext } from '../main.js';
import { inferCatalogPath } from './compiler.js';
import { collectPlanFiles, readSources } from '../workspace.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return n;
}

export function registerServeCommands(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('run o2a as a service: TMF622 product ordering and TMF641 service orders over HTTP, the worker loops in the same process')
    .option('--port <port>', 'port to listen on (0: any free port)', port, 8622)
    .option('--host <host>', 'address to bind (without O2A_API_TOKEN: 127.0.0.1 only)', '127.0.0.1')
    .option('--no-workers', 'do not run the worker loops here (another process on the same database does)')
    .option('--db <dir>', 'PGlite data folder (default: in memory; ignored when a database URL is set)')
    .option('--database-url <url>', 'server PostgreSQL (default: the DATABASE_URL environment variable)')
    .option('--plan <file...>', 'compiled plan JSON, .o2a source or a folder of them (default: the sample plans)')
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory, to compile .o2a plans')
    .addOption(new Option('--log-level <level>', 'request log level (pino)').choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'))
    .action(async (opts: { port: number; host: string; workers: boolean; db?: string; databaseUrl?: string; plan?: string[]; catalog?: string; logLevel: string }) => {
      let catalog = opts.catalog;
      if (opts.plan && catalog === undefined) {
        const sources = collectPlanFiles(opts.plan).filter((f) => f.endsWith('.o2a'));
        if (sources.length > 0) catalog = inferCatalogPath(readSources(sources));
      }
      const { serveCommand } = await import('../../service/serve.js');
      ctx.exitCode = await serveCommand({ ...opts, catalog }, ctx.stdout);
    });
}
