// sagas migrate: moves sagas in flight to a new plan version where safe. The work is in
// runtime/migration/; this file only maps options.
import type { Command } from 'commander';
import type { SagasMigrateOptions } from '../../runtime/migration/command.js';
import type { CommandContext } from '../main.js';

export function registerSagaCommands(program: Command, ctx: CommandContext): void {
  const sagas = program.command('sagas').description('sagas in flight');
  sagas
    .command('migrate')
    .description('move sagas in flight to a new version of their plan where the change is safe for each saga\'s progress; '
      + 'exit 0 all moved or nothing to do, 1 error, 3 some refused')
    .requiredOption('--plan <file...>', 'the new version: compiled plan JSON, .o2a source or a folder of them (repeatable)')
    .option('-c, --catalog <snapshot>', 'catalog snapshot directory, to compile .o2a plans')
    .option('--plan-id <id...>', 'only these plans (default: every plan of the files named)')
    .option('--dry-run', 'change nothing: print what would move and what would be refused')
    .option('--accept-dangerous', 'also move sagas across dangerous plan-level changes (billing, completion, status, cancellation)')
    .option('--db <dir>', 'PGlite data folder (default: in memory; ignored when a database URL is set)')
    .option('--database-url <url>', 'server PostgreSQL (default: the DATABASE_URL environment variable)')
    .option('--json', 'print JSON')
    // A usage error exits 1 like any other error: 2 means nothing here (cli/main.ts returns ctx.exitCode).
    .exitOverride((error) => {
      if (error.exitCode !== 0) ctx.exitCode = 1;
      throw error;
    })
    .action(async (opts: SagasMigrateOptions) => {
      ctx.exitCode = await (await import('../../runtime/migration/command.js')).sagasMigrateCommand(opts, ctx.stdout);
    });
}
