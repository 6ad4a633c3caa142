/**
 * Evaluates the calls the simulated account recorded (local/calls.ts AuthorizedCall) against the
 * function roles of a packaged template, with @cloud-copilot/iam-simulate. The template's
 * intrinsics are resolved to the simulated account's ARNs first.
 */
import { createRequire } from 'node:module';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizedCall } from '../../local/calls.js';
import type { Json } from '../template/template.js';

const require = createRequire(import.meta.url);
export const iam = require('../../serverless/iam.cjs') as {
  FUNCTION_STATEMENTS: Record<string, string[]>;
  roleLogicalId(fn: string): string;
  roleName(context: { stage: string; region: string }, fn: string): string;
};

export interface Deployment {
  partition: string;
  region: string;
  accountId: string;
  /** ARN of each resource a Fn::GetAtt [id, Arn] names (the simulated account's table, queue, instance role...). */
  arns: Record<string, string>;
  /** The template's parameters (the member template's HubAccountId, OrganizationId, ...): what Ref and Fn::Sub give for them. */
  parameters?: Record<string, string>;
}

/** A template value with Ref, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Select and Fn::Split resolved for the deployment. */
export function resolve(value: Json, deployment: Deployment): Json {
  if (Array.isArray(value)) return value.map((item) => resolve(item, deployment));
  if (value === null || typeof value !== 'object') return value;
  const known = (): Record<string, string> => ({
    'AWS::Partition': deployment.partition,
    'AWS::Region': deployment.region,
    'AWS::AccountId': deployment.accountId,
    ...deployment.parameters,
  });
  if ('Ref' in value) {
    const named = known()[value.Ref as string];
    if (named === undefined) throw new Error(`Ref ${value.Ref}: not a parameter this resolver knows`);
    return named;
  }
  if ('Fn::Sub' in value) {
    const [text, variables] = Array.isArray(value['Fn::Sub']) ? (value['Fn::Sub'] as [string, Json]) : [String(value['Fn::Sub']), {}];
    const names = { ...known(), ...(resolve(variables, deployment) as Record<string, string>) };
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (!(name in names)) throw new Error(`Fn::Sub names \${${name}}, which this resolver does not know`);
      return names[name]!;
    });
  }
  if ('Fn::Select' in value) {
    const [index, list] = value['Fn::Select'] as [number, Json];
    return (resolve(list, deployment) as string[])[index];
  }
  if ('Fn::Split' in value) {
    const [separator, text] = value['Fn::Split'] as [string, Json];
    return String(resolve(text, deployment)).split(separator);
  }
  if ('Fn::GetAtt' in value) {
    const [id, attribute] = value['Fn::GetAtt'] as [string, string];
    const arn = deployment.arns[id];
    if (attribute !== 'Arn' || arn === undefined) throw new Error(`no ARN for Fn::GetAtt ${id}.${attribute}: add it to the deployment`);
    return arn;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((part) => resolve(part, deployment)).join(separator);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolve(item, deployment)]));
}

/** The inline policy of a function's role, resolved: the document IAM would evaluate. */
export function rolePolicy(template: Json, fn: string, deployment: Deployment): { Version: string; Statement: Json[] } {
  const role = template.Resources[iam.roleLogicalId(fn)];
  if (!role) throw new Error(`the template has no role ${iam.roleLogicalId(fn)} for function ${fn}`);
  const documents = (role.Properties.Policies as Json[]).map((policy) => resolve(policy.PolicyDocument, deployment));
  return { Version: '2012-10-17', Statement: documents.flatMap((document) => [document.Statement].flat()) };
}

export interface Decision {
  call: AuthorizedCall;
  allowed: boolean;
  /** Sids of the statements that allowed it. */
  allowedBy: string[];
  /** What the simulator said when it could not run (a resource or condition key it does not accept). */
  error?: string;
}

/**
 * A document AWS owns (a Distributor package such as AmazonCloudWatchAgent) has an ARN with no
 * account (arn:aws:ssm:<region>::document/<name>), which the simulator cannot match to SSM's
 * document resource type. The empty account is read as the placeholder "aws" in the call and in
 * the policy alike: a policy naming the empty account (or "*") still matches, one naming an
 * account still does not, as in IAM.
 */
const AWS_OWNED_DOCUMENT = /^(arn:[^:]+:ssm:[^:]+:):(document\/)/;
function withAwsOwnedDocuments(value: Json): Json {
  if (typeof value === 'string') return value.replace(AWS_OWNED_DOCUMENT, '$1aws:$2');
  if (Array.isArray(value)) return value.map(withAwsOwnedDocuments);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withAwsOwnedDocuments(item)]));
}

/** Who calls, when not the function's role in the deployment's account, and the resource's own policy. */
export interface Caller {
  /** The caller's ARN (given to the policies as aws:PrincipalArn too). */
  principal?: string;
  /** The account the resource is in, when not the deployment's (a cross-account call). */
  resourceAccount?: string;
  /** A role's trust policy, an event bus policy: evaluated with the identity policy. */
  resourcePolicy?: Json;
}

/** Evaluates one call against an identity policy, as the function's role (or as `caller` says). */
export async function decide(call: AuthorizedCall, policy: Json, deployment: Deployment, caller: Caller = {}): Promise<Decision> {
  const principal = caller.principal ?? `arn:${deployment.partition}:iam::${deployment.accountId}:role/${call.caller}`;
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'role', policy: withAwsOwnedDocuments(policy) }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(caller.resourcePolicy && { resourcePolicy: caller.resourcePolicy }),
      request: {
        action: call.action,
        principal,
        resource: { accountId: caller.resourceAccount ?? deployment.accountId, resource: withAwsOwnedDocuments(call.resource) as string },
        contextVariables: { 'aws:PrincipalArn': principal, ...call.context },
      },
    },
    {},
  );
  if (result.resultType === 'error') return { call, allowed: false, allowedBy: [], error: result.errors.message };
  const analyses = result.resultType === 'single' ? [result.result] : result.results;
  const allowedBy = new Set<string>();
  for (const analysis of analyses) {
    for (const statement of analysis.analysis?.identityAnalysis?.allowStatements ?? []) allowedBy.add(String(statement.explain.identifier));
  }
  return { call, allowed: result.overallResult === 'Allowed', allowedBy: [...allowedBy] };
}

export function describeCall(call: AuthorizedCall): string {
  const context = call.context && Object.keys(call.context).length ? ` ${JSON.stringify(call.context)}` : '';
  return `${call.caller}: ${call.action} on ${call.resource}${context} (${call.operation})`;
}

/** The actions a policy's Allow statements grant. */
export function grantedActions(policy: { Statement: Json[] }): Map<string, string[]> {
  const granted = new Map<string, string[]>();
  for (const statement of policy.Statement) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of [statement.Action].flat() as string[]) granted.set(action, [...(granted.get(action) ?? []), statement.Sid]);
  }
  return granted;
}
