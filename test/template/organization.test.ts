/**
 * The organization mode's templates, packaged offline: the member template `sls package` writes
 * beside the hub's (serverless/member-template.cjs), the hub's additions when the stage sets an
 * organization (serverless/organization.cjs, serverless/iam.cjs), and that a stage without one
 * gets none of them. IAM decisions are evaluated in test/iam/member.test.ts; cfn-lint runs on both
 * templates in template.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asList, packageService, policyStatements, removeTemporaryDirectories, resourcesOfType, PACKAGE_TIMEOUT_MS, type Json, type Packaged } from './template.js';

const require = createRequire(import.meta.url);
const { MEMBER_TEMPLATE_FILE } = require('../../serverless/member-template.cjs') as { MEMBER_TEMPLATE_FILE: string };
const iam = require('../../serverless/iam.cjs') as {
  MEMBER_CALLERS: string[];
  MEMBER_ROLE_BLOCKS: string[];
  roleLogicalId(fn: string): string;
  roleResources(context: Json): { Resources: Record<string, Json> };
  statements: Record<string, (context: Json) => Json>;
};

const ORGANIZATION = 'o-a1b2c3d4e5';
const ORG_ARGS = [`--param=organizationId=${ORGANIZATION}`, '--param=organizationalUnits=ou-ab12-cdefgh34', '--param=memberRegions=us-east-1,eu-west-1'];

let dev: Packaged;
let org: Packaged;
const memberOf = (packaged: Packaged): Json => JSON.parse(readFileSync(path.join(packaged.dir, MEMBER_TEMPLATE_FILE), 'utf8'));

beforeAll(async () => {
  [dev, org] = await Promise.all([packageService('dev'), packageService('dev', ORG_ARGS)]);
}, PACKAGE_TIMEOUT_MS);
afterAll(() => removeTemporaryDirectories());

/** The hub's own rules on its default bus: function logical id -> pattern. */
function defaultBusRules(template: Json): Map<string, Json> {
  return new Map(
    resourcesOfType(template, 'AWS::Events::Rule')
      .filter(([, rule]) => rule.Properties.EventPattern && !rule.Properties.EventBusName)
      .map(([, rule]) => [rule.Properties.Targets[0].Arn['Fn::GetAtt'][0], rule.Properties.EventPattern]),
  );
}

const actionsOf = (statements: Json[]) => new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asList<string>(s.Action)));

describe('a stage without an organization', () => {
  it('has none of the organization mode in its template: no members bus, no AssumeRole, no Organizations call', () => {
    const t = dev.template;
    expect(resourcesOfType(t, 'AWS::Events::EventBus')).toEqual([]);
    expect(resourcesOfType(t, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventBusName)).toEqual([]);
    expect([...actionsOf(policyStatements(t).map((found) => found.statement))].filter((action) => /^(sts|organizations):/.test(action))).toEqual([]);
    expect(t.Outputs.MembersEventBusArn).toBeUndefined();
  });

  it('still gets the member template beside its own', () => {
    expect(memberOf(dev).Resources.ExecutionRole.Properties.RoleName).toBe('fleetwatch-dev-member');
  });
});

describe('the member template', () => {
  let member: Json;
  beforeAll(() => {
    member = memberOf(org);
  });

  it('takes the hub account, the hub bus, the organization and the stage', () => {
    expect(Object.keys(member.Parameters)).toEqual(['HubAccountId', 'HubEventBusArn', 'OrganizationId', 'Stage']);
    expect(member.Parameters.Stage).toMatchObject({ AllowedValues: ['dev'], Default: 'dev' });
    expect('arn:aws:events:eu-west-1:210987654321:event-bus/fleetwatch-dev-members').toMatch(new RegExp(member.Parameters.HubEventBusArn.AllowedPattern));
  });

  it("forwards exactly the hub's own event patterns to the hub bus, through its role", () => {
    const rules = resourcesOfType(member, 'AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(rules.map((rule) => rule.EventPattern)).toEqual([...defaultBusRules(org.template).values()]);
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      expect(rule.EventBusName).toBeUndefined();
      expect(rule.Targets).toEqual([{ Id: 'hub', Arn: { Ref: 'HubEventBusArn' }, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } }]);
    }
    const forward = member.Resources.ForwardRole.Properties;
    expect(forward.Policies.flatMap((p: Json) => p.PolicyDocument.Statement)).toEqual([
      { Sid: 'HubMembersBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [{ Ref: 'HubEventBusArn' }] },
    ]);
    expect(forward.AssumeRolePolicyDocument.Statement[0].Principal).toEqual({ Service: 'events.amazonaws.com' });
  });

  it("has the hub's SSM document, instance role and profile, the account-wide ones in the first member region only", () => {
    expect(member.Resources.AgentDocument).toEqual(org.template.Resources.AgentDocument);
    expect(member.Resources.AgentInstanceProfile).toEqual({ ...org.template.Resources.AgentInstanceProfile, Condition: 'AccountWideRegion' });
    expect(member.Conditions.AccountWideRegion).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    for (const id of ['ExecutionRole', 'AgentRole', 'AgentInstanceProfile']) expect(member.Resources[id].Condition, id).toBe('AccountWideRegion');
    for (const id of ['AgentDocument', 'ForwardRole']) expect(member.Resources[id].Condition, id).toBeUndefined();
    const agentRole = { ...member.Resources.AgentRole.Properties, Policies: undefined };
    expect(agentRole).toEqual({ ...org.template.Resources.AgentRole.Properties, Policies: undefined });
  });

  it("grants the account-wide roles every member region: the instance role's Deny spares each region's configurations", () => {
    const deny = member.Resources.AgentRole.Properties.Policies[0].PolicyDocument.Statement[0];
    const regions = new Set(asList<Json>(deny.NotResource).map((arn) => /:ssm:([^:]+):/.exec(arn['Fn::Sub'])?.[1]));
    expect(regions).toEqual(new Set(['us-east-1', 'eu-west-1']));
  });

  it("holds exactly the member-side grants of the hub's roles, and the configuration writes", () => {
    const role = member.Resources.ExecutionRole.Properties;
    expect(role.RoleName).toBe('fleetwatch-dev-member');
    const granted = actionsOf(role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement));
    // The reconcile function's own grants (the worker's and the sweep's Distributor read) minus the
    // hub's (its table, queues, events, logs, tracing, AssumeRole, Organizations).
    const reconcile = org.template.Resources[iam.roleLogicalId('reconcile')].Properties.Policies[0].PolicyDocument.Statement as Json[];
    const hubOnly = /^(Own|Xray|StateTable|WorkQueue|EventFailureQueue|ServiceEvents|AssumeMemberRole|ReadOrganization)/;
    const memberSide = actionsOf(reconcile.filter((statement) => !hubOnly.test(statement.Sid)));
    expect(granted).toEqual(new Set([...memberSide, 'ssm:PutParameter']));
  });

  it('is assumable by the hub account only, for the functions that work in members, in the organization', () => {
    const [statement, ...others] = member.Resources.ExecutionRole.Properties.AssumeRolePolicyDocument.Statement;
    expect(others).toEqual([]);
    expect(statement.Principal).toEqual({ AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${HubAccountId}:root' } });
    expect(statement.Condition.StringEquals).toEqual({ 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } });
    const callers = statement.Condition.ArnEquals['aws:PrincipalArn'].map((arn: Json) => arn['Fn::Sub'][0].split('${HubRegion}-')[1]);
    expect(callers).toEqual(iam.MEMBER_CALLERS);
  });
});

