// `o2a`: the command line. Each command parses its options, calls the compiler or the runtime,
// and hands the result to a printer. Exit codes: 0 clean, 1 findings, 2 usage or internal error;
// run, resume, cancel and approve also exit 3 when the order (or its cancellation) needs a person
// (runtime/cli-commands.ts).
import { Command, CommanderError, Option } from 'commander';
import type { Writable } from 'node:stream';
import { registerCatalogCommands } from './commands/catalog.js';
import { registerCompilerCommands } from './commands/compiler.js';
import { registerDiffCommands } from './commands/diff.js';
import { registerGraphCommands } from './commands/graph.js';
import { registerLspCommands } from './commands/lsp.js';
import { registerRuntimeCommands } from './commands/runtime.js';
import { registerSagaCommands } from './commands/sagas.js';
import { registerServeCommands } from './commands/serve.js';
import { describeError } from './workspace.js';
import { toolVersion as readToolVersion } from '../compiler/project-root.js';

export const toolVersion: string = readToolVersion();

export interface CommandContext {
  stdout: Writable;
  stderr: Writable;
  /** Set by a command's action: the process exit code. */
  exitCode: number;
}

export function buildProgram(ctx: CommandContext): Command {
  const program = new Command('o2a')
    .description('Order-to-Activate plans: compile, check, format, explain, run')
    .version(toolVersion)
    .showHelpAfterError()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  registerCompilerCommands(program, ctx);
  registerDiffCommands(program, ctx);
  registerGraphCommands(program, ctx);
  registerRuntimeCommands(program, ctx);
  registerSagaCommands(program, ctx);
  registerCatalogCommands(program, ctx);
  registerServeCommands(program, ctx);
  registerLspCommands(program, ctx);
  return program;
}

export async function main(argv: readonly string[], streams: Partial<Pick<CommandContext, 'stdout' | 'stderr'>> = {}): Promise<number> {
  const ctx: CommandContext = { stdout: streams.stdout ?? process.stdout, stderr: streams.stderr ?? process.stderr, exitCode: 0 };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      // A command may set its own usage-error code (diff uses 1: 2 and 3 mean changes there).
      return error.exitCode === 0 ? 0 : ctx.exitCode || 2;
    }
    ctx.stderr.write(`o2a: ${describeError(error)}\n`);
    return 2;
  }
}

export { Option };
