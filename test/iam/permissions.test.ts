/**
 * Permissions proven from the calls: the simulated stack runs fleetwatch's paths through the
 * functions' own handlers, the simulated account records every call's IAM action, resource ARN and
 * condition keys with the function that made it, and each is evaluated against that function's
 * role in the packaged template (@cloud-copilot/iam-simulate). Every call must be allowed; every
 * granted action must be exercised by some path or listed below with its reason; and every
 * statement that allowed a call must be needed (without it, a call is denied).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorization, AuthorizedCall } from '../../local/calls.js';
import { packageService, removeTemporaryDirectories, type Json } from '../template/template.js';
import { exercise, type Exercised } from './exercise.js';
import { decide, describeCall, grantedActions, iam, rolePolicy, type Decision, type Deployment } from './simulate.js';

/** Granted actions no simulated path calls, with why the role has them. */
const UNEXERCISED: Record<string, string> = {
  'logs:CreateLogStream': 'the function writes its own logs: Lambda does, not fleetwatch code',
  'logs:PutLogEvents': 'the function writes its own logs: Lambda does, not fleetwatch code',
  'xray:PutTraceSegments': 'tracing: the Lambda runtime and Powertools tracer send segments',
  'xray:PutTelemetryRecords': 'tracing: the Lambda runtime and Powertools tracer send segments',
  'sqs:ReceiveMessage': "the worker's event source mapping polls with the worker's role",
  'sqs:DeleteMessage': "the worker's event source mapping polls with the worker's role",
  'sqs:ChangeMessageVisibility': "the worker's event source mapping polls with the worker's role",
  'sqs:GetQueueAttributes': "the worker's event source mapping polls with the worker's role",
  'logs:DeleteRetentionPolicy': 'a configuration with retention_in_days -1 (never expire) on a group fleetwatch owns; lib/aws/logs.ts calls it, the simulated account has no such group in these paths',
  'ssm:GetParameters': 'lib/aws/ssm.ts reads latest versions in batches; the parameter-change and rollout paths here read pinned versions',
};
/** Per function: an action granted that only another function's path exercises here, with why. */
const SAME_WORK = 'reconcile and worker run the same observe-plan-apply path; in these paths the other function took this step';
const SHARED_BLOCK = 'granted with its block (serverless/iam.cjs) alongside the action this function calls; not split yet';
const UNEXERCISED_BY_FUNCTION: Record<string, Record<string, string>> = {
  reconcile: {
    'sqs:SendMessage': 'on-failure destination (EventFailureQueue) of its scheduled invocation, sent by Lambda',
    'ec2:ReplaceIamInstanceProfileAssociation': 'profileMode replace only',
    'ssm:ListCommandInvocations': SAME_WORK,
    'logs:CreateLogGroup': SAME_WORK,
    'logs:TagResource': SAME_WORK,
    'logs:DescribeLogStreams': 'a silent agent whose configuration sends logs only; the silent agent here sends metrics',
    'dynamodb:GetItem': SAME_WORK,
    'events:PutEvents': SAME_WORK,
  },
  worker: {
    'ec2:ReplaceIamInstanceProfileAssociation': 'profileMode replace only',
    'ssm:ListCommandInvocations': SAME_WORK,
    'cloudwatch:ListMetrics': SAME_WORK,
    'logs:DescribeLogStreams': 'a silent agent whose configuration sends logs only; the silent agent here sends metrics',
  },
  parameterChange: {
    'ssm:GetParameter': 'the rollout reads the latest version (GetParameters); GetParameter is in the same block',
    'ec2:DescribeIamInstanceProfileAssociations': SHARED_BLOCK,
    'dynamodb:BatchGetItem': SHARED_BLOCK,
    'dynamodb:Scan': SHARED_BLOCK,
  },
  commandOutcome: { 'dynamodb:BatchGetItem': SHARED_BLOCK, 'dynamodb:Scan': SHARED_BLOCK },
};

async function decideAll(calls: AuthorizedCall[], policies: Map<string, Json>, deployment: Deployment): Promise<Decision[]> {
  return Promise.all(calls.map((call) => decide(call, policies.get(call.caller!), deployment)));
}

afterAll(() => removeTemporaryDirectories());

