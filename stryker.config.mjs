// @ts-check
/**
 * `npm run test:mutation`: Stryker over the modules whose decisions the issue asks tests to
 * notice: the record lifecycle, the planner and the desired state, the settle path, rate control.
 * Each is expected to score at least 85 (thresholds.break applies to the total; the per-file
 * scores are in the report).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: ['lib/model/lifecycle.ts', 'lib/model/rate.ts', 'lib/planning/plan.ts', 'lib/planning/desired.ts', 'lib/outcomes/settle.ts'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  thresholds: { high: 90, low: 85, break: 85 },
  concurrency: 2,
  tempDirName: '.stryker-tmp',
};
