/**
 * Helpers for the template tests: package the service offline with osls into a temporary
 * directory, read the CloudFormation template, and walk its IAM policies.
 *
 * A `packageService(stage, args)` packages each stage and arguments once per `npm test` run,
 * however many files ask for it (global-setup.ts provides the run's cache directory): packaging
 * is most of the suite's time. Packages with overridden files are made afresh each call.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a CloudFormation template is untyped JSON
export type Json = any;

export interface Packaged {
  dir: string;
  template: Json;
  output: string;
}

const temporary: string[] = [];

/** A new temporary directory, removed by removeTemporaryDirectories(). */
export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** For afterAll. Only removes the symlinks of a service copy, never what they point at. */
export function removeTemporaryDirectories(): void {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Never shared with the copy: osls deletes <service>/.serverless on every package, serverless-esbuild builds in .esbuild. */
const NOT_LINKED = new Set(['.serverless', '.esbuild', '.git', 'coverage']);
/** Copied, not linked: osls does not accept a symlinked configuration file. */
const COPIED = new Set(['serverless.yml']);

/**
 * A private view of the service: a temporary directory with a symlink to each top-level entry of
 * the repository (serverless.yml copied). `sls package` run there cannot remove or race the repository's .serverless/
 * and .esbuild/ (osls empties .serverless/ even with --package), so the tests can run while
 * someone packages in the repository.
 */
function serviceCopy(overrides: Record<string, string> = {}, parent?: string): string {
  // Under the run's cache directory a copy outlives this file's removeTemporaryDirectories():
  // other files read the same package; global-setup.ts removes it after the run.
  const dir = parent ? mkdtempSync(path.join(parent, 'service-')) : temporaryDirectory('fleetwatch-service-');
  linkTree(ROOT, dir, '', overrides);
  return dir;
}

/**
 * Links every entry of `from` into `to`, except that a directory on the way to an overridden file
 * is made for real (its other entries linked) and the overridden file is written with its content.
 */
function linkTree(from: string, to: string, relative: string, overrides: Record<string, string>): void {
  for (const entry of readdirSync(from)) {
    const rel = relative ? `${relative}/${entry}` : entry;
    const source = path.join(from, entry);
    const target = path.join(to, entry);
    if (rel in overrides) writeFileSync(target, overrides[rel]!);
    else if (Object.keys(overrides).some((file) => file.startsWith(`${rel}/`))) {
      mkdirSync(target);
      linkTree(source, target, rel, overrides);
    } else if (!relative && COPIED.has(entry)) copyFileSync(source, target);
    else if (relative || !NOT_LINKED.has(entry)) symlinkSync(source, target);
  }
}

/**
 * `sls package --stage <stage>` in a private copy of the service: no AWS account, no network.
 * `overrides` replaces files of the copy (path relative to the repository → content).
 * Runs the local osls binary directly (npx adds a second or two). Without arguments or overrides,
 * the package is the run's one package of that stage, shared by every file: read its `dir`, never
 * write there (the template object is each caller's own copy).
 */
export async function packageService(stage: string, extraArgs: string[] = [], overrides: Record<string, string> = {}): Promise<Packaged> {
  const cache = packageCache();
  if (cache && Object.keys(overrides).length === 0) return readPackaged(await packagedOnce(cache, stage, extraArgs));
  return readPackaged(await runPackage(serviceCopy(overrides), stage, extraArgs));
}

/** What `sls package` left: the .serverless directory and what it printed. */
export type PackageRun = { dir: string; output: string } | { error: string };

/** Process groups of the packages running now: stopped if this process exits first (a test runner ending a worker). */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/**
 * Past this, `sls package` is stopped: a guard against a hung sls, not a speed check. Alone a
 * package takes 10 to 30 s; on a 2-core machine loaded by other work one has taken over 90 s.
 */
const SLS_TIME_LIMIT_MS = 300_000;

/**
 * Runs sls in a process group of its own, so that a timeout stops the esbuild service it starts
 * too: killing sls alone left esbuild bundling on (over 1 GB each) with no one to read its output.
 */
async function runPackage(service: string, stage: string, extraArgs: string[]): Promise<PackageRun> {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'sls'), ['package', '--stage', stage, ...extraArgs], {
    cwd: service,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  running.add(child.pid!);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-child.pid!, 'SIGKILL');
  }, SLS_TIME_LIMIT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => {
    clearTimeout(timer);
    running.delete(child.pid!);
  });
  if (code === 0) return { dir: path.join(service, '.serverless'), output };
  const why = timedOut ? `stopped after ${SLS_TIME_LIMIT_MS / 1000} s` : `exit code ${code}`;
  return { error: `sls package --stage ${stage} failed (${why}):\n${output.trim().slice(-3000)}` };
}

