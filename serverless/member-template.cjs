'use strict';
/* global require, module -- CommonJS on Node: osls loads plugins and resolvers with require() */
/* eslint-disable @typescript-eslint/no-require-imports -- same reason */
/**
 * The member template of the organization mode (README "Organization"): what each member account
 * and region needs, as a CloudFormation template for a service-managed StackSet. Built at package
 * time from the hub's own compiled template and serverless/iam.cjs, so nothing is written twice:
 * - the event rules: the hub's own patterns (serverless.yml), each forwarding to the hub's
 *   members bus through a role (EventBridge's advice for a bus target in another account);
 * - the execution role (memberRoleName): exactly the member-side blocks of serverless/iam.cjs,
 *   assumable only by the hub's functions that work in members, only from the organization;
 * - the instance role and profile and the SSM document: the hub's AgentRole, AgentInstanceProfile
 *   and AgentDocument as serverless.yml defines them.
 *
 * IAM names are global to an account while a StackSet deploys one stack per account AND region:
 * the execution role, the instance role and its profile are created by the stack of the first
 * member region only (condition AccountWideRegion), with their grants covering every member
 * region. The rules, their role and the document are per region.
 */
const iam = require('./iam.cjs');

const SERVICE = 'fleetwatch';
/** The file `npm run package` writes beside the hub's template. */
const MEMBER_TEMPLATE_FILE = `${SERVICE}-member.json`;
const ACCOUNT_WIDE = 'AccountWideRegion';
/** The hub's resources a member has the same of (serverless.yml `resources`). */
const SHARED = ['AgentRole', 'AgentInstanceProfile', 'AgentDocument'];

/** Template parameters the StackSet is created with (README "Organization", deploy steps). */
function parameters(stage) {
  return {
    HubAccountId: { Type: 'String', Description: 'The account the fleetwatch hub is deployed in', AllowedPattern: '^[0-9]{12}$' },
    HubEventBusArn: {
      Type: 'String',
      Description: "The hub's members event bus (the hub stack's output MembersEventBusArn)",
      AllowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._-]+$',
    },
    OrganizationId: { Type: 'String', Description: 'The organization the hub and this account are in', AllowedPattern: '^o-[a-z0-9]{10,32}$' },
    Stage: {
      Type: 'String',
      Description: 'The fleetwatch stage this template was packaged for (its grants name that stage)',
      AllowedValues: [stage],
      Default: stage,
    },
  };
}

/** "InstanceStateLambdaFunction" of a rule target's Fn::GetAtt, or undefined when the target is not a function of the template. */
function targetFunction(rule) {
  const arn = rule.Properties?.Targets?.[0]?.Arn;
  const id = arn?.['Fn::GetAtt']?.[0];
  return typeof id === 'string' && id.endsWith('LambdaFunction') ? id : undefined;
}

/**
 * The hub's event rules on its default bus (serverless.yml `eventBridge` events): pattern and
 * the function it invokes. Schedules have no pattern; rules on another bus are not the hub's own.
 */
function eventRules(hubTemplate) {
  return Object.entries(hubTemplate.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined && r.Properties.EventBusName === undefined)
    .map(([logicalId, rule]) => ({ logicalId, functionLogicalId: targetFunction(rule), pattern: rule.Properties.EventPattern }))
    .filter((rule) => rule.functionLogicalId !== undefined)
    .map((rule) => ({ ...rule, name: rule.functionLogicalId.replace(/LambdaFunction$/, '') }));
}

/**
 * The value with every Resource and NotResource ARN that names ${AWS::Region} listed once per
 * region: a grant of an account-wide role covering every member region.
 */
function acrossRegions(value, regions) {
  if (Array.isArray(value)) return value.map((item) => acrossRegions(item, regions));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key !== 'Resource' && key !== 'NotResource') return [key, acrossRegions(item, regions)];
      const expanded = [item].flat().flatMap((resource) => {
        const text = resource?.['Fn::Sub'];
        if (typeof text !== 'string' || !text.includes('${AWS::Region}')) return [resource];
        return regions.map((region) => ({ 'Fn::Sub': text.replaceAll('${AWS::Region}', region) }));
      });
      return [key, Array.isArray(item) || expanded.length > 1 ? expanded : expanded[0]];
    }),
  );
}

/** The stage tag of what the template creates itself: the Stage parameter, which can only be the packaged stage. */
const MEMBER_TAGS = [
  { Key: 'fleetwatch:managed-by', Value: SERVICE },
  { Key: 'fleetwatch:stage', Value: { Ref: 'Stage' } },
];

