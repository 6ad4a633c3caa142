/**
 * `npm test`: one directory per run where test/template/template.ts keeps the stages it packaged,
 * so each stage is packaged once however many files read its template. Packaging starts only
 * when a file asks (running a few unit tests packages nothing); teardown removes it all.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory for this run's packages (see packageService in template.ts). */
    templatePackageCache: string;
  }
}

let cache: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  cache = await mkdtemp(join(tmpdir(), 'fleetwatch-packages-'));
  project.provide('templatePackageCache', cache);
}

export async function teardown(): Promise<void> {
  if (cache) await rm(cache, { recursive: true, force: true });
  cache = undefined;
}
