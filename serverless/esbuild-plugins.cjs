'use strict';
/* global module -- CommonJS on Node: serverless-esbuild loads custom.esbuild.plugins with require() */
/**
 * esbuild plugins for the functions' bundles (serverless.yml custom.esbuild.plugins).
 *
 * semverGteOnly: aws-xray-sdk-core, under Powertools' tracer, requires the whole of semver (its
 * index builds every class, range and regular expression at load) for one call, semver.gte, in
 * captureAWS, its patcher of the AWS SDK v2, which fleetwatch never calls. Every function paid
 * for that at every cold start (about 3 ms of module load, npm run bench). The X-Ray SDK's import
 * of semver resolves instead to a module holding only that function: semver's own
 * functions/gte, resolved from the X-Ray SDK's directory (the semver it would have loaded).
 * test/functions/bundle-contents.test.ts fails when the X-Ray SDK uses more of semver.
 */
const XRAY_SDK = /[\\/]node_modules[\\/]aws-xray-sdk-core[\\/]/;
const NAMESPACE = 'fleetwatch-semver-gte-only';

const semverGteOnly = {
  name: 'semver-gte-only',
  setup(build) {
    build.onResolve({ filter: /^semver$/ }, (args) =>
      XRAY_SDK.test(args.importer) ? { path: 'semver', namespace: NAMESPACE, pluginData: { resolveDir: args.resolveDir } } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => ({
      contents: "module.exports = { gte: require('semver/functions/gte') };",
      resolveDir: args.pluginData.resolveDir,
      loader: 'js',
    }));
  },
};

module.exports = [semverGteOnly];
