/**
 * cfn-lint on the template `sls package` writes (packaged once per run in global-setup.ts):
 * CloudFormation's own schemas and rules, offline. Run from the repository root so that
 * .cfnlintrc's ignore_checks apply. Least-privilege IAM checks live in test/template/.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { findOnPath } from '../../scripts/moto-server.js';
import { templatePath } from './template.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('the packaged template', () => {
  it('passes cfn-lint with no errors or warnings', async () => {
    const cfnLint = findOnPath('cfn-lint');
    if (!cfnLint) throw new Error("cfn-lint not found on PATH: install it with `pip install cfn-lint`");
    const template = templatePath(inject('template'));

    const result = await run(cfnLint, ['--format', 'parseable', '--', template], { cwd: ROOT, timeout: 120_000 }).then(
      (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
      (failed: { code?: number; stdout?: string; stderr?: string }) => ({ code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }),
    );

    // Exit 0 only when clean; the findings are the message.
    expect(result.output.trim().split('\n').filter(Boolean), `cfn-lint exited ${result.code}`).toEqual([]);
    expect(result.code).toBe(0);
  });
});
