import { defineConfig } from 'vitest/config';

/**
 * `npm test`: every test but the contract ones, in two projects. Files that replace modules or
 * SDK clients (vi.mock, aws-sdk-client-mock, spies) run isolated, each in a fresh module graph;
 * the rest share one per worker, which saves most of the time spent importing.
 */
const ISOLATED = [
  'test/aws/**/*.test.ts',
  'test/cli/**/*.test.ts',
  'test/functions/**/*.test.ts',
  'test/template/**/*.test.ts',
  // Packages the template (the run's cache) and loads serverless/*.cjs, which read the working directory when loaded.
  'test/iam/**/*.test.ts',
  'test/local/sdk-retry.test.ts',
  // Spies on process.cwd, which serverless/agent-configs.cjs reads once when it loads: it needs its own module graph.
  'test/agent/package-stage.test.ts',
];

export default defineConfig({
  test: {
    // Contract tests need moto_server and cfn-lint; they run with `npm run test:contract`.
    exclude: ['test/contract/**', 'node_modules/**'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    testTimeout: 30_000,
    // The default on 2 cores is 1 worker, which would sit idle while a template file waits on
    // `sls package` (child processes): with 4, two or three template files can wait while the
    // unit tests keep both cores busy.
    maxWorkers: 4,
    projects: [
      // Its global setup packages each stage's template once per run, for every test/template file that reads it.
      { extends: true, test: { name: 'isolated', include: ISOLATED, globalSetup: ['test/template/global-setup.ts'] } },
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: [...ISOLATED, 'test/contract/**'], isolate: false } },
    ],
  },
});
