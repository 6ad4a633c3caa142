/**
 * `npm test`: one directory per run where test/template/template.ts keeps the stages it packaged,
 * so each stage is packaged once however many files read its template. When the run includes the
 * template tests, packaging starts here, beside the unit tests, rather than when the first
 * template file asks; a run of a few unit files (`npx vitest run test/local`) packages nothing.
 * Teardown waits for packaging and removes it all.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packagedOnce } from './template.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Directory for this run's packages (see packageService in template.ts). */
    templatePackageCache: string;
  }
}

/** The stages the template tests read, in the order they are packaged (dev is read most). */
const STAGES = ['dev', 'prod'];

let cache: string | undefined;
let packaging: Promise<unknown> | undefined;

/**
 * Whether the run may include test/template: no file filter on the command line, or one that
 * names it. (Vitest's resolved filters are not public; its command line is: `vitest run [filters]`.)
 */
function runsTemplateTests(): boolean {
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith('-') && arg !== 'run');
  return filters.length === 0 || filters.some((filter) => 'test/template/'.includes(filter) || filter.includes('template'));
}

export async function setup(project: TestProject): Promise<void> {
  cache = await mkdtemp(join(tmpdir(), 'fleetwatch-packages-'));
  project.provide('templatePackageCache', cache);
  const dir = cache;
  // One stage after the other: each package runs an esbuild service of about 1 GB, and the
  // edit-config test packages two more at the same time.
  if (runsTemplateTests()) packaging = STAGES.reduce<Promise<unknown>>((previous, stage) => previous.then(() => packagedOnce(dir, stage)), Promise.resolve());
}

export async function teardown(): Promise<void> {
  await packaging;
  if (cache) await rm(cache, { recursive: true, force: true });
  cache = undefined;
}
