import { defineConfig } from 'vitest/config';

/**
 * `npm run test:mutation` (Stryker): the fast tests that judge the lifecycle, planning, outcome
 * and rate modules. The simulated-account scenarios exercise the same code, but each costs
 * seconds per mutant; these run every mutant in well under one.
 */
export default defineConfig({
  test: {
    include: ['test/model/**/*.test.ts', 'test/plan.test.ts', 'test/agent/log-groups.test.ts', 'test/planning/**/*.test.ts', 'test/outcomes/**/*.test.ts', 'test/apply/**/*.test.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
