#!/usr/bin/env node
// Entry point of the `o2a` command: runs the TypeScript sources through tsx, so the command
// works right after `npm install` without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
