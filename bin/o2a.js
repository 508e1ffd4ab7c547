#!/usr/bin/env node
// Entry point of the `o2a` command. Runs the prebuilt bundle of the CLI (bin/bundle.js: rebuilt
// automatically when a source changed), or the TypeScript sources through tsx when esbuild is
// not installed; O2A_TSX=1 forces the sources.
import { bundledCli } from './bundle.js';

// `o2a events x | head`: a closed pipe ends the output, not the process with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const bundle = process.env.O2A_TSX === '1' ? undefined : await bundledCli();
let cli;
if (bundle !== undefined) {
  cli = await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../cli/main.ts');
}
process.exitCode = await cli.main(process.argv);