describe.each([
  { mode: 'report' as const, args: [] },
  { mode: 'attach' as const, args: ['--param=profileMode=attach'] },
])('every call of the $mode profile mode against the packaged roles', ({ mode, args }) => {
  let exercised: Exercised;
  let policies: Map<string, Json>;
  let decisions: Decision[];

  beforeAll(async () => {
    const [packaged, run] = await Promise.all([packageService('dev', args), exercise(mode)]);
    exercised = run;
    policies = new Map(Object.keys(iam.FUNCTION_STATEMENTS).map((fn) => [fn, rolePolicy(packaged.template, fn, run.deployment)]));
    decisions = await decideAll(run.calls, policies, run.deployment);
  }, 180_000);

  it('has every call made by a function of the stack', () => {
    expect(exercised.calls.filter((call) => call.caller === undefined).map(describeCall)).toEqual([]);
    expect(new Set(exercised.calls.map((call) => call.caller))).toEqual(new Set(Object.keys(iam.FUNCTION_STATEMENTS)));
  });

  it("allows every call by the calling function's role", () => {
    const denied = decisions.filter((decision) => !decision.allowed).map((decision) => `${describeCall(decision.call)}${decision.error ? `: ${decision.error}` : ''}`);
    expect(denied).toEqual([]);
  });

  it('reads a pinned configuration by both forms of its ARN (name and name:version)', () => {
    const pinned = exercised.calls.filter((call) => call.action === 'ssm:GetParameter');
    expect(pinned.length).toBeGreaterThan(0);
    for (const call of pinned) expect(call.resource).toMatch(/:parameter\/AmazonCloudWatch-fleetwatch-dev-\w+:\d+$/);
  });

  it('exercises every granted action, or lists why not', () => {
    const unexplained: string[] = [];
    for (const [fn, policy] of policies) {
      const called = new Set(exercised.calls.filter((call) => call.caller === fn).map((call) => call.action));
      for (const action of grantedActions(policy).keys()) {
        if (!called.has(action) && !(action in UNEXERCISED) && !(action in (UNEXERCISED_BY_FUNCTION[fn] ?? {}))) unexplained.push(`${fn}: ${action}`);
      }
    }
    expect(unexplained).toEqual([]);
  });

  it("denies the worker what the tightened grants leave out: untagged instances, other stages' sources and parameters, groups it does not own", async () => {
    const { accountId, region } = exercised.deployment;
    const at = (service: string, resource: string) => `arn:aws:${service}:${region}:${accountId}:${resource}`;
    const denied: Authorization[] = [
      { action: 'ssm:SendCommand', resource: at('ec2', 'instance/i-0untagged'), context: { 'ssm:resourceTag/Name': 'db' } },
      { action: 'events:PutEvents', resource: at('events', 'event-bus/default'), context: { 'events:source': ['fleetwatch.prod'] } },
      { action: 'events:PutEvents', resource: at('events', 'event-bus/default'), context: { 'events:source': ['fleetwatch.dev', 'aws.ec2'] } },
      { action: 'ssm:GetParameter', resource: at('ssm', 'parameter/AmazonCloudWatch-fleetwatch-prod-web:3') },
      { action: 'logs:PutRetentionPolicy', resource: at('logs', 'log-group:/audit/trail'), context: { 'aws:ResourceTag/team': 'audit' } },
      { action: 'logs:PutRetentionPolicy', resource: at('logs', 'log-group:/prod/app'), context: { 'aws:ResourceTag/fleetwatch:owner': 'prod' } },
      { action: 'logs:CreateLogGroup', resource: at('logs', 'log-group:/x'), context: { 'aws:RequestTag/fleetwatch:owner': 'prod', 'aws:TagKeys': ['fleetwatch:owner'] } },
      ...(mode === 'attach'
        ? [{ action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${accountId}:role/app-role`, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' } }]
        : [{ action: 'iam:AttachRolePolicy', resource: `arn:aws:iam::${accountId}:role/app-role`, context: { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' } }]),
    ];
    const attempts: AuthorizedCall[] = denied.map((attempt) => ({ ...attempt, caller: 'worker', operation: 'SendCommand' as const }));
    const allowed = (await decideAll(attempts, policies, exercised.deployment)).filter((d) => d.allowed).map((d) => describeCall(d.call));
    expect(allowed).toEqual([]);
  });

  it('needs every statement that allowed a call: without it, a call is denied, named by function, action and resource', async () => {
    const unneeded: string[] = [];
    for (const [fn, policy] of policies) {
      const used = new Set(decisions.filter((d) => d.call.caller === fn).flatMap((d) => d.allowedBy));
      for (const sid of used) {
        const without = { ...policy, Statement: policy.Statement.filter((statement: Json) => statement.Sid !== sid) };
        const affected = decisions.filter((d) => d.call.caller === fn && d.allowedBy.includes(sid)).map((d) => d.call);
        const denied = (await decideAll(affected, new Map([[fn, without]]), exercised.deployment)).filter((d) => !d.allowed);
        if (denied.length === 0) unneeded.push(`${fn}: ${sid}`);
        else expect(describeCall(denied[0]!.call)).toMatch(new RegExp(`^${fn}: \\S+:\\S+ on (\\*|arn:aws:)`));
      }
    }
    expect(unneeded).toEqual([]);
  });
});