/** The hub's region, from its bus ARN (arn:partition:events:REGION:account:event-bus/name). */
const HUB_REGION = { 'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'HubEventBusArn' }] }] };

/**
 * Trust: the hub account's roles of the functions that work in members (serverless/iam.cjs
 * MEMBER_CALLERS, named as iam.cjs names them in the hub's region), and only while they are in
 * the organization. The account root as principal with aws:PrincipalArn, rather than the role
 * ARNs as principals: IAM would turn a principal into the role's unique id, and a redeployed hub
 * role would no longer match.
 */
function executionTrust(stage) {
  const callerArns = iam.MEMBER_CALLERS.map((fn) => ({
    'Fn::Sub': [`arn:\${AWS::Partition}:iam::\${HubAccountId}:role/${iam.roleName({ stage, region: '${HubRegion}' }, fn)}`, { HubRegion: HUB_REGION }],
  }));
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${HubAccountId}:root' } },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
          ArnEquals: { 'aws:PrincipalArn': callerArns },
        },
      },
    ],
  };
}

/**
 * The member template. `stage` is the stage's settings as lib/config.ts reads them (stage,
 * memberRoleName, selectorTagKey, profileMode, adoptLogGroups), `regions` the organization's member
 * regions (never empty), `configs` the configuration names, `hubTemplate` the hub's compiled
 * template with serverless.yml's resources merged.
 */
function memberTemplate({ settings, regions, configs, hubTemplate }) {
  const { stage } = settings;
  const context = { ...settings, configs, fn: 'member' };
  const missing = SHARED.filter((id) => !hubTemplate.Resources[id]);
  if (missing.length > 0) throw new Error(`serverless/member-template.cjs: the hub template has no ${missing.join(', ')} to share with members`);
  const accountWide = (resource) => ({ ...resource, Condition: ACCOUNT_WIDE });
  const memberBlocks = iam.MEMBER_ROLE_BLOCKS.filter((b) => b !== 'attachAgentPolicies' || settings.profileMode === 'attach');

  const Resources = {
    ExecutionRole: accountWide({
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: settings.memberRoleName,
        Description: `fleetwatch ${stage}: the hub's way into this account (README "Organization")`,
        AssumeRolePolicyDocument: executionTrust(stage),
        Policies: [
          {
            PolicyName: `${SERVICE}-${stage}-member`,
            PolicyDocument: { Version: '2012-10-17', Statement: acrossRegions(iam.policyStatementsOf(memberBlocks, context, 'the member execution role'), regions) },
          },
        ],
        Tags: MEMBER_TAGS,
      },
    }),
    AgentRole: accountWide(acrossRegions(hubTemplate.Resources.AgentRole, regions)),
    AgentInstanceProfile: accountWide(hubTemplate.Resources.AgentInstanceProfile),
    AgentDocument: hubTemplate.Resources.AgentDocument,
    ForwardRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `fleetwatch ${stage}: EventBridge forwards this region's instance events to the hub`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sts:AssumeRole',
              // Only this account's rules (the confused-deputy guard).
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: `${SERVICE}-${stage}-forward`,
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Sid: 'HubMembersBus', Effect: 'Allow', Action: ['events:PutEvents'], Resource: [{ Ref: 'HubEventBusArn' }] }],
            },
          },
        ],
        Tags: MEMBER_TAGS,
      },
    },
  };
  for (const rule of eventRules(hubTemplate)) {
    Resources[`Forward${rule.name}Rule`] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: `${SERVICE}-${stage}-forward-${rule.name[0].toLowerCase()}${rule.name.slice(1)}`,
        Description: `fleetwatch ${stage}: to the hub's ${rule.name} function`,
        EventPattern: rule.pattern,
        State: 'ENABLED',
        Targets: [{ Id: 'hub', Arn: { Ref: 'HubEventBusArn' }, RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] } }],
      },
    };
  }

  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `fleetwatch ${stage} member: event forwarding to the hub, the hub's execution role, the CloudWatch agent's instance profile and SSM document (one stack per member account and region, from a service-managed StackSet)`,
    Parameters: parameters(stage),
    Conditions: { [ACCOUNT_WIDE]: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, regions[0]] } },
    Resources,
    Outputs: {
      ExecutionRoleArn: { Condition: ACCOUNT_WIDE, Value: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] } },
      AgentDocumentName: { Value: { Ref: 'AgentDocument' } },
    },
  };
}

module.exports = { MEMBER_TEMPLATE_FILE, ACCOUNT_WIDE, eventRules, acrossRegions, executionTrust, memberTemplate };
