/**
 * The organization mode's IAM, evaluated with @cloud-copilot/iam-simulate on the packaged
 * templates:
 * - the member template's execution role allows every call fleetwatch makes on the instances'
 *   side (the simulated account's recorded calls, the account standing in for a member) and
 *   nothing of the hub's own (state table, queues, service events, its own logs);
 * - its trust lets in only the hub's functions that work in members, and only from the
 *   organization; the hub's side (sts:AssumeRole conditioned on the organization) is evaluated too;
 * - the hub's members bus takes PutEvents from the member's forwarding role in the organization,
 *   and from nothing outside it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parameterName, testSettings } from '../../lib/config.js';
import { cellKey } from '../../lib/model/cell.js';
import type { AuthorizedCall } from '../../local/calls.js';
import { SimulatedOrganization } from '../../local/organization.js';
import { arnsOf } from '../../local/ports/arns.js';
import { SimulatedStack } from '../../local/stack.js';
import { MINUTE } from '../scenarios/helpers.js';
import { packageService, removeTemporaryDirectories, type Json, type Packaged } from '../template/template.js';
import { exercise, type Exercised } from './exercise.js';
import { decide, describeCall, grantedActions, iam, resolve, rolePolicy, type Caller, type Deployment } from './simulate.js';

const require = createRequire(import.meta.url);
const { MEMBER_TEMPLATE_FILE } = require('../../serverless/member-template.cjs') as { MEMBER_TEMPLATE_FILE: string };
const { MEMBER_CALLERS } = require('../../serverless/iam.cjs') as { MEMBER_CALLERS: string[] };

const ORGANIZATION = 'o-a1b2c3d4e5';
const OTHER_ORGANIZATION = 'o-zzzzzzzzzz';
const HUB_ACCOUNT = '210987654321';
const HUB_REGION = 'eu-west-1';
const HUB_BUS = `arn:aws:events:${HUB_REGION}:${HUB_ACCOUNT}:event-bus/fleetwatch-dev-members`;
// As test/template/organization.test.ts packages it, so one run packages the organization mode once.
const MEMBER_REGIONS = ['us-east-1', 'eu-west-1'];
const ORG_ARGS = [`--param=organizationId=${ORGANIZATION}`, '--param=organizationalUnits=ou-ab12-cdefgh34', `--param=memberRegions=${MEMBER_REGIONS.join(',')}`];
/** Services the hub calls in its own account only: the execution role has none of them. */
const HUB_SIDE = /^(dynamodb|sqs|events|xray):/;

/** Member-side actions the recorded single-account paths do not call, with why the role has them. */
const UNEXERCISED: Record<string, string> = {
  'ssm:PutParameter': 'the hub writes each configuration version into the member: the organization-mode path, not among the single-account paths recorded here',
  'logs:DescribeLogStreams': 'a silent agent whose configuration sends logs only; the silent agent here sends metrics',
  'logs:DeleteRetentionPolicy': 'a configuration with retention_in_days -1 on a group fleetwatch owns; none in the recorded paths',
  'ec2:ReplaceIamInstanceProfileAssociation': 'profileMode replace only',
};

let exercised: Exercised;
let member: Json;
let hub: Packaged;
/** The exercised account as a member of the organization, the hub elsewhere. */
let deployment: Deployment;

const memberTemplate = (packaged: Packaged): Json => JSON.parse(readFileSync(path.join(packaged.dir, MEMBER_TEMPLATE_FILE), 'utf8'));
const policyOf = (role: Json, at: Deployment = deployment) =>
  resolve({ Version: '2012-10-17', Statement: role.Properties.Policies.flatMap((p: Json) => [p.PolicyDocument.Statement].flat()) }, at);
const hubRole = (fn: string) => `arn:aws:iam::${HUB_ACCOUNT}:role/${iam.roleName({ stage: 'dev', region: HUB_REGION }, fn)}`;

