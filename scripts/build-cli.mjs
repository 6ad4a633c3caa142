#!/usr/bin/env node
/**
 * Builds the fleetwatch CLI (cli/main.ts and what it imports from lib/ and local/) to JavaScript
 * in dist/, so that bin/fleetwatch.mjs runs on Node alone: no tsx, no devDependency, no
 * TypeScript compiled at every call. Run by `npm run build`, and by npm itself on `npm ci` /
 * `npm install` (prepare) and `npm pack` (prepack).
 *
 * Dependencies stay imports of node_modules (they are the package's dependencies), and the
 * --local and remote paths are split into chunks loaded only when a command needs them, so
 * `fleetwatch --help` loads neither the simulated account nor the AWS SDK.
 *
 * `npm ci --omit=dev` runs prepare too, without esbuild: a CLI built before is kept.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';


const ROOT = path.resolve(import.meta.dirname, '..');
// dist/ sits beside local/ and lib/: code that finds agent/configs by `<its directory>/../agent`
// (local/stack.ts) finds it from dist/ too.
const OUT = path.join(ROOT, 'dist');
const ENTRY = path.join(OUT, 'cli.mjs');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // No devDependencies (npm ci --omit=dev): nothing to build with.
  if (existsSync(ENTRY)) {
    process.stderr.write('fleetwatch: esbuild is not installed (production install); keeping the CLI built before in dist/\n');
  } else {
    process.stderr.write('fleetwatch: esbuild is not installed and dist/ holds no build: `npx fleetwatch` needs `npm ci` with devDependencies once (or a package from `npm pack`)\n');
  }
  process.exit(0);
}

const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
rmSync(OUT, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { cli: 'cli/main.ts' },
  outdir: OUT,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  define: { FLEETWATCH_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
