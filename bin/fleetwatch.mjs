#!/usr/bin/env node
/**
 * `npx fleetwatch …`: runs the CLI as built to JavaScript in dist/ (scripts/build-cli.mjs, on
 * `npm ci`, `npm run build` and `npm pack`), on Node alone.
 */
import process from 'node:process';

// The AWS SDK warns on every call under Node 20 that its releases after January 2027 will need
// Node 22. package-lock.json pins a release that supports Node 20; the warning is for whoever
// updates the SDK (README "Node versions"), not for every operator's command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `fleetwatch plan --local | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

let cli;
try {
  cli = await import('../dist/cli.mjs');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.mjs')) throw error;
  process.stderr.write('fleetwatch: the CLI is not built (no dist/cli.mjs): run `npm run build`, or `npm ci` in the repository\n');
  process.exit(1);
}
process.exitCode = await cli.run(process.argv.slice(2));