beforeAll(async () => {
  const [packaged, run] = await Promise.all([packageService('dev', ORG_ARGS), exercise('report')]);
  hub = packaged;
  exercised = run;
  member = memberTemplate(packaged);
  deployment = {
    ...run.deployment,
    parameters: { HubAccountId: HUB_ACCOUNT, HubEventBusArn: HUB_BUS, OrganizationId: ORGANIZATION, Stage: 'dev' },
  };
}, 180_000);
afterAll(() => removeTemporaryDirectories());

describe("the member's execution role", () => {
  const memberCalls = () => exercised.calls.filter((call) => !HUB_SIDE.test(call.action) && !call.action.startsWith('logs:CreateLogStream'));

  it('allows every call fleetwatch makes on the instances\' side, whichever function made it', async () => {
    const policy = policyOf(member.Resources.ExecutionRole);
    expect(memberCalls().length).toBeGreaterThan(20);
    const denied = (await Promise.all(memberCalls().map((call) => decide(call, policy, deployment, { principal: `arn:aws:iam::${deployment.accountId}:role/fleetwatch-dev-member` }))))
      .filter((decision) => !decision.allowed)
      .map((decision) => `${describeCall(decision.call)}${decision.error ? `: ${decision.error}` : ''}`);
    expect(denied).toEqual([]);
  });

  it("denies every call of the hub's own: state table, queues, service events, tracing", async () => {
    const policy = policyOf(member.Resources.ExecutionRole);
    const hubCalls = exercised.calls.filter((call) => HUB_SIDE.test(call.action));
    expect(new Set(hubCalls.map((call) => call.action.split(':')[0]))).toEqual(new Set(['dynamodb', 'sqs', 'events']));
    const allowed = (await Promise.all(hubCalls.map((call) => decide(call, policy, deployment)))).filter((d) => d.allowed).map((d) => describeCall(d.call));
    expect(allowed).toEqual([]);
  });

  it('grants only actions the member side calls, or lists why not', () => {
    const called = new Set(memberCalls().map((call) => call.action));
    const granted = [...grantedActions(policyOf(member.Resources.ExecutionRole)).keys()];
    expect(granted.filter((action) => !called.has(action) && !(action in UNEXERCISED))).toEqual([]);
    // The list stays true: an action a recorded path calls is not listed as uncalled.
    expect(Object.keys(UNEXERCISED).filter((action) => called.has(action) || !granted.includes(action))).toEqual([]);
    expect(granted.filter((action) => HUB_SIDE.test(action) || /^(sts|organizations):/.test(action))).toEqual([]);
  });

  it('writes only the stage\'s configuration parameters', async () => {
    const policy = policyOf(member.Resources.ExecutionRole);
    const { accountId, region } = deployment;
    const put = (name: string): AuthorizedCall => ({ caller: 'worker', operation: 'PutParameter' as AuthorizedCall['operation'], action: 'ssm:PutParameter', resource: `arn:aws:ssm:${region}:${accountId}:parameter/${name}` });
    const decisions = await Promise.all(['AmazonCloudWatch-fleetwatch-dev-web', 'AmazonCloudWatch-fleetwatch-prod-web', 'AmazonCloudWatch-fleetwatch-dev-webx'].map((name) => decide(put(name), policy, deployment)));
    expect(decisions.map((d) => d.allowed)).toEqual([true, false, false]);
  });
});

/**
 * The organization's own paths on a simulated organization (local/organization.ts): onboarding in
 * every account-region through the members' roles, then an org-wide rollout that writes the new
 * version into each member's Parameter Store. Every call made in a member, with its region's ARNs.
 */
