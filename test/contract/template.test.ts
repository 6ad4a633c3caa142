/**
 * cfn-lint on the two templates `sls package` writes, the hub's and the member's (packaged once per
 * run in global-setup.ts). Least-privilege IAM checks live in test/template/ and test/iam/.
 */
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, inject, it } from 'vitest';
import { cfnLint, templatePath } from './template.js';

const { MEMBER_TEMPLATE_FILE } = createRequire(import.meta.url)('../../serverless/member-template.cjs') as { MEMBER_TEMPLATE_FILE: string };

describe('the packaged templates', () => {
  it.each([
    ['the hub', (template: string) => template],
    ['the member', (template: string) => join(dirname(template), MEMBER_TEMPLATE_FILE)],
  ])('%s passes cfn-lint with no errors or warnings', async (_, file) => {
    const result = await cfnLint(file(templatePath(inject('template'))));
    // Exit 0 only when clean; the findings are the message.
    expect(result.findings, `cfn-lint exited ${result.code}`).toEqual([]);
    expect(result.code).toBe(0);
  });
});
