#!/usr/bin/env node
// Entry point of the `o2a` command: runs the TypeScript sources through tsx, so the command
// works right after `npm install` without a build step.
import { register } from 'tsx/esm/api';

register();
// `o2a events x | head`: a closed pipe ends the output, not the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