async function exerciseOrganization(): Promise<{ calls: { cell: string; call: AuthorizedCall; deployment: Deployment }[] }> {
  const org = new SimulatedOrganization({ accounts: 2, regions: MEMBER_REGIONS, account: { latencyMs: 20, registrationDelayMs: MINUTE } });
  const settings = testSettings({
    accountId: org.hub.accountId,
    region: org.hub.region,
    configNames: SimulatedStack.bundledConfigNames(),
    organizationId: org.organizationId,
    memberAccounts: [...org.accounts],
    memberRegions: MEMBER_REGIONS,
  });
  const stack = new SimulatedStack(org.hub, { settings, organization: org.access() });
  for (const cell of org.cells()) {
    stack.forwardEventsOf(org.member(cell));
    org.member(cell).recordAuthorizations();
  }
  org.deployMembers(stack.settings);
  stack.deploy();
  for (const cell of org.cells()) {
    for (const config of ['web', 'default']) org.member(cell).launchInstance({ tags: { [settings.selectorTagKey]: config } });
  }
  await stack.settle();
  const name = parameterName(stack.settings, 'web');
  org.hub.putParameter(name, org.hub.parameters.latest(name)!.value.replace('"metrics_collection_interval":60', '"metrics_collection_interval":30'));
  await stack.settle();

  return {
    calls: org.cells().flatMap((cell) => {
      const member = org.member(cell);
      const role = member.iam.profiles.get(settings.managedProfileName)!.roleName!;
      const cellDeployment: Deployment = { ...deployment, accountId: cell.account, region: cell.region, arns: { ...deployment.arns, AgentRole: arnsOf(member).role(role) } };
      return member.authorizations.map((call) => ({ cell: cellKey(cell), call, deployment: cellDeployment }));
    }),
  };
}

describe("the execution role on the organization's own paths", () => {
  it('allows every call the hub makes in each member account-region, the configuration writes included', async () => {
    const { calls } = await exerciseOrganization();
    const actions = new Set(calls.map(({ call }) => call.action));
    // Onboarding and the org-wide rollout's writes both happened, in both regions.
    expect(actions).toContain('ssm:PutParameter');
    expect(actions).toContain('ssm:SendCommand');
    expect(new Set(calls.map(({ cell }) => cell.split('/')[1]))).toEqual(new Set(MEMBER_REGIONS));
    const denied: string[] = [];
    for (const { cell, call, deployment: at } of calls) {
      const decision = await decide(call, policyOf(member.Resources.ExecutionRole, at), at, { principal: `arn:aws:iam::${at.accountId}:role/fleetwatch-dev-member` });
      if (!decision.allowed) denied.push(`${cell} ${describeCall(call)}${decision.error ? `: ${decision.error}` : ''}`);
    }
    expect(denied).toEqual([]);
  }, 120_000);
});

describe("the execution role's trust, with the hub's side", () => {
  const roleArn = (account: string) => `arn:aws:iam::${account}:role/fleetwatch-dev-member`;
  /** sts:AssumeRole of the member role by `principal` (a hub role), evaluated on both sides. */
  async function assume(principal: string, fn: string, { principalOrg = ORGANIZATION, memberAccount = deployment.accountId, memberOrg = ORGANIZATION } = {}) {
    const identity = rolePolicy(hub.template, fn, { ...deployment, accountId: HUB_ACCOUNT, region: HUB_REGION });
    const call: AuthorizedCall = {
      caller: fn,
      operation: 'AssumeRole' as AuthorizedCall['operation'],
      action: 'sts:AssumeRole',
      resource: roleArn(memberAccount),
      context: { 'aws:PrincipalOrgID': principalOrg, 'aws:ResourceOrgID': memberOrg },
    };
    const caller: Caller = { principal, resourceAccount: memberAccount, resourcePolicy: resolve(member.Resources.ExecutionRole.Properties.AssumeRolePolicyDocument, deployment) };
    return (await decide(call, identity, deployment, caller)).allowed;
  }

  it('lets in the hub functions that work in members, from the organization', async () => {
    for (const fn of MEMBER_CALLERS) expect(await assume(hubRole(fn), fn), fn).toBe(true);
  });

  it('refuses a hub function that only enqueues, another stage, another account, and anyone outside the organization', async () => {
    expect(await assume(hubRole('instanceState'), 'instanceState')).toBe(false);
    expect(await assume(hubRole('worker').replace('fleetwatch-dev-', 'fleetwatch-prod-'), 'worker')).toBe(false);
    expect(await assume(hubRole('worker').replace(HUB_ACCOUNT, '333333333333'), 'worker')).toBe(false);
    expect(await assume(hubRole('worker'), 'worker', { principalOrg: OTHER_ORGANIZATION })).toBe(false);
  });

  it("is refused on the hub's side for a role of an account outside the organization", async () => {
    expect(await assume(hubRole('worker'), 'worker', { memberAccount: '444444444444', memberOrg: OTHER_ORGANIZATION })).toBe(false);
  });
});

