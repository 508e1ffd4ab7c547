// `o2a lsp --stdio`: the language server, for editors.
import type { Command } from 'commander';
import { UsageError } from '../workspace.js';
import type { CommandContext } from '../main.js';

export function registerLspCommands(program: Command, ctx: CommandContext): void {
  program
    .command('lsp')
    .description('run the language server (for editors); speaks the Language Server Protocol over stdin/stdout')
    .option('--stdio', 'communicate over stdin/stdout (the only transport)')
    .action(async (opts: { stdio?: boolean }) => {
      if (!opts.stdio) throw new UsageError('o2a lsp needs --stdio (the only transport)');
      const { runStdioServer } = await import('../../lsp/main.js');
      runStdioServer();
      ctx.exitCode = 0;
      // The server ends the process itself on the client's `exit` notification.
      await new Promise<never>(() => {});
    });
}
