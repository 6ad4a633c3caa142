#!/usr/bin/env node
/**
 * `npx fleetwatch …`: runs the TypeScript CLI (cli/main.ts) through tsx, a devDependency, so the
 * CLI works in a checkout of the repository with no build step.
 */
import process from 'node:process';
import { register } from 'tsx/esm/api';

// `fleetwatch plan --local | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

register();
const { run } = await import('../cli/main.ts');
process.exitCode = await run(process.argv.slice(2));