describe("the hub's reads of the organization (OU scope)", () => {
  async function list(fn: string, action: string, resource: string) {
    const call: AuthorizedCall = { caller: fn, operation: 'ListChildren' as AuthorizedCall['operation'], action, resource };
    const hubDeployment = { ...deployment, accountId: HUB_ACCOUNT, region: HUB_REGION };
    return (await decide(call, rolePolicy(hub.template, fn, hubDeployment), hubDeployment)).allowed;
  }
  const MANAGEMENT = '999999999999';

  it("allows listing the organization's OUs and root, children and accounts, to the functions that work in members", async () => {
    for (const fn of MEMBER_CALLERS) {
      for (const action of ['organizations:ListChildren', 'organizations:ListAccountsForParent']) {
        expect(await list(fn, action, `arn:aws:organizations::${MANAGEMENT}:ou/${ORGANIZATION}/ou-ab12-cdefgh34`), `${fn} ${action}`).toBe(true);
        expect(await list(fn, action, `arn:aws:organizations::${MANAGEMENT}:root/${ORGANIZATION}/r-ab12`), `${fn} ${action}`).toBe(true);
      }
    }
  });

  it("denies another organization's OUs, other Organizations calls, and the functions that only enqueue", async () => {
    expect(await list('worker', 'organizations:ListChildren', `arn:aws:organizations::${MANAGEMENT}:ou/${OTHER_ORGANIZATION}/ou-ab12-cdefgh34`)).toBe(false);
    expect(await list('worker', 'organizations:DescribeAccount', `arn:aws:organizations::${MANAGEMENT}:account/${ORGANIZATION}/111111111111`)).toBe(false);
    expect(await list('tagChange', 'organizations:ListChildren', `arn:aws:organizations::${MANAGEMENT}:ou/${ORGANIZATION}/ou-ab12-cdefgh34`)).toBe(false);
  });
});

describe("the hub's members bus", () => {
  const busPolicy = () => resolve(hub.template.Resources.MembersEventBus.Properties.Policy, { ...deployment, accountId: HUB_ACCOUNT, region: HUB_REGION });
  async function putEvents(principalOrg: string, identity: Json) {
    const call: AuthorizedCall = { caller: undefined, operation: 'PutEvents' as AuthorizedCall['operation'], action: 'events:PutEvents', resource: HUB_BUS, context: { 'aws:PrincipalOrgID': principalOrg } };
    const caller: Caller = { principal: `arn:aws:iam::${deployment.accountId}:role/fleetwatch-dev-forward`, resourceAccount: HUB_ACCOUNT, resourcePolicy: busPolicy() };
    return (await decide(call, identity, deployment, caller)).allowed;
  }

  it("takes events from a member's forwarding role in the organization", async () => {
    expect(await putEvents(ORGANIZATION, policyOf(member.Resources.ForwardRole))).toBe(true);
  });

  it('refuses PutEvents from outside the organization, whatever the caller may do in its own account', async () => {
    const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:*', Resource: '*' }] };
    expect(await putEvents(OTHER_ORGANIZATION, policyOf(member.Resources.ForwardRole))).toBe(false);
    expect(await putEvents(OTHER_ORGANIZATION, everything)).toBe(false);
  });
});