describe("the hub's side in the organization mode", () => {
  it('has a members bus that takes PutEvents from the organization only', () => {
    const buses = resourcesOfType(org.template, 'AWS::Events::EventBus');
    expect(buses.map(([id]) => id)).toEqual(['MembersEventBus']);
    const bus = buses[0]![1];
    expect(bus.Properties.Name).toBe('fleetwatch-dev-members');
    expect(bus.Properties.Policy.Statement).toEqual([
      {
        Sid: 'OrganizationMembersPutEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/fleetwatch-dev-members' },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': ORGANIZATION } },
      },
    ]);
    expect(org.template.Outputs.MembersEventBusArn.Value).toEqual({ 'Fn::GetAtt': ['MembersEventBus', 'Arn'] });
  });

  it('routes the members bus to the same functions with the same patterns as the default bus, each rule allowed to invoke its function', () => {
    const onBus = resourcesOfType(org.template, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventBusName);
    const routed = new Map(onBus.map(([, rule]) => [rule.Properties.Targets[0].Arn['Fn::GetAtt'][0], rule.Properties.EventPattern]));
    expect(routed).toEqual(defaultBusRules(org.template));
    for (const [id, rule] of onBus) {
      expect(rule.Properties.EventBusName).toEqual({ Ref: 'MembersEventBus' });
      const permissions = resourcesOfType(org.template, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.SourceArn?.['Fn::GetAtt']?.[0] === id);
      expect(permissions.map(([, p]) => p.Properties.FunctionName), id).toEqual([rule.Properties.Targets[0].Arn]);
    }
  });

  it('lets only the functions that work in members assume the member role, in the organization, and read the OUs', () => {
    for (const fn of ['reconcile', 'worker', 'instanceState', 'tagChange', 'parameterChange', 'commandOutcome']) {
      const statements = org.template.Resources[iam.roleLogicalId(fn)].Properties.Policies[0].PolicyDocument.Statement as Json[];
      const assume = statements.find((s) => s.Sid === 'AssumeMemberRole');
      const read = statements.find((s) => s.Sid === 'ReadOrganization');
      if (!iam.MEMBER_CALLERS.includes(fn)) {
        expect([assume, read], fn).toEqual([undefined, undefined]);
        continue;
      }
      expect(assume, fn).toEqual({
        Sid: 'AssumeMemberRole',
        Effect: 'Allow',
        Action: ['sts:AssumeRole'],
        Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::*:role/fleetwatch-dev-member' }],
        Condition: { StringEquals: { 'aws:ResourceOrgID': ORGANIZATION } },
      });
      expect(read?.Action, fn).toEqual(['organizations:ListAccountsForParent', 'organizations:ListChildren']);
    }
  });

  it('names each listed account\'s role, and reads no OU, when the scope is an account list', () => {
    const organization = { organizationId: ORGANIZATION, organizationalUnits: [], memberAccounts: ['111111111111', '222222222222'], memberRoleName: 'fleetwatch-dev-member' };
    const roles = iam.roleResources({ stage: 'dev', region: 'eu-west-1', selectorTagKey: 'fleetwatch:dev:config', profileMode: 'report', configs: [{ name: 'web' }], organization });
    const sids = (roles.Resources[iam.roleLogicalId('worker')].Properties.Policies[0].PolicyDocument.Statement as Json[]).map((s) => s.Sid);
    expect(sids).toContain('AssumeMemberRole');
    expect(sids).not.toContain('ReadOrganization');
    expect(iam.statements.assumeMemberRole!({ organization }).Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::111111111111:role/fleetwatch-dev-member' },
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::222222222222:role/fleetwatch-dev-member' },
    ]);
  });
});
