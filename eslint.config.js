import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.esbuild/', 'coverage/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // The SDK is built in one composition root (lib/aws/clients.ts); nowhere else may construct a client.
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name=/^(EC2|IAM|SSM|CloudWatchLogs|DynamoDB|SQS|EventBridge|CloudWatch)Client$/]",
          message: 'Build SDK clients only in lib/aws/clients.ts.',
        },
      ],
    },
  },
  {
    // Production code gets zod only through lib/schema.ts (`import * as z from './schema.js'`),
    // which sets the English locale and keeps zod/mini tree-shaken (see its comment).
    files: ['lib/**', 'functions/**'],
    ignores: ['lib/schema.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['zod', 'zod/*'], message: "Import zod as `import * as z from './schema.js'` (lib/schema.ts)." },
          ],
        },
      ],
    },
  },
  {
    // Tests, benchmarks and scripts build clients to set up an emulator or a mock, not to run the service.
    files: ['lib/aws/clients.ts', 'test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
