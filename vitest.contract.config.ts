import { defineConfig } from 'vitest/config';

/**
 * Contract tests: the real SDK adapters over real HTTP against moto_server, the EventBridge
 * rules of the packaged template against the sample events, and cfn-lint on the template.
 * `npm run test:contract`; needs moto_server and cfn-lint on the PATH, no AWS account.
 */
export default defineConfig({
  test: {
    include: ['test/contract/**/*.test.ts'],
    globalSetup: ['test/contract/global-setup.ts'],
    // One moto_server is shared: files run one after another so that a file's reset of moto
    // cannot pull resources from under another.
    fileParallelism: false,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // moto accepts any credentials; these only keep the SDK from looking for real ones.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