function readPackaged(run: PackageRun): Packaged {
  if ('error' in run) throw new Error(run.error);
  const template = JSON.parse(readFileSync(path.join(run.dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir: run.dir, template, output: run.output };
}

/** The run's cache directory, or undefined outside a run with global-setup.ts (then every call packages). */
function packageCache(): string | undefined {
  try {
    return inject('templatePackageCache');
  } catch {
    return undefined;
  }
}

const WAIT_STEP_MS = 200;
/** The global setup packages dev, then prod: a reader of prod may wait for both. */
const WAIT_LIMIT_MS = 2 * SLS_TIME_LIMIT_MS;
/** For a test or hook that packages or waits on a package: the packager's own limits, with room. */
export const PACKAGE_TIMEOUT_MS = WAIT_LIMIT_MS + 30_000;

/**
 * The stage's package in this run. Test files run in separate workers, so the first to ask
 * packages (mkdir is atomic: it takes the stage's lock) and writes the outcome; the others wait
 * for that file. A failed package is written too, so every file fails with sls's message.
 */
export async function packagedOnce(cache: string, stage: string, extraArgs: string[] = []): Promise<PackageRun> {
  // One package per stage and arguments: the arguments' hash tells the packages of a stage apart.
  const key = extraArgs.length === 0 ? stage : `${stage}-${createHash('sha256').update(JSON.stringify(extraArgs)).digest('hex').slice(0, 12)}`;
  const outcome = path.join(cache, `${key}.json`);
  try {
    mkdirSync(path.join(cache, `${key}.lock`));
  } catch {
    for (let waited = 0; !existsSync(outcome); waited += WAIT_STEP_MS) {
      if (waited > WAIT_LIMIT_MS) return { error: `the ${key} package of this run did not appear in ${cache}` };
      await sleep(WAIT_STEP_MS);
    }
    return JSON.parse(readFileSync(outcome, 'utf8')) as PackageRun;
  }
  const run = await runPackage(serviceCopy({}, cache), stage, extraArgs);
  // Written whole, then renamed: a waiting reader never sees half a file.
  writeFileSync(`${outcome}.tmp`, JSON.stringify(run));
  renameSync(`${outcome}.tmp`, outcome);
  return run;
}

/** The string a value deploys as: a plain string, or the agent-configs.cjs Fn::Join of literal pieces. */
export function joinedValue(value: Json): string {
  if (typeof value === 'string') return value;
  const join = value?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !join[1].every((piece: unknown) => typeof piece === 'string')) {
    throw new Error(`not a literal value: ${JSON.stringify(value)}`);
  }
  return join[1].join('');
}

export function resourcesOfType(template: Json, type: string): [string, Json][] {
  return Object.entries(template.Resources as Record<string, Json>).filter(([, resource]) => resource.Type === type);
}

export interface FoundStatement {
  /** Where: "<logical id> <policy name>". */
  where: string;
  statement: Json;
}

/** Every statement of every identity policy in the template: role inline policies, AWS::IAM::Policy, AWS::IAM::ManagedPolicy. */
export function policyStatements(template: Json): FoundStatement[] {
  const found: FoundStatement[] = [];
  for (const [id, resource] of Object.entries(template.Resources as Record<string, Json>)) {
    const documents: [string, Json][] = [];
    if (resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::IAM::User' || resource.Type === 'AWS::IAM::Group') {
      for (const policy of resource.Properties.Policies ?? []) documents.push([policy.PolicyName, policy.PolicyDocument]);
    }
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::RolePolicy') {
      documents.push([resource.Properties.PolicyName ?? id, resource.Properties.PolicyDocument]);
    }
    for (const [name, document] of documents) {
      for (const statement of [document.Statement].flat()) found.push({ where: `${id} ${name}`, statement });
    }
  }
  return found;
}

export const asList = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** A Fn::Sub ARN template, or the logical id of a Fn::GetAtt, as a comparable string. */
export function arnText(resource: Json): string {
  if (typeof resource === 'string') return resource;
  if (resource['Fn::Sub']) return String(resource['Fn::Sub']);
  if (resource['Fn::GetAtt']) return `GetAtt:${resource['Fn::GetAtt'].join('.')}`;
  return JSON.stringify(resource);
}
