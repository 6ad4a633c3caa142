/**
 * The packaged CloudFormation template: packaging it (offline, as `npm run package` does) and
 * reading the EventBridge rules out of it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath } from '../../scripts/moto-server.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');

/**
 * cfn-lint on a template: CloudFormation's own schemas and rules, offline. Run from the repository
 * root so that .cfnlintrc's ignore_checks apply. Its findings, one a line; none when clean.
 */
export async function cfnLint(template: string): Promise<{ code: number; findings: string[] }> {
  const cfnLint = findOnPath('cfn-lint');
  if (!cfnLint) throw new Error('cfn-lint not found on PATH: install it with `pip install cfn-lint`');
  const result = await run(cfnLint, ['--format', 'parseable', '--', template], { cwd: ROOT, timeout: 120_000 }).then(
    (ok) => ({ code: 0, output: ok.stdout + ok.stderr }),
    (failed: { code?: number; stdout?: string; stderr?: string }) => ({ code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` }),
  );
  return { code: result.code, findings: result.output.trim().split('\n').filter(Boolean) };
}
const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
/** What the samples in events/ are for (events/manifest.json). */
export const STAGE = 'dev';
export const REGION = 'eu-west-1';
export const ACCOUNT_ID = '123456789012';

/** Packages the service for stage dev into `dir` (with `extraArgs`, e.g. --param=...); the error names what sls said. */
export async function packageTemplate(dir: string, extraArgs: string[] = []): Promise<{ path: string } | { error: string }> {
  try {
    await run(join(ROOT, 'node_modules/.bin/sls'), ['package', '--stage', STAGE, '--region', REGION, '--package', dir, ...extraArgs], {
      cwd: ROOT,
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
    });
    return { path: join(dir, TEMPLATE_FILE) };
  } catch (error) {
    const failed = error as { message?: string; stdout?: string; stderr?: string };
    const output = `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`.trim().slice(-3000);
    return { error: `sls package --stage ${STAGE} failed: ${failed.message ?? String(error)}\n${output}` };
  }
}

/** The template's path, or a failure that says why there is none. */
export function templatePath(template: { path: string } | { error: string }): string {
  if ('error' in template) throw new Error(template.error);
  return template.path;
}

export interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

export async function readTemplate(path: string): Promise<Template> {
  return JSON.parse(await readFile(path, 'utf8')) as Template;
}

export interface TemplateRule {
  logicalId: string;
  /** The rule's Name property when it is a plain string. */
  name?: string;
  state: string;
  eventBusName?: string;
  /** The EventPattern as EventBridge receives it, intrinsics resolved. */
  pattern: Record<string, unknown>;
}

/** Every AWS::Events::Rule with an EventPattern (schedule rules have none). */
export function eventRules(template: Template): TemplateRule[] {
  return Object.entries(template.Resources).flatMap(([logicalId, resource]): TemplateRule[] => {
    if (resource.Type !== 'AWS::Events::Rule' || resource.Properties?.EventPattern === undefined) return [];
    // Only what routing depends on: Targets hold Fn::GetAtt of functions, which have no value before deploy.
    const resolved = (key: string) => resolveIntrinsics(resource.Properties?.[key], template, `${logicalId}.${key}`);
    const properties = { EventPattern: resolved('EventPattern'), Name: resolved('Name'), State: resolved('State'), EventBusName: resolved('EventBusName') };
    const rawPattern = properties.EventPattern;
    // CloudFormation takes EventPattern as an object or as a JSON string.
    const pattern = (typeof rawPattern === 'string' ? JSON.parse(rawPattern) : rawPattern) as Record<string, unknown>;
    return [
      {
        logicalId,
        ...(typeof properties.Name === 'string' && { name: properties.Name }),
        state: typeof properties.State === 'string' ? properties.State : 'ENABLED',
        ...(typeof properties.EventBusName === 'string' && { eventBusName: properties.EventBusName }),
        pattern,
      },
    ];
  });
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': ACCOUNT_ID,
  'AWS::Region': REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': `fleetwatch-${STAGE}`,
};

/**
 * The values CloudFormation would put in at deploy time, for the intrinsics an EventPattern can
 * sensibly hold: pseudo parameters, Ref to a resource with a string Name (the SSM document and
 * parameters: Ref gives their name), Fn::Sub and Fn::Join. Anything else fails, naming it,
 * rather than silently testing a pattern that is not the deployed one.
 */
export function resolveIntrinsics(value: unknown, template: Template, where: string): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, template, where));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, argument] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') return ref(String(argument), template, where);
  if (entries.length === 1 && key === 'Fn::Sub') return sub(argument, template, where);
  if (entries.length === 1 && key === 'Fn::Join') {
    const [separator, parts] = argument as [string, unknown[]];
    return (resolveIntrinsics(parts, template, where) as unknown[]).join(separator);
  }
  if (entries.length === 1 && key?.startsWith('Fn::')) throw new Error(`${where}: cannot resolve ${key} in the template for this check`);
  return Object.fromEntries(entries.map(([name, item]) => [name, resolveIntrinsics(item, template, where)]));
}

function ref(name: string, template: Template, where: string): string {
  const pseudo = PSEUDO[name];
  if (pseudo !== undefined) return pseudo;
  const named = template.Resources[name]?.Properties?.Name;
  if (typeof named === 'string') return named;
  throw new Error(`${where}: cannot resolve Ref ${name} for this check (only pseudo parameters and resources with a string Name)`);
}

function sub(argument: unknown, template: Template, where: string): string {
  const [text, variables = {}] = (Array.isArray(argument) ? argument : [argument]) as [string, Record<string, unknown>?];
  return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    if (name in variables) return String(resolveIntrinsics(variables[name], template, where));
    return ref(name, template, where);
  });
}
