import { defineConfig } from 'vitest/config';

/**
 * `npm run test:chaos`: the fault-injection sweep of test/chaos at fleet scale (10,000
 * instances). `npm test` runs the same file on 300.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CHAOS_FLEET: '10000' },
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
