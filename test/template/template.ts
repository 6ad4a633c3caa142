/**
 * Helpers for the template tests: package the service offline with osls into a temporary
 * directory, read the CloudFormation template, and walk its IAM policies.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

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
function serviceCopy(overrides: Record<string, string> = {}): string {
  const dir = temporaryDirectory('fleetwatch-service-');
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
 * Runs the local osls binary directly (npx adds a second or two).
 */
export async function packageService(stage: string, extraArgs: string[] = [], overrides: Record<string, string> = {}): Promise<Packaged> {
  const service = serviceCopy(overrides);
  const dir = path.join(service, '.serverless');
  const { stdout, stderr } = await promisify(execFile)(
    path.join(ROOT, 'node_modules', '.bin', 'sls'),
    ['package', '--stage', stage, ...extraArgs],
    {
      cwd: service,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
  return { dir, template, output: stdout + stderr };
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
