/** The moto launcher fails at once, naming the fix, when moto_server is not installed. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MOTO_NOT_FOUND } from '../../scripts/moto-server.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

describe('scripts/moto-server.ts', () => {
  it('says how to install moto_server when it is not on the PATH', async () => {
    // tsx is loaded by module resolution from node_modules, node by its absolute path: an empty PATH hides only moto_server.
    const started = Date.now();
    const failure = await run(process.execPath, ['--import', 'tsx', 'scripts/moto-server.ts'], { cwd: ROOT, env: { PATH: '' }, timeout: 30_000 }).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr?.trim()).toBe(MOTO_NOT_FOUND);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
