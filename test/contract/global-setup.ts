/**
 * One moto_server for the whole contract run (files run one after another; each file works on
 * its own resource names or resets moto first), and one packaged template for the files that
 * check it. Teardown stops moto whatever the tests did.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startMoto, type MotoServer } from '../../scripts/moto-server.js';
import { packageTemplate } from './template.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
    /** The packaged CloudFormation template's path, or why packaging failed. */
    template: { path: string } | { error: string };
  }
}

let moto: MotoServer | undefined;
let packageDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // No moto, no contract tests: fail the run at once, naming the fix.
  moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  // A broken serverless.yml fails only the template checks, not the adapter contracts.
  packageDir = await mkdtemp(join(tmpdir(), 'fleetwatch-package-'));
  project.provide('template', await packageTemplate(packageDir));
}

export async function teardown(): Promise<void> {
  await moto?.stop();
  moto = undefined;
  if (packageDir) await rm(packageDir, { recursive: true, force: true });
  packageDir = undefined;
}
